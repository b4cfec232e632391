"""Chain-rule derivations over a staged program, and gradients with their interpretation.

For a program (f = 4 f1^2, f1 = f2 - 2, f2 = 5x^3 - x + 1) the derivative of the output with
respect to an input is a sum over the paths from the output down to that input of the product
of the local partials along the path: one path is the single-variable chain rule
(df/dx = df/df1 · df1/df2 · df2/dx), several are the multivariate chain rule
(df/du = ∂f/∂x ∂x/∂u + ∂f/∂y ∂y/∂u). Each partial, each path's term, the sum, the substitution
back into the inputs and the final form are steps, checked like every other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

import sympy
from sympy import Derivative, Expr, ImmutableMatrix, Symbol

from ..errors import SymgradError
from ..functions import DerivativeAt
from ..parsing import Program, symbol
from ..printing import format_number, text
from ..written import plain, plus, put, times
from .core import Derivation, Step
from .rules import derive, diff_steps, rules_name
from .tidy import simplification


class _Definitions:
    """The program's names: each one's definition, and its full expression in the inputs."""

    def __init__(self, program: Program):
        self.inputs = {n: symbol(n) for n in program.inputs}
        self.defs: dict[Symbol, Expr] = {}
        self.full: dict[Symbol, Expr] = {}
        for a in program.assignments:
            name = symbol(a.name)
            self.defs[name] = a.expr
            self.full[name] = a.expr.xreplace(self.full)
        self.output = symbol(program.output)
        self._resolved: dict[Expr, Expr] = {}
        self._meanings: dict[Derivative, Expr] = {}

    def deps(self, name: Symbol) -> list[Symbol]:
        """Direct dependencies in a fixed order: intermediate names first, then inputs, by name."""
        free = self.defs[name].free_symbols
        return sorted(free, key=lambda s: (s not in self.defs, s.name))

    def leads_to(self, node: Symbol, target: Symbol) -> bool:
        if node == target:
            return True
        return node in self.defs and any(self.leads_to(d, target) for d in self.deps(node))

    def paths(self, node: Symbol, target: Symbol) -> list[list[Symbol]]:
        if node == target:
            return [[node]]
        if node not in self.defs:
            return []
        return [[node, *rest] for d in self.deps(node) if self.leads_to(d, target) for rest in self.paths(d, target)]

    def resolve(self, expr: Expr) -> Expr:
        """Derivative(a, b): the partial of a's definition if b is an intermediate name, the total
        derivative of a if b is an input; then inputs only (each side resolved once: a derivation's
        checks and its values at a point ask again). The claim, d output / d input, is a derivative at
        a point (functions.DerivativeAt): the checks evaluate it by central differences of the whole
        expression, an independent reference that needs no symbolic derivative of it per student (its
        value at a point is exact, its doit); the partials, small, are differentiated by SymPy."""
        if expr not in self._resolved:
            resolved = expr.replace(lambda e: isinstance(e, Derivative), self._meaning)
            self._resolved[expr] = resolved.xreplace(self.full)
        return self._resolved[expr]

    def _meaning(self, d: Derivative) -> Expr:
        if d not in self._meanings:
            a, (b, _count) = d.expr, d.variable_count[0]
            if a == self.output and b not in self.defs:
                self._meanings[d] = DerivativeAt.of(self.full[a], b)
            elif b in self.defs:
                self._meanings[d] = sympy.diff(self.defs[a], b) if a in self.defs else sympy.S.Zero
            else:
                self._meanings[d] = sympy.diff(self.full.get(a, a), b)
        return self._meanings[d]


@lru_cache(maxsize=64)
def _definitions(program: Program) -> _Definitions:
    """One program's definitions, shared by its derivations (∂f/∂u and ∂f/∂v resolve the same partials)."""
    return _Definitions(program)


def chain_steps(program: Program, wrt: str, point: Mapping[str, Expr] | None = None) -> Derivation:
    """d output / d wrt through the program's intermediate names, path by path (built and checked once
    per program: a worksheet and its answer key ask for the same derivation)."""
    derivation = _chain_steps(program, wrt)
    return derivation.at(dict(point)) if point else derivation


@lru_cache(maxsize=256)
def _chain_steps(program: Program, wrt: str) -> Derivation:
    d = _definitions(program)
    if wrt not in d.inputs:
        raise SymgradError(f"'{wrt}' is not an input of the program (inputs: {', '.join(program.inputs)})")
    w, out = d.inputs[wrt], d.output
    paths = d.paths(out, w)
    multivariate = len(paths) > 1 or len(program.inputs) > 1
    terms = [times(*(Derivative(a, b) for a, b in zip(p, p[1:]))) for p in paths]
    chain = plus(*terms)
    rule = "multivariate chain rule" if len(paths) > 1 else "chain rule"
    steps = [Step(rule, Derivative(out, w), chain,
                  "sum over the paths from the output to the input of the product of partials"
                  if len(paths) > 1 else "multiply the derivatives along the chain")]
    partials: dict[Derivative, Expr] = {}
    for p in paths:
        for a, b in zip(p, p[1:]):
            key = Derivative(a, b)
            if key in partials:
                continue
            node = derive(d.defs[a], b)
            partials[key] = plain(node.result)  # a partial in one line: as evaluated (8 f1, not 4·2 f1)
            steps.append(Step(rules_name(node), key, partials[key], f"{text(a)} = {text(d.defs[a])}"))
    values = [plain(put(t, partials)) for t in terms]
    if len(terms) > 1:
        for term, value in zip(terms, values):
            steps.append(Step("product of partials along a path", term, value))
    in_names = plus(*values)
    steps.append(Step("substitution", Derivative(out, w), in_names, "put in the partials"))
    in_inputs = put(in_names, d.full)
    if in_inputs != in_names:
        names = ", ".join(f"{text(n)} = {text(d.full[n])}" for n in d.defs if n in in_names.free_symbols)
        steps.append(Step("substitution", in_names, in_inputs, f"write the intermediates in the inputs: {names}"))
    result = in_inputs
    last, result = simplification(result)
    steps += last
    title = f"{'∂' if multivariate else 'd'}{out.name}/{'∂' if multivariate else 'd'}{wrt} by the {rule}"
    return Derivation(title, tuple(steps), result, tuple(d.inputs.values()), partial=multivariate,
                      resolve=d.resolve, expression=d.full[out], wrt=(wrt,), claim=Derivative(out, w)).checked()


def _sensitivity(var: str, out: str, slope: Expr) -> str:
    if slope == 0:
        return (f"changing {var} by a small ε leaves {out} unchanged to first order: "
                f"{out} is not sensitive to {var} here")
    direction = "increases" if slope > 0 else "decreases"
    shown = format_number(slope)
    amount = {1: "ε", -1: "-ε"}.get(slope, f"({shown})ε" if "/" in shown else f"{shown}ε")  # (4/3)ε, not 4/3ε
    rate = "as fast as" if abs(slope) == 1 else f"{format_number(abs(slope))} times as fast as"
    return f"increasing {var} by a small ε changes {out} by about {amount} ({out} {direction} {rate} {var})"


def gradient_steps(expr: Expr, point: Mapping[str, Expr] | None = None, output: str = "f") -> Derivation:
    """Every partial derivative with its rule steps, the gradient vector, and what it means at a point
    (the steps built and checked once per expression; a point adds values and sensitivities)."""
    derivation = _gradient_steps(expr, output)
    if not point:
        return derivation
    variables = derivation.variables
    subs = {v: point[v.name] for v in variables}
    where = ", ".join(f"{v.name} = {format_number(point[v.name])}" for v in variables)
    notes = [f"At {where}: {_sensitivity(v.name, output, p.xreplace(subs))}." for v, p in
             zip(variables, derivation.result)]
    return replace(derivation, notes=(*derivation.notes, *notes)).at(dict(point))


@lru_cache(maxsize=256)
def _gradient_steps(expr: Expr, output: str) -> Derivation:
    variables = sorted(expr.free_symbols, key=lambda s: s.name)
    steps: list[Step] = []
    partials = []
    for v in variables:
        one = diff_steps(expr, v)
        steps += [s for s in one.steps]
        partials.append(one.result)
    steps.append(Step("gradient: the vector of partial derivatives",
                      ImmutableMatrix([[Derivative(expr, v) for v in variables]]), ImmutableMatrix([partials])))
    notes: list[str] = []
    if expr.atoms(sympy.Max, sympy.Min):
        notes.append("Where the arguments of max tie, max is not differentiable; symgrad gives the whole "
                     "gradient to the first argument (1(x >= y) for x, 1(y > x) for y). Any split "
                     "(t, 1 - t) with 0 <= t <= 1 is a subgradient and works for gradient descent.")
    if expr.atoms(sympy.Function) and any(type(f).__name__ == "relu" for f in expr.atoms(sympy.Function)):
        notes.append("relu is not differentiable at 0; symgrad uses relu'(0) = 0.")
    title = f"gradient of {output}({', '.join(v.name for v in variables)}) = {text(expr)}"
    claim = ImmutableMatrix([[Derivative(expr, v) for v in variables]])
    return Derivation(title, tuple(steps), ImmutableMatrix([partials]), tuple(variables),
                      partial=len(variables) > 1, notes=tuple(notes), expression=expr,
                      wrt=tuple(v.name for v in variables), claim=claim).checked()
