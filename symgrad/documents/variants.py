"""A different exercise for every student: randomized numbers, parameters and expression families,
drawn deterministically from (seed, student id, problem id) and redrawn until the constraints hold.

In a bank file any number may be ``{range: [lo, hi]}`` (whole numbers, or a grid with ``step``) or
``{choice: [...]}``; ``params: {a: {range: [2, 5]}}`` names values that text fields use as ``{a}``;
``family: {depth: 2, gates: [add, mul], inputs: 2, fanout: true}`` draws the expression of a staged
problem. ``constraints: {nice: true, distinct: true}`` asks for values with at most two decimals
(where the gates keep values rational) and for inputs that differ.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from collections.abc import Mapping
from fractions import Fraction
from functools import cache, partial
from typing import Any

import sympy

from ..errors import SymgradError
from ..gates import FUNCTIONS as FUNCTION_ROWS

TRIES = 200
# The gates a family may draw: the operators, and every one-argument function of gates.FUNCTIONS.
GATES = {
    "add": ("({a} + {b})", 2), "sub": ("({a} - {b})", 2), "mul": ("{a}*{b}", 2), "square": ("({a})^2", 1),
    "max": ("max({a}, {b})", 2),
    **{f.name: (f"{'s' if f.name == 'sigmoid' else f.names[0]}({{a}})", 1) for f in FUNCTION_ROWS
       if f.gate and f.arity[0] == 1},
}
RATIONAL_GATES = {"add", "sub", "mul", "square", "max"} | {f.name for f in FUNCTION_ROWS if f.rational}
INPUT_NAMES = ("x", "y", "z", "w")


class VariantError(SymgradError):
    """A problem whose constraints no draw could meet, or a malformed random spec."""


def rng_for(seed: int | str, student: str, problem_id: str) -> random.Random:
    """The same (seed, student, problem) gives the same stream on any machine and Python version."""
    digest = hashlib.sha256(f"{seed}\x00{student}\x00{problem_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _index(rng: random.Random, n: int) -> int:
    if isinstance(rng, _Script):
        return rng.pick(n)
    return min(n - 1, int(rng.random() * n))  # random() is the one generator promised stable across versions


class _Script:
    """Stands in for the generator to make given choices (the first option after them), recording how
    many options each draw had: walking every sequence of choices enumerates a problem's variants."""

    def __init__(self, choices: tuple[int, ...] = ()):
        self.choices, self.sizes = choices, []

    def pick(self, n: int) -> int:
        i = self.choices[len(self.sizes)] if len(self.sizes) < len(self.choices) else 0
        self.sizes.append(n)
        return i


def is_spec(value: Any) -> bool:
    return isinstance(value, Mapping) and (set(value) <= {"range", "step"} and "range" in value
                                           or set(value) == {"choice"})


def draw(spec: Mapping, rng: random.Random, where: str) -> Fraction:
    """A number from ``{range: [lo, hi], step: s}`` or ``{choice: [...]}``, exactly."""
    if "choice" in spec:
        options = spec["choice"]
        if not isinstance(options, list) or not options:
            raise VariantError(f"{where}: choice needs a non-empty list")
        return _exact(options[_index(rng, len(options))], where)
    bounds = spec["range"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise VariantError(f"{where}: range needs [low, high]")
    low, high = _exact(bounds[0], where), _exact(bounds[1], where)
    step = _exact(spec.get("step", 1), where)
    if step <= 0 or high < low:
        raise VariantError(f"{where}: range needs low <= high and a positive step")
    count = int((high - low) / step) + 1
    return low + step * _index(rng, count)


def _exact(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise VariantError(f"{where}: expected a number, not {value!r}")
    try:
        return Fraction(str(value))
    except ValueError:
        raise VariantError(f"{where}: expected a number, not {value!r}") from None


def show(number: Fraction) -> str | int:
    """A drawn number as the bank writes numbers: 3, 0.25, or '1/3'."""
    if number.denominator == 1:
        return int(number.numerator)
    if 10**6 % number.denominator == 0:
        return str(float(number))
    return f"{number.numerator}/{number.denominator}"


def random_expression(rng: random.Random, family: Mapping, where: str) -> str:
    """An expression of a given depth from the allowed gates over the first ``inputs`` names."""
    depth = int(family.get("depth", 2))
    gates = list(family.get("gates", ["add", "mul", "sub"]))
    inputs = INPUT_NAMES[: int(family.get("inputs", 2))]
    unknown = [g for g in gates if g not in GATES]
    if unknown or not gates or not 1 <= depth <= 5 or not inputs:
        raise VariantError(f"{where}: family needs depth 1-5, 1-4 inputs and gates from {', '.join(GATES)}")

    def build(level: int) -> str:
        if level == 0:
            return inputs[_index(rng, len(inputs))]
        template, arity = GATES[gates[_index(rng, len(gates))]]
        return template.format(a=build(level - 1), b=build(level - 1) if arity == 2 else "")

    for _ in range(TRIES):
        text = build(depth)
        used = [n for n in inputs if re.search(rf"\b{n}\b", text)]
        counts = [len(re.findall(rf"\b{n}\b", text)) for n in used]
        if len(used) == len(inputs) and (not family.get("fanout") or max(counts) > 1):
            return text
    raise VariantError(f"{where}: no expression of this family uses every input"
                       + (" twice" if family.get("fanout") else ""))


def concretize(raw: Mapping, rng: random.Random) -> dict:
    """One draw of a problem's YAML: params, placeholders, number specs and the expression family."""
    pid = raw.get("id", "?")
    params = raw.get("params", {}) or {}
    if not isinstance(params, Mapping):
        raise VariantError(f"problem '{pid}': field 'params': expected a mapping of names to ranges")
    values = {name: show(draw(spec, rng, f"problem '{pid}': params.{name}")) for name, spec in params.items()}

    def fill(node: Any, where: str) -> Any:
        if is_spec(node):
            return show(draw(node, rng, f"problem '{pid}': {where}"))
        if isinstance(node, Mapping):
            return {k: fill(v, f"{where}.{k}" if where else k) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, str) and values:
            return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), node)
        return node

    out = {k: fill(copy.deepcopy(v), k) for k, v in raw.items() if k not in ("params", "family")}
    if "family" in raw:
        out["expression"] = random_expression(rng, raw["family"], f"problem '{pid}': family")
    return out


def is_random(raw: Mapping) -> bool:
    def walk(node: Any) -> bool:
        if is_spec(node):
            return True
        if isinstance(node, Mapping):
            return any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    return "params" in raw or "family" in raw or walk({k: v for k, v in raw.items() if k != "constraints"})


def _nice(value) -> bool:
    if value is None or value.exact is None or not value.exact.is_Rational:
        return False
    return 100 % value.exact.q == 0 and abs(value.exact) <= 1000


SATURATED = 0.05  # an activation whose derivative is below 5% of its largest value has stopped learning
SMALLEST = 1e-3  # a nonzero gradient entry below this is hidden by the grading tolerance


@cache
def _saturation(name: str):
    """The slope |f'(z)| of a sigmoid-like activation (one that saturates on both sides: sigmoid, tanh) and
    the slope under which it counts as saturated (5% of f'(0)); None for any other function."""
    from ..nets import ACTIVATIONS

    row = ACTIVATIONS.get(name)
    if row is None or name == "identity":
        return None
    slope = partial(_slope, row)
    top = slope(0)
    if slope(8) < SATURATED * top and slope(-8) < SATURATED * top:
        return slope, SATURATED * top
    return None


def _network_instance(problem) -> str | None:
    """Why a network's drawn instance is a poor exercise, or None: identical rows (two units computing the
    same thing), zero entries (paths that vanish), a pre-activation on relu's kink or in a saturated
    sigmoid/tanh, or a nonzero gradient so small that 0 would pass for it."""
    from ..nets import rows_identical

    weights, bias, x, _ = problem.instance()
    for layer, w in enumerate(weights, start=1):
        if w.rows > 1 and rows_identical(sympy.Matrix(w)):
            return f"W{layer} has two identical rows"
    if any(e == 0 for m in (*weights, *(b for b in bias if b is not None), x) for e in sympy.Matrix(m)):
        return "a weight, bias or input is zero"
    saturated = _saturated_in_floats(problem)
    if saturated:
        return saturated
    net, t = problem.network, problem.trace()
    for layer, name in enumerate(net.activations, start=1):
        saturation = _saturation(name)
        for z in t.z[layer - 1]:
            if name in KINKED and z == 0:
                return f"a pre-activation of layer {layer} sits on {name}'s kink"
            if saturation and saturation[0](z) < saturation[1]:
                return f"layer {layer}'s {name} is saturated (z = {float(z):.3g})"
    for m in (*t.delta, *t.grad_w):
        if any(0 < abs(float(e)) < SMALLEST for e in m):
            return "a gradient entry is too small to grade"
    return None


def _saturated_in_floats(problem) -> str | None:
    """The forward pass in floats, layer by layer, for a saturated sigmoid or tanh, before the 30-digit
    passes of both directions: most rejected draws are rejected here, for a fraction of their cost. A
    draw is rejected only by a margin (1e-9 of the slope) far above the floats' rounding, so the draws
    kept are those the 30-digit test keeps, which then checks every other rule."""
    from ..nets import ACTIVATIONS

    weights, bias, x, _ = problem.instance()
    a = [float(e) for e in x]
    for layer, name in enumerate(problem.network.activations, start=1):
        w, b = weights[layer - 1], bias[layer - 1]
        z = [sum(float(w[i, j]) * a[j] for j in range(w.cols)) + (float(b[i]) if b is not None else 0.0)
             for i in range(w.rows)]
        saturation = _saturation(name)
        for zi in z:
            if saturation and saturation[0](zi) < saturation[1] * (1 - 1e-9):
                return f"layer {layer}'s {name} is saturated (z = {zi:.3g})"
        if name not in ACTIVATIONS:  # softmax: the 30-digit passes decide
            return None
        a = [float(ACTIVATIONS[name].f(sympy.Float(zi))) for zi in z]
    return None


def _slope(row, z) -> float:
    return abs(float(row.df(sympy.Float(z), row.f(sympy.Float(z)))))


KINKED = {f.name for f in FUNCTION_ROWS if f.kinks}


def _saturated_gate(solution) -> str | None:
    """A sigmoid or tanh of a staged computation whose argument sits where it is saturated (the same rule
    as a network's layer), at any granularity: every gradient through it is close to 0."""
    g = solution.graph
    at = {g.symbols[n]: solution.value(n).exact if solution.value(n).exact is not None else solution.value(n).approx
          for n in g.inputs}
    for call in sorted(g.source.atoms(sympy.Function), key=sympy.default_sort_key):
        name = getattr(call.func, "__name__", "")
        saturation = _saturation(name) if len(call.args) == 1 else None
        if saturation is None:
            continue
        z = float(call.args[0].xreplace(at))
        if saturation[0](z) < saturation[1]:
            return f"the {name} of {call.args[0]} is saturated (its argument is {z:.3g})"
    return None


def _rounds_to_zero(problem) -> str | None:
    """A numeric answer that is not 0 but that 0 would match at the precision asked (0.0009 at two
    decimals): the student could answer 0, or a neighbour's answer, without the skill. Only a staged
    problem's values and gradients are graded to a number of decimals (the other kinds' numbers are
    exact or, for networks, relative); they are read from its passes, in floats."""
    from ..check import TWO_DECIMALS

    if problem.kind != "staged" or not problem.point:
        return None
    s = problem.solution()
    names = (*s.graph.inputs, *(st.name for st in s.graph.stages))
    numbers = [(f"{what}.{n}", v.approx) for n in names
               for what, v in (("value", s.value(n)), ("grad", s.grad(n))) if v is not None and v.approx is not None]
    for item, number in numbers:
        value = abs(float(number))
        if 0 < value <= TWO_DECIMALS.allows(value):
            return f"{item} = {value:.3g} rounds to 0 at {TWO_DECIMALS.describe()}"
    return None


# What each constraint is called in a stress report, from the reason a draw was rejected.
CONSTRAINTS = (("two inputs are equal", "distinct"), ("short decimal", "nice"), ("saturated", "saturated"),
               ("rounds to 0", "rounds to 0"), ("too small to grade", "rounds to 0"),
               ("identical rows", "identical rows"), ("is zero", "zero entry"), ("kink", "kink"),
               ("is not an input", "input cancels"))


def constraint_of(reason: str) -> str:
    """The constraint a rejection reason names (a draw that fails to solve: "error")."""
    return next((name for phrase, name in CONSTRAINTS if phrase in reason), "error")


def meets_constraints(problem, constraints: Mapping) -> str | None:
    """None when the variant is a good exercise, else why not: equal inputs (distinct), values that are not
    short decimals where the gates keep them rational (nice), a saturated sigmoid or tanh, an answer that
    rounds to 0 without being 0, and a network instance's own rules."""
    if problem.kind == "network" and constraints.get("nice", True) and {"forward", "backward"} & set(problem.parts):
        return _network_instance(problem)
    point = problem.data.get("point")
    if point and constraints.get("distinct", True) and len(set(point.values())) < len(point):
        return "two inputs are equal"
    if problem.kind == "staged" and point:
        s = problem.solution()
        if constraints.get("nice", True) and {st.op for st in s.graph.stages} <= RATIONAL_OPS:
            nodes = (*s.graph.inputs, *(st.name for st in s.graph.stages))
            if not all(_nice(s.value(n)) and _nice(s.grad(n)) for n in nodes):
                return "a forward or backward value is not a short decimal"
        saturated = _saturated_gate(s)
        if saturated:
            return saturated
    if problem.kind in NUMERIC_KINDS and (point or problem.kind != "staged"):
        return _rounds_to_zero(problem)
    return None


NUMERIC_KINDS = {"staged", "hadamard"}  # kinds whose keys are numbers within a tolerance (networks: above)
RATIONAL_OPS = {"add", "sub", "mul", "neg", "pow", "dot", "max", "min", "id", "const"} | \
    {f.name for f in FUNCTION_ROWS if f.rational}


# -- how many distinct variants a problem can make --------------------------------------------------
EXACT_LIMIT = 2000  # a space of at most this many draws is walked draw by draw and counted exactly
SAMPLES = 60  # draws that estimate the share meeting the constraints in a larger space


class Space(int):
    """How many distinct variants a problem can make: counted (``exact``) or estimated."""

    exact: bool = True

    def __new__(cls, count: int, exact: bool = True) -> Space:
        space = super().__new__(cls, max(1, int(count)))
        space.exact = exact
        return space

    def __str__(self) -> str:
        return f"{int(self)}" if self.exact else f"about {_round(int(self))}"


def _round(n: int) -> str:
    """Two significant figures: an estimate claims no more."""
    return str(n) if n < 100 else f"{float(f'{n:.2g}'):,.0f}"


def _family_expressions(family: Mapping, where: str) -> list[str] | int:
    """Every expression a family can draw (uses every input, twice where fanout): the list, or its tree count
    when walking it would be long."""
    depth = int(family.get("depth", 2))
    gates = list(family.get("gates", ["add", "mul", "sub"]))
    inputs = INPUT_NAMES[: int(family.get("inputs", 2))]
    if any(g not in GATES for g in gates) or not gates or not 1 <= depth <= 5 or not inputs:
        random_expression(random.Random(0), family, where)  # raises its error
    count = len(inputs)
    for _ in range(depth):
        count = sum(count ** GATES[g][1] for g in gates)
    if count > 50 * EXACT_LIMIT:
        return count

    def trees(level: int):
        if level == 0:
            yield from inputs
            return
        for g in gates:
            template, arity = GATES[g]
            for a in trees(level - 1):
                for b in (trees(level - 1) if arity == 2 else [""]):
                    yield template.format(a=a, b=b)

    found = set()
    for text in trees(depth):
        counts = [len(re.findall(rf"\b{n}\b", text)) for n in inputs]
        if min(counts) > 0 and (not family.get("fanout") or max(counts) > 1):
            found.add(text)
    return sorted(found)


