"""Each seed derivation names its steps as a teacher would: the identity written out, never
"identity used", and a derivative taken in one step named by every rule it uses ("sum and power
rules" for d/dx(5x^3 - x + 1), "power rule" for d/df1(4 f1^2))."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy

from symgrad.functions import sigmoid
from symgrad.parsing import parse, parse_program
from symgrad.steps import IDENTITIES, Derivation, chain_steps, gradient_steps

COMPOSITION = "f2 = 5x^3 - x + 1\nf1 = f2 - 2\nf = 4 f1^2"  # seed 003 (1)
MULTIVARIATE = "x = sin(u) + cos(v)\ny = e^(u v)\nf = 2x^3 + y"  # seed 003 (2)
TWO_PATHS = "f = x^2\ng = x\nl = f^2 + g^2"  # seed 001 §2(a)

CHAIN_TAIL = ["product of partials along a path", "product of partials along a path", "substitution",
              "substitution"]
GRADIENT = "gradient: the vector of partial derivatives"

SEED_DERIVATIONS: list[tuple[str, Callable[[], Derivation], list[str]]] = [
    ("003 (1) df/dx", lambda: chain_steps(parse_program(COMPOSITION), "x"),
     ["chain rule", "power rule", "sum rule", "sum and power rules", "substitution", "substitution"]),
    ("003 (2) df/du", lambda: chain_steps(parse_program(MULTIVARIATE), "u"),
     ["multivariate chain rule", "sum and power rules", "sum and trigonometric rules", "sum rule",
      "exponential and chain rules", *CHAIN_TAIL]),
    ("003 (2) df/dv", lambda: chain_steps(parse_program(MULTIVARIATE), "v"),
     ["multivariate chain rule", "sum and power rules", "sum and trigonometric rules", "sum rule",
      "exponential and chain rules", *CHAIN_TAIL]),
    ("001 2(a) dl/dx", lambda: chain_steps(parse_program(TWO_PATHS), "x"),
     ["multivariate chain rule", "sum and power rules", "power rule", "sum and power rules", "power rule",
      *CHAIN_TAIL, "simplification"]),  # 4x^2 x + 2x = 4x^3 + 2x
    ("004 1(a) grad xy", lambda: gradient_steps(parse("x y")),
     ["constant multiple rule", "constant multiple rule", GRADIENT]),
    ("004 1(b) grad x + y", lambda: gradient_steps(parse("x + y")), ["sum rule", "sum rule", GRADIENT]),
    ("004 1(c) grad max(x, y)", lambda: gradient_steps(parse("max(x, y)")),
     ["max rule (subgradient)", "max rule (subgradient)", GRADIENT]),
    ("004 1(d) tanh through the sigmoid", IDENTITIES["tanh-sigmoid"],
     ["definition of tanh", "multiply top and bottom by e^(-x)", "e^(-2x)/(1 + e^(-2x)) = 1 - σ(2x)",
      "simplification", "tanh x = 2σ(2x) - 1", "sigmoid and chain rules", "simplification", "tanh rule"]),
    ("003 (9) the sigmoid's derivative", IDENTITIES["sigmoid"],
     ["definition of the sigmoid", "definition of the sigmoid", "power and chain rules", "simplification",
      "split the fraction", "definition of the sigmoid", "e^(-x)/(1 + e^(-x)) = 1 - σ(x)"]),
    ("003 (10) ReLU's derivative", IDENTITIES["relu"],
     ["definition of ReLU", "max(0, x) by cases", "piecewise rule", "convention"]),
]
IDS = [name for name, _, _ in SEED_DERIVATIONS]


@pytest.mark.parametrize(("name", "build", "expected"), SEED_DERIVATIONS, ids=IDS)
def test_seed_derivation_rule_names(name, build, expected):
    assert [s.rule for s in build().steps] == expected


@pytest.mark.parametrize(("name", "build", "expected"), SEED_DERIVATIONS, ids=IDS)
def test_no_step_is_named_identity_used_and_names_fit_the_rule_column(name, build, expected):
    rules = [s.rule for s in build().steps]
    assert "identity used" not in rules
    assert all(len(r) <= 45 for r in rules if r != GRADIENT)


def test_power_rule_results_are_named_by_the_power_rule():
    d = chain_steps(parse_program(COMPOSITION), "x")
    x, f, f1, f2 = sympy.symbols("x f f1 f2", real=True)
    rules = {s.before: s.rule for s in d.steps}
    assert rules[sympy.Derivative(f, f1)] == "power rule"  # 8 f1 from 4 f1^2
    assert rules[sympy.Derivative(f2, x)] == "sum and power rules"  # 15x^2 - 1 from 5x^3 - x + 1


def test_sigmoid_derivation_states_its_key_step():
    x = sympy.Symbol("x", real=True)
    s = sigmoid(x)
    d = IDENTITIES["sigmoid"]()
    key = [step for step in d.steps if step.after == s * (1 - s)]
    assert len(key) == 1
    assert "1 - σ(x)" in key[0].rule and "e^(-x)/(1 + e^(-x))" in key[0].rule
    assert "σ'(x) = σ(x)(1 - σ(x))" in key[0].note
    assert d.result == s * (1 - s)
