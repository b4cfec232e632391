"""Steps as data: each step claims an equation between SymPy objects, names its rule, and is checked.

A Derivation is what every kind of step-by-step solution returns (derivative rules, chain rule
over a program, backpropagation, identities). Before a Derivation is handed out, every claimed
equality is resolved into the inputs alone by the derivation's own resolver (the meaning of
``df/dg`` differs between a chain-rule derivation and a backward pass) and compared at random
points in 30-digit arithmetic; a step that fails raises DerivationError: it is a bug, never shown.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy
from sympy import Expr, Float
from sympy.matrices import MatrixBase

from ..errors import SymgradError
from ..printing import latex, sympy_syntax, tex_text, text

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

    def latex(self) -> str:
        """An align* fragment (needs amsmath and amssymb)."""
        rows = []
        for s in self.steps:
            value = f" {show_value(s.value, tex=True)}" if _shows_value(s) else ""
            rule = tex_text(s.rule)
            rows.append(
                rf"{latex(s.before, self.partial)} &= {latex(s.after, self.partial)}{value}"
                rf" && \text{{{rule}}}"
            )
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"

    def final(self) -> Derivation:
        """The one-line answer ``claim = result`` (with its value at the point) as a derivation."""
        if self.claim is None:
            return self
        answer = replace(self, steps=(Step("result", self.claim, self.result),))
        return answer.at(self.point) if self.point else answer

    def _repr_latex_(self) -> str:
        """Typeset math in Jupyter: the steps aligned on =, each with its rule."""
        rows = []
        for s in self.steps:
            value = f" {show_value(s.value, tex=True)}" if _shows_value(s) else ""
            rows.append(rf"{latex(s.before, self.partial)} &= {latex(s.after, self.partial)}{value}"
                        rf" && \text{{{tex_text(s.rule)}}}")
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
        for i, s in enumerate(self.steps, start=1):
            verify(s, self.resolve, points, where=f"{self.title}, step {i}")
        return self

    def at(self, point: dict[str, Expr]) -> Derivation:
        """The same derivation with each step's value at ``point``."""
        subs = {v: point[v.name] for v in self.variables if v.name in point}
        steps = tuple(replace(s, value=_value(self.resolve(s.after), subs)) for s in self.steps)
        return replace(self, steps=steps, point=dict(point))


def show_value(value: Expr, tex: bool = False) -> str:
    """'= exact' when short (with '≈ decimal' unless rational), else '≈ decimal'."""
    exact = latex(value) if tex else text(value)
    approx_sign = r"\approx" if tex else "≈"
    if isinstance(value, MatrixBase) or value.is_Rational:
        return f"= {exact}"
    approx = f"{float(value.evalf(PRECISION)):.6g}"
    if len(text(value)) <= 30:
        return f"= {exact} {approx_sign} {approx}"
    return f"{approx_sign} {approx}"


def _shows_value(step: Step) -> bool:
    """A value is worth printing unless the right-hand side already is that number."""
    return step.value is not None and step.value != step.after


def _value(expr: Expr, subs: dict) -> Expr | None:
    value = expr.xreplace(subs)
    if value.free_symbols or value.has(sympy.zoo, sympy.nan):
        return None
    return value if not value.has(sympy.Derivative) else None


def _numeric(expr: Expr, point: dict) -> complex | None:
    value = expr.xreplace(point).evalf(PRECISION)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or value.free_symbols or not value.is_number:
        return None
    try:
        return complex(value)
    except TypeError:
        return None


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


def verify(step: Step, resolve: Resolver, points: list[dict], where: str) -> None:
    """Raise DerivationError unless both sides of ``step`` agree at the points (or are identical)."""
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
    if sympy.expand(before - after) == 0:
        return
    compared = 0
    for point in points:
        a, b = _numeric(before, point), _numeric(after, point)
        if a is None or b is None:
            continue
        compared += 1
        if abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b)):
            shown = ", ".join(f"{k} = {float(v):.6g}" for k, v in point.items())
            raise DerivationError(
                f"{where} ({step.rule}) does not hold at {shown}: "
                f"{sympy_syntax(step.before)} = {complex(a):.12g} but {sympy_syntax(step.after)} = {complex(b):.12g}"
            )
    if compared == 0 and sympy.simplify(before - after) != 0:
        raise DerivationError(f"{where} ({step.rule}) could not be checked at any point")
