"""Steps as data: each step claims an equation between SymPy objects, names its rule, and is checked.

A Derivation is what every kind of step-by-step solution returns (derivative rules, chain rule
over a program, backpropagation, identities). Before a Derivation is handed out, every claimed
equality is resolved into the inputs alone by the derivation's own resolver (the meaning of
``df/dg`` differs between a chain-rule derivation and a backward pass) and compared at random
points in 30-digit arithmetic; a step that fails raises DerivationError: it is a bug, never shown.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import mpmath
import sympy
from sympy import Expr, Float
from sympy.matrices import MatrixBase

from ..errors import SymgradError
from ..evaluate import NotReal, Undefined, Unsupported, evaluate
from ..functions import DerivativeAt
from ..printing import format_exact_and_number, format_number, latex, sympy_syntax, tex_text, text, thirty_digits
from ..written import plain, terms_of

PRECISION = 30
TOLERANCE = 1e-12
POINTS = 4


class DerivationError(SymgradError):
    """A step whose two sides differ: a bug in symgrad, reported instead of printed."""


@dataclass(frozen=True)
class Step:
    """One claimed equality ``before = after``, the rule that justifies it, and its value at a point."""

    rule: str
    before: Expr
    after: Expr
    note: str = ""
    value: Expr | None = None  # both sides at the derivation's point, exact where possible
    depth: int = 0  # nesting in a derivative-rule tree, for indentation


Resolver = Callable[[Expr], Expr]


@dataclass(frozen=True)
class Derivation:
    """A titled list of steps leading to ``result``, checked by ``resolve`` (see module doc)."""

    title: str
    steps: tuple[Step, ...]
    result: Expr
    variables: tuple[sympy.Symbol, ...]  # the inputs the resolved sides depend on
    partial: bool = False  # print derivatives with ∂ (several inputs)
    notes: tuple[str, ...] = ()  # sentences after the steps (interpretation, conventions)
    point: dict[str, Expr] | None = None
    resolve: Resolver = field(default=lambda e: e.doit(), repr=False, compare=False)
    expression: Expr | None = None  # what was differentiated, in the inputs
    wrt: tuple[str, ...] = ()
    claim: Expr | None = None  # the left side of the one-line answer (d/dx[...], the gradient vector)
    shown: Expr | None = None  # the result as the last step writes it (result itself is SymPy's canonical form)

    def __post_init__(self):
        """``result`` is what programs compare and grade against, in SymPy's canonical form; ``shown`` is the
        same expression as the derivation writes it (the written order, the tidy form)."""
        if self.shown is None:
            object.__setattr__(self, "shown", self.result)
        object.__setattr__(self, "result", plain(self.result))

    # -- rendering ------------------------------------------------------------------------
    def text(self) -> str:
        lines = [self.title]
        for i, s in enumerate(self.steps, start=1):
            value = f"   [{show_value(s.value)}]" if _shows_value(s) else ""
            indent = "  " * s.depth
            lines.append(f"{i:>3}. {indent}{text(s.before, self.partial)} = {text(s.after, self.partial)}"
                         f"   ({s.rule}){value}")
            if s.note:
                lines.append(f"     {indent}{s.note}")
        lines += self.notes
        return "\n".join(lines)

    def latex(self, names: Mapping[str, str] | None = None) -> str:
        """align* fragments (amsmath and amssymb only) that fit a page: see ``layout_rows``. ``names`` are
        the question's own symbols (s for the sigmoid), for the printer and the rule names."""
        return layout_rows([_step_row(s, self.partial, names or {}) for s in self.steps])

    def final(self) -> Derivation:
        """The one-line answer ``claim = result`` (with its value at the point) as a derivation."""
        if self.claim is None:
            return self
        answer = replace(self, steps=(Step("result", self.claim, self.shown),))
        return answer.at(self.point) if self.point else answer

    def _repr_latex_(self) -> str:
        """Typeset math in Jupyter: the steps aligned on =, each with its rule."""
        rows = []
        for s in self.steps:
            value = f" {show_value(s.value, tex=True)}" if _shows_value(s) else ""
            rows.append(rf"{latex(s.before, self.partial)} &= {latex(s.after, self.partial)}{value}"
                        rf" && \text{{{rule_tex(s.rule)}}}")
        return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"

    def to_dict(self) -> dict[str, Any]:
        result = [sympy_syntax(e) for e in self.result] if isinstance(self.result, MatrixBase) else \
            sympy_syntax(self.result)
        return {
            "expression": None if self.expression is None else sympy_syntax(self.expression),
            "wrt": self.wrt[0] if len(self.wrt) == 1 else list(self.wrt),
            "result": result,
            "title": self.title,
            "steps": [
                {"rule": s.rule, "before": sympy_syntax(s.before), "after": sympy_syntax(s.after),
                 **({"value": sympy_syntax(s.value)} if s.value is not None else {}),
                 **({"note": s.note} if s.note else {})}
                for s in self.steps
            ],
            "notes": list(self.notes),
        }

    # -- checking -------------------------------------------------------------------------
    def checked(self, seed: int = 0) -> Derivation:
        """This derivation after every step has been verified; raises DerivationError otherwise."""
        probes = [e for s in self.steps[:1] for e in _entries(self.resolve(s.before))]
        points = sample_points(self.variables, probes, seed)
        known: dict = {}  # one side's value at a point: most sides are also the next step's other side
        for i, s in enumerate(self.steps, start=1):
            verify(s, self.resolve, points, where=f"{self.title}, step {i}", known=known)
        return self

    def at(self, point: dict[str, Expr]) -> Derivation:
        """The same derivation with each step's value at ``point``."""
        subs = {v: point[v.name] for v in self.variables if v.name in point}
        steps = tuple(replace(s, value=_value(self.resolve(s.after), subs)) for s in self.steps)
        return replace(self, steps=steps, point=dict(point))


def show_value(value: Expr, tex: bool = False, names: Mapping[str, str] | None = None) -> str:
    """A step's value by the one number policy (printing.format_exact_and_number): '= -14',
    '= sigma(1) ≈ 0.7311', or '≈ 0.1966' when the exact form is long."""
    style = "latex" if tex else "text"
    if isinstance(value, MatrixBase):
        return f"= {latex(value, names=names) if tex else text(value)}"
    decimal_only = format_number(value, style=style) == format_number(float(thirty_digits(value)), style=style)
    relation = (r"\approx" if tex else "≈") if decimal_only and not value.is_Rational else "="
    return f"{relation} {format_exact_and_number(value, style=style, names=names)}"


# -- page layout ----------------------------------------------------------------------------
# A derivation is printed as align* rows ``before &= after value \tag*{rule}``. The rule is a tag:
# amsmath sets it flush right, or on a line of its own when the row leaves no room for it, so a
# rule never pushes the math off the page. The math itself is measured with a rough estimate of
# its printed width (TeX is not at hand here) against WIDTH, a little less than the text width of
# a numbered part in the documents (11pt, 2 cm margins: 473 pt), and broken when it would not fit:
# a wide row vector is printed as a transposed column, the value goes to a row of its own, a long
# right-hand side goes below its left-hand side, a long sum is broken after a term, and rows whose
# widest left and widest right sides cannot share one alignment go to separate align* blocks.

WIDTH = 420.0  # pt


@dataclass(frozen=True)
class _Row:
    """One step as align* lines: (left cell, right cell) pairs; the rule tags the first line."""

    lines: tuple[tuple[str, str], ...]
    rule: str

    @property
    def left(self) -> float:
        return max(_cell_width(a) for a, _ in self.lines)

    @property
    def right(self) -> float:
        return max(_cell_width(b) for _, b in self.lines)

    def tex(self) -> str:
        first, *rest = [f"{a} &{b}" for a, b in self.lines]
        tag = rf" \tag*{{\small {self.rule}}}" if self.rule else ""
        return " \\\\\n".join([first + tag, *rest])


def _step_row(step: Step, partial: bool, names: Mapping[str, str]) -> _Row:
    """A step's row, broken until it fits WIDTH (see the comment above)."""
    before, after, value = step.before, step.after, step.value if _shows_value(step) else None
    rule = rule_tex(step.rule.replace("σ", names["sigmoid"]) if "sigmoid" in names else step.rule)
    is_sum = not isinstance(after, MatrixBase) and after.is_Add

    def shown(transposed: bool) -> tuple[str, str, str]:
        def side(e):
            if transposed and isinstance(e, MatrixBase):  # a column of full-size entries, transposed
                entries = r" \\[2pt] ".join(rf"\displaystyle {latex(entry, partial, names)}" for entry in e)
                return rf"\begin{{bmatrix}}{entries}\end{{bmatrix}}^{{T}}"
            return latex(e, partial, names)
        if value is None:
            v = ""
        elif transposed and isinstance(value, MatrixBase):
            v = f"= {side(value)}"
        else:
            v = show_value(value, tex=True, names=names)
        return side(before), "= " + side(after), v

    left, right, v = shown(False)
    if tex_width(left) + tex_width(right) + tex_width(v) > WIDTH and _is_row_vector(before, after):
        left, right, v = shown(True)  # [d/dx ..., d/dy ..., ...] one entry a line
    if tex_width(left) + tex_width(right) + tex_width(v) <= WIDTH:
        return _Row(((left, f"{right} {v}".rstrip()),), rule)
    rights = [right, *([v] if v else [])]  # the value on a line of its own
    room = WIDTH - tex_width(left)
    if is_sum and tex_width(right) > room >= WIDTH / 2:
        rights = [*_sum_lines(after, partial, room, names), *rights[1:]]
    if tex_width(left) + max(tex_width(r) for r in rights) <= WIDTH:
        return _Row(((left, rights[0]), *(("", r) for r in rights[1:])), rule)
    # a long left side on a line of its own (in the right column, so that it widens no other row's
    # left side), the right side and the value below it, each broken to fit
    room = WIDTH - tex_width(r"\quad")
    if is_sum and tex_width(right) > room:
        rights = [*_sum_lines(after, partial, room, names), *rights[1:]]
    return _Row((("", _fit(left, WIDTH)), *(("", rf"\quad {_fit(r, room)}") for r in rights)), rule)


_PARBOX = re.compile(r"\\parbox\[t\]\{(\d+)pt\}")


def _fit(tex: str, width: float) -> str:
    """``tex`` as it is when it fits ``width``, else in a paragraph of that width where TeX breaks it
    after a relation or an operator (delimiters made fixed-size so the break can fall inside them)."""
    if tex_width(tex) <= width or r"\begin{" in tex:  # a matrix cannot be broken
        return tex
    breakable = re.sub(r"\\left(?![A-Za-z])", r"\\Bigl", re.sub(r"\\right(?![A-Za-z])", r"\\Bigr", tex))
    return rf"\parbox[t]{{{int(width)}pt}}{{\raggedright $\displaystyle {breakable}$}}"


def _cell_width(cell: str) -> float:
    box = _PARBOX.search(cell)
    return tex_width(cell[:box.start()]) + float(box.group(1)) if box else tex_width(cell)


def _is_row_vector(*sides) -> bool:
    return any(isinstance(e, MatrixBase) and e.rows == 1 and e.cols > 1 for e in sides) and \
        all(not isinstance(e, MatrixBase) or e.rows == 1 for e in sides)


def _sum_lines(expr: Expr, partial: bool, width: float, names: Mapping[str, str]) -> list[str]:
    """``= a + b`` then ``+ c`` ...: a sum broken after the term that would pass ``width``."""

    terms = terms_of(expr)
    lines = ["= " + latex(terms[0], partial, names)]
    for term in terms[1:]:
        sign, shown = ("-", -term) if term.could_extract_minus_sign() else ("+", term)
        piece = f"{sign} {_bracketed(shown, partial, names)}"
        if tex_width(lines[-1]) + tex_width(piece) > width:
            lines.append(rf"\quad {piece}")
        else:
            lines[-1] += f" {piece}"
    return lines


def _bracketed(expr: Expr, partial: bool, names: Mapping[str, str]) -> str:
    body = latex(expr, partial, names)
    return rf"\left({body}\right)" if expr.is_Add else body


def layout_rows(rows: list[_Row]) -> str:
    """align* blocks: rows share one block (and one alignment) while its widest left side and widest
    right side fit together."""
    blocks: list[list[_Row]] = []
    left = right = 0.0
    for row in rows:
        if blocks and max(left, row.left) + max(right, row.right) <= WIDTH:
            blocks[-1].append(row)
            left, right = max(left, row.left), max(right, row.right)
        else:
            blocks.append([row])
            left, right = row.left, row.right
    return "".join("\\begin{align*}\n" + " \\\\\n".join(r.tex() for r in block) + "\n\\end{align*}\n"
                   for block in blocks)


_FORMULA_POWER = re.compile(r"([A-Za-z0-9]+)\^(\([^()]*\)|[A-Za-z0-9]+)")


def rule_tex(rule: str) -> str:
    """A rule's name as LaTeX text: a name that is a formula (e^(-x)/(1 + e^(-x)) = 1 - σ(x)) in math,
    $...$ spans read by the grammar, a power such as e^(-x) in prose as a superscript."""
    from ..parsing.tex import prose_to_latex, text_to_latex

    def formula(piece: str) -> str | None:
        try:
            return text_to_latex(piece)
        except Exception:  # noqa: BLE001 - any failure to read it means: leave it as prose
            return None

    if "$" in rule:
        try:
            return prose_to_latex(rule)
        except Exception:  # noqa: BLE001
            return tex_text(rule)
    sides = rule.split(" = ")
    if len(sides) > 1 and all(tex := [formula(side) for side in sides]):
        return r"$\displaystyle " + " = ".join(tex) + "$"
    out, last = [], 0
    for m in _FORMULA_POWER.finditer(rule):
        power = formula(m.group(0))
        if power is not None:
            out += [tex_text(rule[last:m.start()]), f"${power}$"]
            last = m.end()
    return "".join(out) + tex_text(rule[last:])


# Rough widths in pt of what TexPrinter writes, in display style at 11pt (a little generous).
_GLYPH = 5.8
_SPACED = {"=": 14.9, "+": 13.6, "-": 13.6, r"\approx": 14.9, r"\geq": 14.9, r"\leq": 14.9, r"\cdot": 8.0,
           r"\times": 13.6, r"\odot": 13.6, ">": 14.9, "<": 14.9, r"\neq": 14.9, r"\to": 16.0}
_SPACES = {r"\,": 1.9, r"\:": 2.5, r"\;": 3.1, r"\!": -1.9, r"\quad": 11.0, r"\qquad": 22.0, "\\ ": 3.7}
_NARROW = {"(": 4.4, ")": 4.4, "[": 3.1, "]": 3.1, ",": 5.0, ".": 3.1, "'": 3.0, "|": 3.1, "1": 5.5}
_WORDS = (r"\text", r"\mathrm", r"\operatorname", r"\mathit", r"\mathbf", r"\textbf", r"\mathsf")
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.DOTALL)


@lru_cache(maxsize=16384)
def tex_width(tex: str) -> float:
    """The estimated printed width of ``tex`` in display style (remembered: layout measures a cell often)."""
    return _Measure(_TOKEN.findall(tex)).span(1.0, stop=None)


class _Measure:
    """A tiny reader of the LaTeX our printers write: fractions, scripts, matrices, words."""

    def __init__(self, tokens: list[str]):
        self.tokens, self.i = tokens, 0

    def next(self) -> str | None:
        while self.i < len(self.tokens) and self.tokens[self.i].isspace():
            self.i += 1
        if self.i == len(self.tokens):
            return None
        self.i += 1
        return self.tokens[self.i - 1]

    def group(self, scale: float) -> float:
        """One argument: {...} or a single token."""
        token = self.next()
        if token == "{":
            return self.span(scale, stop="}")
        return self.atom(token, scale) if token else 0.0

    def raw(self) -> str:
        """The text of one {...} argument."""
        token, depth, out = self.next(), 1, []
        if token != "{":
            return token or ""
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                break
            out.append(token)
        return "".join(out)

    def span(self, scale: float, stop: str | None) -> float:
        total = 0.0
        while (token := self.next()) is not None and token != stop:
            total += self.atom(token, scale)
        return total

    def atom(self, token: str, scale: float) -> float:
        small = max(scale * 0.7, 0.5)
        if token in (r"\frac", r"\dfrac", r"\tfrac"):
            inner = scale if scale == 1.0 and token != r"\tfrac" else small
            return max(self.group(inner), self.group(inner)) + 2.4 * scale
        if token in ("^", "_"):
            return self.group(small) + 0.5
        if token in (r"\left", r"\right", r"\big", r"\Big", r"\bigg", r"\Bigg"):
            return self.atom(self.next() or "", scale) * 1.2
        if token == r"\begin":
            self.raw()
            return self.matrix(scale)
        if token in _WORDS:
            return len(self.raw()) * 5.6 * scale
        if token in _SPACED:
            return _SPACED[token] * scale if scale == 1.0 else 8.6 * scale
        if token in _SPACES:
            return _SPACES[token] * scale
        if token in (r"\sin", r"\cos", r"\tan", r"\exp", r"\log", r"\ln", r"\max", r"\min", r"\tanh",
                     r"\sinh", r"\cosh"):
            return (len(token) - 1) * 5.2 * scale + 1.9
        if token in ("&", "{", "}", r"\displaystyle", r"\textstyle", r"\small", r"\limits", r"\nolimits"):
            return 0.0
        return _NARROW.get(token, _GLYPH) * scale

    def matrix(self, scale: float) -> float:
        """bmatrix: columns as wide as their widest entry (in text style), 10 pt apart, and brackets."""
        inner = 1.0 if scale == 1.0 else scale  # entries in text style: same size, smaller fractions
        columns: list[float] = []
        column, width, display = 0, 0.0, False
        while (token := self.next()) is not None:
            if token in ("&", r"\\", r"\end"):
                columns += [0.0] * (column + 1 - len(columns))
                columns[column] = max(columns[column], width)
                width, display = 0.0, False
                column = column + 1 if token == "&" else 0
                if token == r"\end":
                    self.raw()
                    break
                if token == r"\\" and self.i < len(self.tokens) and self.tokens[self.i] == "[":
                    while self.i < len(self.tokens) and self.tokens[self.i] != "]":  # \\[2pt]
                        self.i += 1
                    self.i += 1
                continue
            display = display or token == r"\displaystyle"
            if token in (r"\frac", r"\dfrac") and not display:
                token = r"\tfrac"
            width += self.atom(token, inner)
        return sum(columns) + 10.0 * (len(columns) - 1) + 9.0 * scale


def _shows_value(step: Step) -> bool:
    """A value is worth printing unless the right-hand side already is that number."""
    return step.value is not None and step.value != step.after


def _value(expr: Expr, subs: dict) -> Expr | None:
    value = (expr.doit() if expr.has(DerivativeAt) else expr).xreplace(subs)
    if value.free_symbols or value.has(sympy.zoo, sympy.nan):
        return None
    return value if not value.has(sympy.Derivative) else None


def _numeric(expr: Expr, point: dict) -> complex | None:
    """expr's value at the point: by the evaluation table in mpmath (fast), else by SymPy's evalf, which
    also gives complex values and evaluates what the table has no row for; None where it has none."""
    with mpmath.workdps(PRECISION):
        try:
            return complex(evaluate(expr, _mp_point(point)))
        except (NotReal, Unsupported):
            pass
        except Undefined:
            return None
    return _evalf(expr, point)


def _mp_point(point: dict) -> dict:
    return {k: mpmath.mpf(v._mpf_) if isinstance(v, Float) else v for k, v in point.items()}


def _evalf(expr: Expr, point: dict) -> complex | None:
    value = (expr.doit() if expr.has(DerivativeAt) else expr).xreplace(point).evalf(PRECISION)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or value.free_symbols or not value.is_number:
        return None
    try:
        return complex(value)
    except TypeError:
        return None


def _identical(before: Expr, after: Expr) -> bool:
    """Exactly equal, a derivative at a point included: for steps with no point to compare them at."""
    difference = (before - after).doit()
    return sympy.expand(difference) == 0 or sympy.simplify(difference) == 0


def _complex(z) -> str:
    """A value in a failed check's message: 12 significant digits by the one number policy."""
    z = complex(z)
    return format_number(z.real, digits=12) + (f" + {format_number(z.imag, digits=12)}i" if z.imag else "")


def sample_points(variables: Sequence[sympy.Symbol], probes: Sequence[Expr], seed: int = 0) -> list[dict]:
    """Random points where the probes are defined and real: first in [-2, 2], then in (0, 3]."""
    rng = random.Random(seed)
    found: list[dict] = []
    for low, high in ((-2.0, 2.0), (0.1, 3.0)):
        for _ in range(40):
            point = {v: Float(rng.uniform(low, high), PRECISION) for v in variables}
            values = [_numeric(p, point) for p in probes]
            if all(v is not None and abs(v.imag) < 1e-20 for v in values):
                found.append(point)
            if len(found) >= POINTS:
                return found
    return found


def _entries(expr) -> list[Expr]:
    return list(expr) if isinstance(expr, MatrixBase) else [expr]


def verify(step: Step, resolve: Resolver, points: list[dict], where: str, known: dict | None = None) -> None:
    """Raise DerivationError unless both sides of ``step`` agree at the points (or are identical).
    ``known`` remembers values by (side, point number) across the steps of one derivation."""
    before, after = resolve(step.before), resolve(step.after)
    if isinstance(before, MatrixBase) or isinstance(after, MatrixBase):
        if _entries(before) == _entries(after):
            return
        if len(_entries(before)) != len(_entries(after)):
            raise DerivationError(f"{where} ({step.rule}): the two sides have different shapes")
        for i, (b, a) in enumerate(zip(_entries(before), _entries(after))):
            verify(Step(step.rule, b, a), lambda e: e, points, f"{where}, entry {i + 1}")
        return
    if before == after:
        return
    compared = 0  # at the points first: 30 digits decide at once what expanding a product takes long to
    known = {} if known is None else known
    for i, point in enumerate(points):
        for side in (before, after):
            if (side, i) not in known:
                known[side, i] = _numeric(side, point)
        a, b = known[before, i], known[after, i]
        if a is None or b is None:
            continue
        compared += 1
        if abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b)):
            shown = ", ".join(f"{k} = {format_number(v)}" for k, v in point.items())
            raise DerivationError(
                f"{where} ({step.rule}) does not hold at {shown}: "
                f"{text(step.before)} = {_complex(a)} but {text(step.after)} = {_complex(b)}"
            )
    if compared == 0 and not _identical(before, after):
        raise DerivationError(f"{where} ({step.rule}) could not be checked at any point")
