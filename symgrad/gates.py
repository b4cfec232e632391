"""The gate table: one row per kind of stage, holding everything each later pass needs to know.

A row says how to build the stage's expression from its arguments, its local derivatives
(written, as the seeds write them, in the arguments and the stage's own output: d exp(a)/da = out),
its label in a graph picture, its descriptive name, and the differentiation rule it stands for.
Adding a gate is adding a row here and, if SymPy spells it differently, a line in graph.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import sympy
from sympy import Expr, Heaviside, S

from .errors import StagingError
from .functions import LEAKY_SLOPE, elu, gelu, leaky_relu, relu, sigmoid, silu, softplus

Args = Sequence[Expr]
Params = tuple[Expr, ...]


@dataclass(frozen=True)
class Gate:
    """One kind of stage. ``args`` are the stage's inputs, ``params`` its constants."""

    name: str
    rule: str  # the differentiation rule a derivation names for this gate
    build: Callable[[Args, Params], Expr]
    local: Callable[[Args, Expr, Params], tuple[Expr, ...]]  # d out / d arg_i, may use out
    label: Callable[[Params], str]  # text on the gate in a graph picture
    word: Callable[[Sequence[str], Params], str]  # descriptive name from argument names


@dataclass(frozen=True)
class Function:
    """Everything about one function a user may type: the single home of its facts.

    Every other table derives from these rows: the parser's names and arities, both grammars' name
    lists, the LaTeX reader and printer, the Python listing, the evaluator, the gate (its local
    derivative, rule and label), the network activations. ``cls`` is the SymPy class (or, for a
    spelling such as log10, the constructor: then it has no gate of its own)."""

    name: str  # the canonical name, which is also the gate's
    cls: Callable[..., Expr]
    names: tuple[str, ...]  # typed in plain text
    tex_names: tuple[str, ...]  # read in LaTeX (without the backslash): arctan, operatorname{softplus}
    mp: Callable | None  # the mpmath evaluator (None: the constructor builds other nodes)
    derivative: Callable[[Expr, Expr], Expr] | None = None  # d f(u)/du from u and the output f(u)
    rule: str = ""  # the step rule that names it in a derivation
    formula: str = ""  # the rule's formula, shown as the step's note
    arity: tuple[int, int | None] = (1, 1)
    rational: bool = False  # keeps rational arguments rational (relu, abs, max)
    kinks: tuple[Expr, ...] = ()  # arguments where it is not differentiable
    label: str = ""  # on a gate in a graph picture (default: the name)
    prefix: str = ""  # of a stage's descriptive name (sigx for sigmoid(x))
    activation: str = ""  # its derivative as an activation, in its output {a} or input {z} (LaTeX)
    growth: str = ""  # "exponential" or "periodic": the evaluator guards its argument's size
    python: str = ""  # Python for a function of ours, over its arguments {0}, {1} (SymPy prints the others)
    defaults: tuple[str, ...] = ()  # Python for the arguments a user may leave out (elu's a = 1)
    tex: str = ""  # the LaTeX command printed (default: the first LaTeX name)

    @property
    def tex_command(self) -> str:
        """The LaTeX a printer writes before the argument: \\arctan, \\operatorname{softplus}."""
        return self.tex or ("\\" + self.tex_names[0] if self.tex_names else rf"\operatorname{{{self.name}}}")

    @property
    def gate(self) -> bool:
        """A class of its own in SymPy's trees (asin), not a spelling of other nodes (log10 = log/log 10)."""
        return isinstance(self.cls, type) and self.mp is not None

    def prime(self, u: Expr) -> Expr:
        """f'(u), written in f itself where the row does (tanh'(u) = 1 - tanh(u)^2), else as SymPy's fdiff."""
        return self.derivative(u, self.cls(u)) if self.derivative else fdiff(self.cls, u)


def _saturating(limit_value, function):
    """An mpmath evaluator that returns its limit for huge arguments (tanh(10^9) is 1, not a slow series)."""
    return lambda u: limit_value(u) if mpmath.mag(u) > 40 else function(u)


F = Function
FUNCTIONS: tuple[Function, ...] = (
    F("exp", sympy.exp, ("exp",), ("exp",), mpmath.exp, lambda a, out: out, "exponential rule",
      "d/du e^u = e^u", growth="exponential"),
    F("log", sympy.log, ("log", "ln"), ("log", "ln"), mpmath.log, lambda a, out: 1 / a, "logarithm rule",
      "d/du ln u = 1/u", arity=(1, 2)),
    F("log10", lambda u: sympy.log(u, 10), ("log10",), (), None),
    F("log2", lambda u: sympy.log(u, 2), ("log2",), (), None),
    F("sqrt", sympy.sqrt, ("sqrt",), (), None),
    F("cbrt", sympy.cbrt, ("cbrt",), (), None),
    F("root", sympy.root, ("root",), (), None, arity=(2, 2)),
    F("sin", sympy.sin, ("sin",), ("sin",), mpmath.sin, lambda a, out: sympy.cos(a), "trigonometric rule",
      "d/du sin u = cos u", growth="periodic"),
    F("cos", sympy.cos, ("cos",), ("cos",), mpmath.cos, lambda a, out: -sympy.sin(a), "trigonometric rule",
      "d/du cos u = -sin u", growth="periodic"),
    F("tan", sympy.tan, ("tan",), ("tan",), mpmath.tan, lambda a, out: 1 + out**2, "trigonometric rule",
      "d/du tan u = 1 + tan(u)^2", growth="periodic"),
    F("sec", sympy.sec, ("sec",), ("sec",), mpmath.sec, lambda a, out: out * sympy.tan(a), "trigonometric rule",
      "d/du sec u = sec u tan u", growth="periodic"),
    F("csc", sympy.csc, ("csc",), ("csc",), mpmath.csc, lambda a, out: -out * sympy.cot(a), "trigonometric rule",
      "d/du csc u = -csc u cot u", growth="periodic"),
    F("cot", sympy.cot, ("cot",), ("cot",), mpmath.cot, lambda a, out: -1 - out**2, "trigonometric rule",
      "d/du cot u = -1 - cot(u)^2", growth="periodic"),
    F("asin", sympy.asin, ("asin", "arcsin"), ("arcsin",), mpmath.asin, lambda a, out: 1 / sympy.sqrt(1 - a**2),
      "inverse sine rule", "d/du arcsin u = 1/sqrt(1 - u^2)"),
    F("acos", sympy.acos, ("acos", "arccos"), ("arccos",), mpmath.acos, lambda a, out: -1 / sympy.sqrt(1 - a**2),
      "inverse cosine rule", "d/du arccos u = -1/sqrt(1 - u^2)"),
    F("atan", sympy.atan, ("atan", "arctan"), ("arctan",), mpmath.atan, lambda a, out: 1 / (1 + a**2),
      "inverse tangent rule", "d/du arctan u = 1/(1 + u^2)"),
    F("sinh", sympy.sinh, ("sinh",), ("sinh",), mpmath.sinh, lambda a, out: sympy.cosh(a), "hyperbolic rule",
      "d/du sinh u = cosh u", growth="exponential"),
    F("cosh", sympy.cosh, ("cosh",), ("cosh",), mpmath.cosh, lambda a, out: sympy.sinh(a), "hyperbolic rule",
      "d/du cosh u = sinh u", growth="exponential"),
    F("tanh", sympy.tanh, ("tanh",), ("tanh",), _saturating(lambda u: mpmath.mpf(mpmath.sign(u)), mpmath.tanh),
      lambda a, out: 1 - out**2, "tanh rule", "d/du tanh u = 1 - tanh(u)^2", activation=r"1 - {a} \odot {a}"),
    F("sech", sympy.sech, ("sech",), ("operatorname{sech}",), _saturating(lambda u: mpmath.mpf(0), mpmath.sech),
      lambda a, out: -out * sympy.tanh(a), "hyperbolic rule", "d/du sech u = -sech u tanh u"),
    F("asinh", sympy.asinh, ("asinh", "arsinh", "arcsinh"), ("operatorname{arsinh}",), mpmath.asinh,
      lambda a, out: 1 / sympy.sqrt(a**2 + 1), "inverse hyperbolic rule", "d/du arsinh u = 1/sqrt(u^2 + 1)"),
    F("acosh", sympy.acosh, ("acosh", "arcosh", "arccosh"), ("operatorname{arcosh}",), mpmath.acosh,
      lambda a, out: 1 / sympy.sqrt(a**2 - 1), "inverse hyperbolic rule", "d/du arcosh u = 1/sqrt(u^2 - 1)"),
    F("atanh", sympy.atanh, ("atanh", "artanh", "arctanh"), ("operatorname{artanh}",), mpmath.atanh,
      lambda a, out: 1 / (1 - a**2), "inverse hyperbolic rule", "d/du artanh u = 1/(1 - u^2)"),
    F("erf", sympy.erf, ("erf",), ("operatorname{erf}",), mpmath.erf,
      lambda a, out: 2 * sympy.exp(-a**2) / sympy.sqrt(sympy.pi), "error function rule",
      "d/du erf u = 2 e^(-u^2)/sqrt(pi)"),
    F("sigmoid", sigmoid, ("sigmoid", "sigma", "s", "σ"), ("sigma",),
      _saturating(lambda u: mpmath.mpf(u > 0), lambda u: 1 / (1 + mpmath.exp(-u))), lambda a, out: out * (1 - out),
      "sigmoid rule", "d/du σ(u) = σ(u)(1 - σ(u))", label="σ", prefix="sig",
      activation=r"{a} \odot \left(1 - {a}\right)", python="(1.0 / (1 + math.exp(-({0}))))"),
    F("relu", relu, ("relu",), ("operatorname{relu}",), lambda u: max(mpmath.mpf(0), u),
      lambda a, out: Heaviside(a, 0), "ReLU rule", "d/du relu(u) = 1(u > 0)", rational=True, kinks=(S.Zero,),
      activation=r"\mathbf{{1}}\left({z} > 0\right)", python="max(0.0, {0})"),
    F("softplus", softplus, ("softplus",), ("operatorname{softplus}",),
      lambda u: u + mpmath.log1p(mpmath.exp(-u)) if u > 0 else mpmath.log1p(mpmath.exp(u)),
      lambda a, out: sigmoid(a), "softplus rule", "d/du softplus(u) = σ(u)", activation=r"\sigma\left({z}\right)",
      python="math.log1p(math.exp({0}))"),
    F("elu", elu, ("elu",), ("operatorname{elu}",),
      lambda u, a=1: u if u > 0 else a * mpmath.expm1(u), None, "ELU rule",
      "d/du elu(u) = 1 for u > 0, a e^u for u <= 0", arity=(1, 2), kinks=(S.Zero,),
      activation=r"\operatorname{elu}'\left({z}\right)", python="({0} if {0} > 0 else {1} * math.expm1({0}))",
      defaults=("1",)),
    F("leaky_relu", leaky_relu, ("leaky_relu",), ("operatorname{leaky\\_relu}",),
      lambda u, a=None: u if u > 0 else (u * LEAKY_SLOPE.p / LEAKY_SLOPE.q if a is None else a * u), None,
      "leaky ReLU rule",
      "d/du leaky_relu(u) = 1 for u > 0, a for u <= 0", arity=(1, 2), rational=True, kinks=(S.Zero,),
      activation=r"\operatorname{leaky\_relu}'\left({z}\right)", python="({0} if {0} > 0 else {1} * {0})",
      defaults=("0.01",)),
    F("gelu", gelu, ("gelu", "GELU"), ("operatorname{GELU}", "operatorname{gelu}"),
      lambda u: u / 2 * (1 + mpmath.erf(u / mpmath.sqrt(2))), None, "GELU rule",
      "d/du gelu(u) = Φ(u) + u φ(u)", activation=r"\operatorname{GELU}'\left({z}\right)",
      python="({0} / 2 * (1 + math.erf({0} / math.sqrt(2))))"),
    F("silu", silu, ("silu", "swish", "SiLU"), ("operatorname{SiLU}", "operatorname{silu}", "operatorname{swish}"),
      lambda u: u / (1 + mpmath.exp(-u)), None, "SiLU rule", "d/du silu(u) = σ(u)(1 + u(1 - σ(u)))",
      activation=r"\operatorname{SiLU}'\left({z}\right)", python="({0} / (1 + math.exp(-({0}))))"),
    F("abs", sympy.Abs, ("abs",), (), abs, lambda a, out: sympy.sign(a), "absolute value rule",
      "d/du |u| = sign(u)", rational=True, kinks=(S.Zero,), label="|x|"),
    F("sign", sympy.sign, ("sign", "sgn"), ("operatorname{sign}", "operatorname{sgn}"),
      lambda u: mpmath.mpf(mpmath.sign(u)),
      lambda a, out: S.Zero, "sign rule", "d/du sign(u) = 0 away from 0", rational=True, kinks=(S.Zero,)),
    F("heaviside", Heaviside, ("heaviside",), (), None),
    F("max", sympy.Max, ("max",), ("max",), None, arity=(2, None)),
    F("min", sympy.Min, ("min",), ("min",), None, arity=(2, None)),
)
"""Every function a user may type, one row each (see Function). max, min, heaviside and abs keep their
gates below, which take parameters (a tie rule, the value at the jump)."""

def complete(f: Function) -> Function:
    """The row itself, if it has every piece its kind needs; else an error naming the function and the piece."""
    needs = {"a name to type": bool(f.names)}
    if f.gate:  # a class of its own: staged, evaluated, derived step by step
        needs |= {"a rule": bool(f.rule), "the rule's formula": bool(f.formula),
                  "a LaTeX name": bool(f.tex_names) or f.name == "abs"}
    if f.gate and f.cls.__module__ == "symgrad.functions":  # ours: SymPy cannot print it as Python
        needs |= {"a Python spelling": bool(f.python)}
    missing = [piece for piece, present in needs.items() if not present]
    if missing:
        raise StagingError(f"the function row '{f.name}' lacks {' and '.join(missing)}")
    return f


FUNCTIONS = tuple(complete(f) for f in FUNCTIONS)
BY_NAME: dict[str, Function] = {alias: f for f in FUNCTIONS for alias in f.names}
BY_CLASS: dict[type, Function] = {f.cls: f for f in FUNCTIONS if isinstance(f.cls, type)}


def function(name: str) -> Function:
    """The row of a function name a user typed; an unknown name is a StagingError that names it."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise StagingError(f"unknown function '{name}'") from None


def fdiff(cls, u: Expr, *params: Expr) -> Expr:
    """d cls(u, *params)/du by the class's own fdiff, taken at a symbol (SymPy evaluates cls(2.5) at once)."""
    t = sympy.Dummy("u", real=True)
    return cls(t, *params).fdiff(1).subs(t, u)


def _local_of(f: Function):
    """d f(u, *params)/du: the row's derivative, or SymPy's fdiff where a constant parameter (elu's a) comes in."""
    def local(args: Args, out: Expr, params: Params) -> tuple[Expr, ...]:
        if f.derivative is not None and not params:
            return (f.derivative(args[0], out),)
        return (fdiff(f.cls, args[0], *params),)

    return local


def _function_gate(f: Function) -> Gate:
    return Gate(name=f.name, rule=f.rule, build=lambda args, params: f.cls(*args, *params), local=_local_of(f),
                label=lambda params: f.label or f.name, word=lambda names, params: f"{f.prefix or f.name}{names[0]}")


def _prod(items: Args) -> Expr:
    return sympy.Mul(*items)


def _others(args: Args, i: int) -> Expr:
    return _prod([a for j, a in enumerate(args) if j != i])


def _num(c: Expr) -> str:
    return str(c)


def _signed(c: Expr) -> str:
    return f"+{_num(c)}" if c >= 0 else f"−{_num(-c)}"


def _join(sep: str) -> Callable[[Sequence[str], Params], str]:
    return lambda names, params: sep.join(names)


def _dot_build(args: Args, params: Params) -> Expr:
    pairs, const = int(params[0]), params[1]
    products = [args[2 * i] * args[2 * i + 1] for i in range(pairs)]
    return sympy.Add(*products, *args[2 * pairs :], const)


def _dot_local(args: Args, out: Expr, params: Params) -> tuple[Expr, ...]:
    pairs = int(params[0])
    partner = [args[i + 1] if i % 2 == 0 else args[i - 1] for i in range(2 * pairs)]
    return tuple(partner) + (S.One,) * (len(args) - 2 * pairs)


def _unary(name, rule, func, derivative, label=None, prefix=None) -> Gate:
    return Gate(
        name=name,
        rule=rule,
        build=lambda args, params: func(args[0]),
        local=lambda args, out, params: (derivative(args[0], out),),
        label=lambda params: label or name,
        word=lambda names, params: f"{prefix or name}{names[0]}",
    )


def _pick(larger: bool):
    """Local derivatives of max (or min) as indicators; a tie goes to the earliest argument.

    d max(a, b)/da = 1(a >= b), d max(a, b)/db = 1(b > a): at a tie one argument gets the whole
    gradient, a valid subgradient (the seed: "we can use 0 or 1"), as PyTorch's max does.
    """

    def local(args: Args, out: Expr, params: Params) -> tuple[Expr, ...]:
        values = [*args, *params]
        partials = []
        for i in range(len(args)):
            factors = []
            for j, other in enumerate(values):
                if j != i:
                    gap = values[i] - other if larger else other - values[i]
                    factors.append(Heaviside(gap, 0 if j < i else 1))
            partials.append(sympy.Mul(*factors))
        return tuple(partials)

    return local


def _max_build(args: Args, params: Params) -> Expr:
    return sympy.Max(*args, *params)


def _min_build(args: Args, params: Params) -> Expr:
    return sympy.Min(*args, *params)


GATES: dict[str, Gate] = {
    g.name: g
    for g in [
        Gate(
            "add", "sum rule",
            build=lambda args, params: sympy.Add(*args, params[0]),
            local=lambda args, out, params: (S.One,) * len(args),
            label=lambda params: "+" if params[0] == 0 else _signed(params[0]),
            word=lambda names, params: "p".join(names) + ("" if params[0] == 0 else f"p{params[0]}"),
        ),
        Gate(
            "sub", "difference rule",
            build=lambda args, params: args[0] - args[1],
            local=lambda args, out, params: (S.One, S.NegativeOne),
            label=lambda params: "−",
            word=_join("m"),
        ),
        Gate(
            "mul", "product rule",
            build=lambda args, params: params[0] * _prod(args),
            local=lambda args, out, params: tuple(
                params[0] * _others(args, i) for i in range(len(args))
            ),
            label=lambda params: "*" if params[0] == 1 else f"*{_num(params[0])}",
            word=lambda names, params: "t".join(names) if len(names) > 1 else f"c{names[0]}",
        ),
        Gate(
            "neg", "constant multiple rule",
            build=lambda args, params: -args[0],
            local=lambda args, out, params: (S.NegativeOne,),
            label=lambda params: "*-1",
            word=lambda names, params: f"neg{names[0]}",
        ),
        Gate(
            "dot", "sum and product rules",
            build=_dot_build,
            local=_dot_local,
            label=lambda params: "dot",
            word=lambda names, params: "dot",
        ),
        _unary("reciprocal", "reciprocal rule", lambda a: 1 / a, lambda a, out: -1 / a**2,
               label="1/x", prefix="inv"),
        Gate(
            "pow", "power rule",
            build=lambda args, params: args[0] ** params[0],
            local=lambda args, out, params: (params[0] * args[0] ** (params[0] - 1),),
            label=lambda params: f"^{_num(params[0])}",
            word=lambda names, params: names[0]
            + {2: "sqr", 3: "cube"}.get(params[0], f"pow{_num(params[0])}".replace("/", "_").replace("-", "m")),
        ),
        _unary("sqrt", "power rule", sympy.sqrt, lambda a, out: 1 / (2 * out), label="√"),
        Gate(
            "powv", "exponential and power rules",
            build=lambda args, params: args[0] ** args[1],
            local=lambda args, out, params: (args[1] * args[0] ** (args[1] - 1), out * sympy.log(args[0])),
            label=lambda params: "^",
            word=_join("pow"),
        ),
        Gate(
            "cpow", "exponential rule",
            build=lambda args, params: params[0] ** args[0],
            local=lambda args, out, params: (out * sympy.log(params[0]),),
            label=lambda params: f"{_num(params[0])}^x",
            word=lambda names, params: f"pow{names[0]}",
        ),
        *(_function_gate(f) for f in FUNCTIONS if f.gate),
        Gate(
            "heaviside", "step function rule (derivative 0 away from the jump)",
            build=lambda args, params: Heaviside(args[0], *params),
            local=lambda args, out, params: (S.Zero,),
            label=lambda params: "H",
            word=lambda names, params: f"step{names[0]}",
        ),
        Gate("max", "max rule (subgradient)", build=_max_build, local=_pick(larger=True),
             label=lambda params: "max", word=lambda names, params: "max" + "".join(names)),
        Gate("min", "min rule (subgradient)", build=_min_build, local=_pick(larger=False),
             label=lambda params: "min", word=lambda names, params: "min" + "".join(names)),
        Gate("id", "identity", build=lambda args, params: args[0],
             local=lambda args, out, params: (S.One,), label=lambda params: "=",
             word=lambda names, params: names[0]),
        Gate("const", "constant rule", build=lambda args, params: params[0],
             local=lambda args, out, params: (), label=lambda params: _num(params[0]),
             word=lambda names, params: "c"),
    ]
}

# SymPy function classes that map one-to-one onto a gate: every class of the FUNCTIONS rows.
FUNCTION_GATES: dict[type, str] = {f.cls: f.name for f in FUNCTIONS if isinstance(f.cls, type) and f.name in GATES}


def gate(name: str) -> Gate:
    """The row for a gate name; a missing row is a StagingError that names it."""
    try:
        return GATES[name]
    except KeyError:
        raise StagingError(f"no gate named '{name}'") from None

