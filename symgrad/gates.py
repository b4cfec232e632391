"""The gate table: one row per kind of stage, holding everything each later pass needs to know.

A row says how to build the stage's expression from its arguments, its local derivatives
(written, as the seeds write them, in the arguments and the stage's own output: d exp(a)/da = out),
its label in a graph picture, its descriptive name, and the differentiation rule it stands for.
Adding a gate is adding a row here and, if SymPy spells it differently, a line in graph.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy
from sympy import Expr, Heaviside, S

from .errors import StagingError
from .functions import relu, sigmoid

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
        _unary("exp", "exponential rule", sympy.exp, lambda a, out: out),
        _unary("log", "logarithm rule", sympy.log, lambda a, out: 1 / a),
        _unary("sin", "trigonometric rule", sympy.sin, lambda a, out: sympy.cos(a)),
        _unary("cos", "trigonometric rule", sympy.cos, lambda a, out: -sympy.sin(a)),
        _unary("tan", "trigonometric rule", sympy.tan, lambda a, out: 1 + out**2),
        _unary("sinh", "hyperbolic rule", sympy.sinh, lambda a, out: sympy.cosh(a)),
        _unary("cosh", "hyperbolic rule", sympy.cosh, lambda a, out: sympy.sinh(a)),
        _unary("tanh", "tanh rule", sympy.tanh, lambda a, out: 1 - out**2),
        _unary("sech", "hyperbolic rule", sympy.sech, lambda a, out: -out * sympy.tanh(a)),
        _unary("sigmoid", "sigmoid rule", sigmoid, lambda a, out: out * (1 - out),
               label="σ", prefix="sig"),
        _unary("relu", "ReLU rule", relu, lambda a, out: Heaviside(a, 0)),
        Gate(
            "heaviside", "step function rule (derivative 0 away from the jump)",
            build=lambda args, params: Heaviside(args[0], *params),
            local=lambda args, out, params: (S.Zero,),
            label=lambda params: "H",
            word=lambda names, params: f"step{names[0]}",
        ),
        _unary("abs", "absolute value rule", sympy.Abs, lambda a, out: sympy.sign(a), label="|x|"),
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

# SymPy function classes that map one-to-one onto a unary gate.
FUNCTION_GATES: dict[type, str] = {
    sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.sech: "sech",
    sigmoid: "sigmoid", relu: "relu", sympy.Abs: "abs", sympy.Heaviside: "heaviside",
    sympy.Max: "max", sympy.Min: "min",
}


def gate(name: str) -> Gate:
    """The row for a gate name; a missing row is a StagingError that names it."""
    try:
        return GATES[name]
    except KeyError:
        raise StagingError(f"no gate named '{name}'") from None

