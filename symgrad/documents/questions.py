"""One exportable question per gradeable item of a problem variant, for the LMS exports (Moodle, Canvas
QTI, PrairieLearn): what the problem gives, the one thing asked, the key and how it is checked.

A stem shows only what its question needs: the problem's statement and data (the stages and the point
of a staged problem, a network's instance), then one sentence asking for one item. Nothing is asked
that the stem gives (the value of an input at the point). Items an LMS cannot check without symgrad
(a matrix formula) come back from ``questions`` in ``skipped`` with the reason, so an export can name
them instead of dropping them silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from ..check import Tolerance
from ..matrix_check import MatrixContext
from ..numbers_check import NETWORK_TOLERANCE, NumbersContext
from ..printing import format_number, latex
from .bank import Problem
from .keys import Key, problem_keys
from .views import view


@dataclass(frozen=True)
class Question:
    """One item as an LMS question. ``given`` and ``ask`` are LaTeX prose ($...$ for math); ``kind`` is
    number (one value), array (a vector or matrix of values, entry by entry), formula (an expression in
    ``variables``) or matrix-formula (symgrad's matrix checker only)."""

    problem: str
    item: str
    given: str
    ask: str
    kind: str
    key: Key
    answer: str  # the right answer, LaTeX
    variables: tuple[str, ...] = ()

    @property
    def numbers(self) -> sympy.Matrix | None:
        """The key's values: a 1×1 matrix for a number, the instance's vector or matrix for an array."""
        if self.key.array is not None:
            return self.key.array
        if self.kind == "number":
            return sympy.Matrix([[self.key.expected]])
        return None

    def bound(self, value: float) -> float:
        """The largest accepted |answer - value| for one entry (tolerances in one place: the key's)."""
        ctx = self.key.context
        tolerance = ctx.tolerance if isinstance(ctx, NumbersContext) else \
            NETWORK_TOLERANCE if self.key.array is not None else getattr(ctx, "tolerance", Tolerance())
        if tolerance == Tolerance():  # an exact key: forgive the rounding of a typed decimal
            return max(1e-9, 1e-9 * abs(value))
        return tolerance.allows(value)


@dataclass(frozen=True)
class Skipped:
    problem: str
    item: str
    reason: str


def _math(tex: str) -> str:
    return f"${tex}$"


def _point(problem: Problem) -> str:
    point = problem.point or {}
    return ", ".join(f"${latex(sympy.Symbol(n))} = {latex(v)}$" for n, v in point.items())


def _staged_given(problem: Problem, statement: str) -> str:
    s = problem.solution()
    stages = ", ".join(_math(f"{latex(sympy.Symbol(st.name))} = {latex(st.expr)}") for st in s.graph.stages)
    return f"{statement} Its stages are {stages}." + (f" Take {_point(problem)}." if problem.point else "")


def _network_given(problem: Problem, statement: str) -> str:
    from .networks import given_instance

    return f"{statement} Take {given_instance(problem)}"


def _names(problem: Problem) -> dict[str, str]:
    from .networks import notation

    return notation(problem.network, dict(problem.symbols))


def _network_quantity(problem: Problem, item: str) -> str:
    """grad.W1 -> the LaTeX of dl/dW^(1), value.z1 -> z^(1), delta.2 -> delta^(2), in the question's names."""
    from ..nets import gradient_of

    names = _names(problem)
    kind, _, name = item.partition(".")
    if kind == "value":
        return names.get(name, r"\ell" if name == "loss" else name)
    if kind == "delta":
        return names[f"d{name}"]
    return latex(gradient_of(sympy.Symbol(name)), partial=True, names=names)


def _ask(problem: Problem, item: str, key: Key) -> str:
    """The one sentence that asks for ``item``, from a table of the item families."""
    kind, _, name = item.partition(".")
    symbol = latex(sympy.Symbol(name)) if name else ""
    f = "f"
    if problem.kind == "network":
        q = _math(_network_quantity(problem, item))
        if isinstance(key.context, MatrixContext) and key.array is None:
            return f"Write {q} in matrix notation, in the quantities before it."
        what = {"value": "the forward pass", "delta": "the backward pass", "grad": "the backward pass"}[kind]
        return f"Compute {q} in {what}."
    partial = f"$\\frac{{\\partial {f}}}{{\\partial {symbol}}}$"
    table = {
        "value": lambda: f"Compute the value of ${symbol}$ in the forward pass.",
        "grad": lambda: f"Compute {partial} in the backward pass.",
        "gradient": lambda: f"Give {partial} as a formula in the inputs.",
        "derivative": lambda: f"Compute {partial} with the chain rule." if name else
        f"Compute the derivative of ${latex(key.context.function)}$ with respect to "
        f"${latex(sympy.Symbol(key.context.wrt))}$.",
        "partial": lambda: f"Compute {partial}.",
        "weights": lambda: "How many weight parameters (without biases) does the network have?",
        "with-biases": lambda: "How many parameters does it have, counting the biases too?",
        "product": lambda: f"Give entry {name} of the entry-by-entry product.",
    }
    if kind == "jacobian":
        row, col = name.split(".")
        return f"Give entry $({row}, {col})$ of the Jacobian of $f \\circ g$, $\\frac{{\\partial f_{row}}}" \
               f"{{\\partial {latex(sympy.Symbol(key.context.wrt))}}}$, as a formula."
    if kind in ("params", "dense"):
        from ..nets import trace_shapes

        layer = trace_shapes(problem.data["input"], problem.data["layers"])[int(name) - 1].layer
        if kind == "params":
            return f"How many parameters does layer {name}, \\texttt{{{layer}}}, have?"
        return (f"How many parameters would a fully connected layer from the flattened input to the flattened "
                f"output of layer {name}, \\texttt{{{layer}}}, have?")
    return table[kind]()


def _kind(key: Key) -> str:
    if key.array is not None:
        return "number" if key.array.shape == (1, 1) and isinstance(key.context, NumbersContext) else "array"
    if isinstance(key.context, MatrixContext):
        return "matrix-formula"
    return "number" if key.expected.is_number else "formula"


def _answer(problem: Problem, question_kind: str, key: Key) -> str:
    from .netviews import _mat

    if question_kind in ("number", "array"):
        numbers = key.array if key.array is not None else sympy.Matrix([[key.expected]])
        return format_number(numbers[0, 0], style="latex") if numbers.shape == (1, 1) else _mat(numbers)
    if question_kind == "matrix-formula":
        return key.expected
    return latex(key.expected)


GIVEN = {"staged": _staged_given, "network": _network_given}


def questions(problem: Problem, matrix_formulas: bool = False) -> tuple[list[Question], list[Skipped]]:
    """Every item of one (variant of a) problem as a question, and the items no LMS question can carry
    (with ``matrix_formulas``, for a front end graded by symgrad, a matrix formula is a question too)."""
    keys = problem_keys(problem)
    statement = view(problem).statement
    given = GIVEN.get(problem.kind, lambda p, s: s)(problem, statement)
    inputs = set((problem.point or {}).keys())
    output = problem.solution().graph.output if problem.kind == "staged" else None
    out, skipped = [], []
    for item, key in keys.items():
        if item.startswith("value.") and item.removeprefix("value.") in inputs or item == f"grad.{output}":
            continue  # the stem gives it (an input's value; df/df = 1)
        kind = _kind(key)
        if kind == "matrix-formula" and not matrix_formulas:
            skipped.append(Skipped(problem.id, item, "a matrix formula is checked by symgrad's matrix checker "
                                   "(symgrad grade, or the PrairieLearn export), not by an LMS question type"))
            continue
        ctx = key.context
        variables = tuple(getattr(ctx, "variables", ())) if kind == "formula" else ()
        out.append(Question(problem.id, item, given, _ask(problem, item, key), kind, key,
                            _answer(problem, kind, key), variables))
    return out, skipped


def entry_items(question: Question) -> list[tuple[str, str, float]]:
    """An array question as its entries: (item, LaTeX label, value), 1-based like grad.W1[2,1]."""
    m = question.numbers
    if m is None or question.kind != "array":
        return []
    one = m.cols == 1
    return [(f"{question.item}[{i + 1}]" if one else f"{question.item}[{i + 1},{j + 1}]",
             f"{i + 1}" if one else f"{i + 1},{j + 1}", float(m[i, j]))
            for i in range(m.rows) for j in range(m.cols)]


def prose_html(tex: str, math=None) -> str:
    """LaTeX prose as HTML for an LMS: text escaped, $...$ and \\[...\\] as MathJax's \\(...\\) and \\[...\\],
    or as ``math(latex, display)`` gives them (an LMS that shows formulas otherwise: Canvas's equation images)."""
    import html

    pieces = re.split(r"(\$[^$]*\$|\\\[.*?\\\])", tex, flags=re.S)
    out = []
    for piece in pieces:
        if piece.startswith("$") and math is not None:
            out.append(math(piece[1:-1], False))
        elif piece.startswith(r"\[") and math is not None:
            out.append(math(piece[2:-2], True))
        elif piece.startswith("$"):
            out.append(r"\(" + html.escape(piece[1:-1], quote=False) + r"\)")
        elif piece.startswith(r"\["):
            out.append(html.escape(piece, quote=False))
        else:
            text = re.sub(r"\\texttt\{([^}]*)\}", r"<code>\1</code>", html.escape(piece, quote=False))
            out.append(text.replace("~", " "))
    return "".join(out)
