"""Identities as steps: tanh through the sigmoid (seed 004 §1(d)), the sigmoid's derivative s(1 - s),
ReLU's piecewise derivative with its convention at 0, and the derivatives of softplus (the sigmoid) and
SiLU (σ(x)(1 + x(1 - σ(x))))."""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Derivative, Heaviside, Mul, Piecewise, exp, tanh

from ..functions import relu, sigmoid, silu, softplus
from ..parsing import symbol
from .core import Derivation, Step

x = symbol("x")


def _div(a, b):
    """a / b kept as written (SymPy would otherwise rewrite it at once)."""
    if a == 1:
        return sympy.Pow(b, -1, evaluate=False)
    return Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)


def _minus(a):
    """-a kept as written: -(1 - s) rather than s - 1."""
    return Mul(-1, a, evaluate=False)


def tanh_via_sigmoid() -> Derivation:
    """tanh x = 2σ(2x) - 1, hence d/dx tanh x = 4 σ(2x)(1 - σ(2x))."""
    s2 = sigmoid(2 * x)
    split = sympy.Add(s2, _minus(sympy.Add(1, -s2, evaluate=False)), evaluate=False)
    steps = (
        Step("definition of tanh", tanh(x), _div(exp(x) - exp(-x), exp(x) + exp(-x)),
             "tanh x = sinh x / cosh x, written in exponentials"),
        Step("multiply top and bottom by e^(-x)", _div(exp(x) - exp(-x), exp(x) + exp(-x)),
             _div(1 - exp(-2 * x), 1 + exp(-2 * x)), "e^x·e^(-x) = 1 and e^(-x)·e^(-x) = e^(-2x)"),
        Step("e^(-2x)/(1 + e^(-2x)) = 1 - σ(2x)", _div(1 - exp(-2 * x), 1 + exp(-2 * x)), split,
             "split the fraction: 1/(1 + e^(-2x)) = σ(2x) by the definition of the sigmoid, and "
             "e^(-2x)/(1 + e^(-2x)) = 1 - 1/(1 + e^(-2x)) = 1 - σ(2x)"),
        Step("simplification", split, 2 * s2 - 1),
        Step("tanh x = 2σ(2x) - 1", Derivative(tanh(x), x), Derivative(2 * s2 - 1, x),
             "differentiate the identity just shown"),
        Step("sigmoid and chain rules", Derivative(2 * s2 - 1, x), Mul(2, s2 * (1 - s2), 2, evaluate=False),
             "sigmoid rule σ'(u) = σ(u)(1 - σ(u)) with u = 2x, times du/dx = 2"),
        Step("simplification", Mul(2, s2 * (1 - s2), 2, evaluate=False), 4 * s2 * (1 - s2)),
        Step("tanh rule", 4 * s2 * (1 - s2), 1 - tanh(x) ** 2, "the same as the tanh rule gives"),
    )
    return Derivation("tanh through the sigmoid", steps, 4 * s2 * (1 - s2), (x,)).checked()


def sigmoid_derivative() -> Derivation:
    """σ'(x) = σ(x)(1 - σ(x)) from σ(x) = 1/(1 + e^(-x)); the key step is e^(-x)/(1 + e^(-x)) = 1 - σ(x)."""
    s = sigmoid(x)
    u = 1 + exp(-x)
    chain = Mul(-1, sympy.Pow(u, -2, evaluate=False), -exp(-x), evaluate=False)
    split = Mul(_div(1, u), _div(exp(-x), u), evaluate=False)
    half = Mul(s, _div(exp(-x), u), evaluate=False)
    steps = (
        Step("definition of the sigmoid", s, _div(1, u), "σ(x) = 1/(1 + e^(-x))"),
        Step("definition of the sigmoid", Derivative(s, x), Derivative(1 / u, x),
             "write σ in exponentials, then differentiate"),
        Step("power and chain rules", Derivative(1 / u, x), chain,
             "power rule on u^(-1) with u = 1 + e^(-x), times du/dx = -e^(-x)"),
        Step("simplification", chain, exp(-x) / u**2),
        Step("split the fraction", exp(-x) / u**2, split,
             "e^(-x)/(1 + e^(-x))² = 1/(1 + e^(-x)) · e^(-x)/(1 + e^(-x))"),
        Step("definition of the sigmoid", split, half, "1/(1 + e^(-x)) = σ(x)"),
        Step("e^(-x)/(1 + e^(-x)) = 1 - σ(x)", half, s * (1 - s),
             "e^(-x)/(1 + e^(-x)) = ((1 + e^(-x)) - 1)/(1 + e^(-x)) = 1 - 1/(1 + e^(-x)) = 1 - σ(x), "
             "so σ'(x) = σ(x)(1 - σ(x))"),
    )
    return Derivation("the sigmoid's derivative", steps, s * (1 - s), (x,)).checked()


def relu_derivative() -> Derivation:
    """relu'(x) = 0 for x < 0, 1 for x > 0; at 0 not differentiable, and symgrad uses 0."""
    pieces = Piecewise((0, x < 0), (x, True))
    slope = Piecewise((0, x < 0), (1, x > 0))
    steps = (
        Step("definition of ReLU", relu(x), sympy.Max(0, x), "relu(x) = max(0, x)"),
        Step("max(0, x) by cases", sympy.Max(0, x), pieces, "0 when x < 0, and x otherwise"),
        Step("piecewise rule", Derivative(relu(x), x), slope,
             "differentiate each piece; at x = 0 the left slope 0 and the right slope 1 differ"),
        Step("convention", slope, Heaviside(x, 0),
             "relu'(0) := 0 (any value in [0, 1] is a subgradient; 0 is what PyTorch uses)"),
    )
    return Derivation("ReLU's derivative", steps, Heaviside(x, 0), (x,)).checked()


def softplus_derivative() -> Derivation:
    """softplus'(x) = σ(x): the chain rule on log(1 + e^x), then e^x/(1 + e^x) = σ(x)."""
    u = 1 + exp(x)
    steps = (
        Step("definition of softplus", softplus(x), sympy.log(u), "softplus(x) = log(1 + e^x)"),
        Step("logarithm and chain rules", Derivative(sympy.log(u), x), _div(exp(x), u),
             "d/du log u = 1/u with u = 1 + e^x, times du/dx = e^x"),
        Step("e^x/(1 + e^x) = σ(x)", _div(exp(x), u), sigmoid(x),
             "divide top and bottom by e^x: 1/(e^(-x) + 1) = σ(x), so softplus' is the sigmoid"),
    )
    return Derivation("the derivative of softplus", steps, sigmoid(x), (x,)).checked()


def silu_derivative() -> Derivation:
    """silu'(x) = σ(x)(1 + x(1 - σ(x))): the product rule on x σ(x) with σ' = σ(1 - σ)."""
    s = sigmoid(x)
    product = sympy.Add(Mul(1, s, evaluate=False), Mul(x, s * (1 - s), evaluate=False), evaluate=False)
    steps = (
        Step("definition of SiLU", silu(x), x * s, "silu(x) = x σ(x), also called swish"),
        Step("product rule", Derivative(x * s, x), product, "(x σ)' = 1 · σ + x · σ' with σ' = σ(1 - σ)"),
        Step("common factor σ(x)", product, s * (1 + x * (1 - s)), "take σ(x) out of both terms"),
    )
    return Derivation("the derivative of SiLU", steps, s * (1 + x * (1 - s)), (x,)).checked()


IDENTITIES: dict[str, Callable[[], Derivation]] = {
    "tanh-sigmoid": tanh_via_sigmoid,
    "sigmoid": sigmoid_derivative,
    "relu": relu_derivative,
    "softplus": softplus_derivative,
    "silu": silu_derivative,
}
