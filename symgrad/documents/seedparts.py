"""Data and computations of the kinds added for the seeds' remaining parts.

``concept``   a conceptual question with a model answer written in the bank (``questions``: a list of
              {ask, answer, summary, seeds?, compute?, space?}), where ``compute`` lists supporting
              numbers that symgrad works out instead of the author typing them;
``jacobian``  the Jacobian chain rule for a concrete g: R^l -> R^n (``inner``) and f: R^n -> R^m
              (``outer``), its product checked against the Jacobian of f(g(x)) computed directly;
``paths``     the multivariate chain rule df/dw as a sum over the paths of a computation graph.

The views are in seedviews.py; the bank reads the fields through the checkers here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import SymgradError
from ..parsing import parse, parse_program, symbol
from ..parsing.tex import prose_to_latex
from ..steps.core import DerivationError

MAX_QUESTIONS = 12
CONCEPT_PARTS = tuple(f"q{i}" for i in range(1, MAX_QUESTIONS + 1))
SUMMARY_LENGTH = 110  # characters of bank text: the answer key shows a summary on one line
_QUESTION_FIELDS = ("ask", "answer", "summary", "seeds", "compute", "space")
_ROW_FIELDS = ("name", "say", "value")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Row:
    """A supporting number: what it counts (prose), its formula (grammar text) and its exact value."""

    name: str | None
    say: str
    formula: str
    value: sympy.Expr


@dataclass(frozen=True)
class Question:
    ask: str  # prose, read by prose_to_latex
    answer: str  # the model answer, prose
    summary: str  # one line for the answer key, prose
    seeds: tuple[str, ...] = ()
    compute: tuple[Row, ...] = ()
    space: float = 4.0  # cm of answer space on the worksheet


def _prose(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: expected non-empty text")
    text = " ".join(value.split())
    try:
        prose_to_latex(text)
    except SymgradError as err:
        raise ValueError(f"{what}: in a $...$ span: {err}") from None
    return text


def _rows(value: Any, where: str) -> tuple[Row, ...]:
    """Supporting numbers, in order; a row may use the names of the rows above it."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: compute: expected a list of {{name, say, value}}")
    known: dict[sympy.Symbol, sympy.Expr] = {}
    rows = []
    for k, raw in enumerate(value, start=1):
        at = f"{where}: compute row {k}"
        if not isinstance(raw, Mapping) or set(raw) - set(_ROW_FIELDS) or "value" not in raw or "say" not in raw:
            raise ValueError(f"{at}: expected a mapping with say, value and optionally name")
        name = raw.get("name")
        if name is not None and not (isinstance(name, str) and _NAME.fullmatch(name)):
            raise ValueError(f"{at}: the name must be letters and digits, like d or n2")
        formula = str(raw["value"]).strip()
        try:
            expr = parse(formula)
        except SymgradError as err:
            raise ValueError(f"{at}: {err}") from None
        number = sympy.simplify(expr.xreplace(known))
        if number.free_symbols or not number.is_number:
            unknown = ", ".join(sorted(s.name for s in number.free_symbols))
            raise ValueError(f"{at}: '{formula}' uses {unknown}, which no row above names")
        if name is not None:
            known[symbol(name)] = number
        rows.append(Row(name, _prose(raw["say"], f"{at}: say"), formula, number))
    return tuple(rows)


def questions(value: Any, labels: re.Pattern) -> tuple[Question, ...]:
    """The checker of a concept problem's ``questions`` field; ``labels`` matches a seed label."""
    if not isinstance(value, list) or not value or len(value) > MAX_QUESTIONS:
        raise ValueError(f"expected a list of 1 to {MAX_QUESTIONS} questions, each with ask, answer and summary")
    out = []
    for i, raw in enumerate(value, start=1):
        where = f"question {i}"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: expected a mapping with ask, answer and summary")
        unknown = sorted(set(raw) - set(_QUESTION_FIELDS))
        if unknown:
            raise ValueError(f"{where}: '{unknown[0]}' is not a field of a question ({', '.join(_QUESTION_FIELDS)})")
        summary = _prose(raw.get("summary"), f"{where}: summary")
        if len(summary) > SUMMARY_LENGTH:
            raise ValueError(f"{where}: summary: at most {SUMMARY_LENGTH} characters, for one line of the key")
        seeds = raw.get("seeds", [])
        seeds = [seeds] if isinstance(seeds, str) else seeds
        if not isinstance(seeds, list) or not all(isinstance(s, str) and labels.match(s) for s in seeds):
            raise ValueError(f"{where}: seeds: expected labels like \"000 §2(c)\"")
        space = raw.get("space", 4.0)
        if isinstance(space, bool) or not isinstance(space, (int, float)) or not 0 < space <= 20:
            raise ValueError(f"{where}: space: expected centimetres, from 0 to 20")
        compute = _rows(raw["compute"], where) if "compute" in raw else ()
        out.append(Question(_prose(raw.get("ask"), f"{where}: ask"), _prose(raw.get("answer"), f"{where}: answer"),
                            summary, tuple(seeds), compute, float(space)))
    return tuple(out)


def question_of(problem, part: str) -> Question:
    """The question a concept part (q1, q2, ...) asks."""
    qs = problem.data["questions"]
    index = int(part[1:]) - 1
    if index >= len(qs):
        raise SymgradError(f"{problem.file}: problem '{problem.id}': field 'parts': '{part}' but there "
                           f"{'is' if len(qs) == 1 else 'are'} only {len(qs)} question{'s' if len(qs) != 1 else ''}")
    return qs[index]


# -- the Jacobian chain rule -------------------------------------------------------------------------


@dataclass(frozen=True)
class JacobianChain:
    """f: R^n -> R^m after g: R^l -> R^n, and the Jacobians of the chain rule, checked."""

    x: tuple[sympy.Symbol, ...]  # the inputs of g (l of them)
    y: tuple[sympy.Symbol, ...]  # the outputs of g, the inputs of f (n)
    f_names: tuple[str, ...]  # the outputs of f (m)
    g: sympy.ImmutableMatrix  # n x 1, in x
    f: sympy.ImmutableMatrix  # m x 1, in y
    df_dy: sympy.ImmutableMatrix  # m x n, in y
    dg_dx: sympy.ImmutableMatrix  # n x l, in x
    df_dy_at_g: sympy.ImmutableMatrix  # m x n, in x
    product: sympy.ImmutableMatrix  # m x l: the chain rule
    composite: sympy.ImmutableMatrix  # f(g(x)), m x 1
    direct: sympy.ImmutableMatrix  # the Jacobian of f(g(x)) computed directly, m x l

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(m, n, l)."""
        return len(self.f_names), len(self.y), len(self.x)


def jacobian_chain(problem) -> JacobianChain:
    """The chain rule for a jacobian problem; raises DerivationError if the product of the Jacobians
    is not the Jacobian of f(g(x)) (a bug, never printed)."""
    inner, outer = parse_program(problem.data["inner"]), parse_program(problem.data["outer"])
    y_names = [a.name for a in inner.assignments]
    where = f"{problem.file}: problem '{problem.id}'"
    if len(inner.assignments) != len(set(y_names)):
        raise SymgradError(f"{where}: field 'inner': each output of g needs its own name")
    stray = [n for n in outer.inputs if n not in y_names]
    if stray:
        raise SymgradError(f"{where}: field 'outer': '{stray[0]}' is not an output of g ({', '.join(y_names)})")
    if any(a.name in y_names for a in outer.assignments):
        raise SymgradError(f"{where}: field 'outer': f's outputs need names of their own, not g's")
    x = tuple(symbol(n) for n in inner.inputs)
    y = tuple(symbol(n) for n in y_names)
    g = sympy.ImmutableMatrix([a.expr for a in inner.assignments])
    f = sympy.ImmutableMatrix([a.expr for a in outer.assignments])
    df_dy, dg_dx = f.jacobian(y), g.jacobian(x)
    at_g = dict(zip(y, g))
    df_dy_at_g = df_dy.xreplace(at_g)
    product = (df_dy_at_g * dg_dx).applyfunc(sympy.expand)
    composite = f.xreplace(at_g)
    direct = composite.jacobian(x).applyfunc(sympy.expand)
    if product.shape != direct.shape or any(sympy.simplify(e) != 0 for e in product - direct):
        raise DerivationError(f"{where}: the product of the Jacobians is not the Jacobian of f(g(x))")
    fixed = sympy.ImmutableMatrix
    return JacobianChain(x, y, tuple(a.name for a in outer.assignments), g, f, fixed(df_dy), fixed(dg_dx),
                         fixed(df_dy_at_g), fixed(product), composite, fixed(direct))
