"""Staging: one gate per stage, shared subexpressions once, names and granularity as promised."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sympy

from symgrad import ParseError, StagingError, parse, solve, stage_expression, to_graph


def shape(graph):
    return [(s.name, s.op, s.args) for s in graph.stages]


def test_shared_subexpressions_are_one_stage():
    g = stage_expression(parse("sin(x)^2 + sin(x)"))
    assert [s.op for s in g.stages].count("sin") == 1
    g = stage_expression(parse("exp(x*y) + x*y"))
    assert [s.op for s in g.stages].count("mul") == 1
    consumers = g.consumers()
    product = next(s.name for s in g.stages if s.op == "mul")
    assert len(consumers[product]) == 2  # fans out to exp and to the sum


def test_every_arg_is_an_input_or_an_earlier_stage():
    g = stage_expression(parse("(x + s(y))/(s(x) + (x+y)^2)"))
    seen = set(g.inputs)
    for s in g.stages:
        assert set(s.args) <= seen
        seen.add(s.name)
    assert g.output == g.stages[-1].name == "f"


def test_letters_skip_names_in_use():
    g = stage_expression(parse("(g + h) * k + m"))
    names = [s.name for s in g.stages]
    assert names[:-1] == ["n", "p"] and names[-1] == "f"


def test_indexed_names_number_the_stages():
    g = stage_expression(parse("(x + y)z + x"), names="indexed")
    assert [s.name for s in g.stages] == ["x_1", "x_2", "f"]


def test_descriptive_names_follow_the_seed():
    g = stage_expression(parse("(x + s(y))/(s(x) + (x+y)^2)"), names="descriptive", granularity="coarse")
    assert {s.name: s.op for s in g.stages} == {
        "sigy": "sigmoid", "num": "add", "xpy": "add", "xpysqr": "pow", "sigx": "sigmoid",
        "den": "add", "invden": "reciprocal", "f": "mul",
    }


def test_descriptive_names_never_collide():
    g = stage_expression(parse("(x + y)^2 + (x + y)^3 + xpy"), names="descriptive")
    names = [s.name for s in g.stages]
    assert len(names) == len(set(names))
    assert "xpy" not in names  # xpy is an input here


def test_granularity_fine_splits_sigmoid_coarse_keeps_it():
    fine = stage_expression(parse("s(x*w + b)"), granularity="fine")
    coarse = stage_expression(parse("s(x*w + b)"), granularity="coarse")
    assert [s.op for s in fine.stages] == ["mul", "add", "neg", "exp", "add", "reciprocal"]
    assert [s.op for s in coarse.stages] == ["mul", "add", "sigmoid"]


def test_coarse_recognises_dot_products_and_nary_sums():
    g = stage_expression(parse("w0*x0 + w1*x1 + w2*x2 + b"), granularity="coarse")
    assert shape(g) == [("f", "dot", ("w0", "x0", "w1", "x1", "w2", "x2", "b"))]
    g = stage_expression(parse("x + y + z"), granularity="coarse")
    assert shape(g) == [("f", "add", ("x", "y", "z"))]
    g = stage_expression(parse("x + y + z"), granularity="fine")
    assert [s.op for s in g.stages] == ["add", "add"]


def test_subtraction_division_and_negation():
    assert [s.op for s in stage_expression(parse("x - y")).stages] == ["sub"]
    assert [s.op for s in stage_expression(parse("x / y")).stages] == ["reciprocal", "mul"]
    assert [s.label for s in stage_expression(parse("-(x + y)")).stages] == ["+", "*-1"]


def test_sympy_input_is_accepted_directly():
    x, y = sympy.symbols("x y")
    s = solve(sympy.sin(x) * y, {"x": 0, "y": 3})
    assert s.grad("x").exact == 3 and s.grad("y").exact == 0


@pytest.mark.parametrize("bad", [sympy.Integer(3), sympy.zoo])
def test_constants_cannot_be_staged(bad):
    with pytest.raises(StagingError):
        stage_expression(bad)


def test_unknown_sympy_function_is_a_clear_error():
    x = sympy.Symbol("x")
    with pytest.raises(StagingError, match="no gate for it"):
        stage_expression(sympy.gamma(x))


def test_graphs_are_identical_across_hash_seeds():
    code = (
        "import json; from symgrad import solve; "
        "s = solve('(x + s(y))/(s(x) + (x+y)^2) + max(x, y) * exp(x*y)', {'x': 1, 'y': 2}, names='descriptive'); "
        "print(json.dumps(s.to_dict()))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["output"]["name"] == "f"


def test_to_graph_defaults():
    assert to_graph("a = x + y\nf = a * s(x)").stages[-2].op == "sigmoid"
    assert to_graph("x + y").stages[0].op == "add"


def test_sympy_symbols_must_have_usable_names():
    with pytest.raises(ParseError, match="not a valid name"):
        stage_expression(sympy.Symbol("x_{1}") + 1)


def test_programs_split_lines_further_when_fine():
    g = to_graph("dot = w*x + b\nf = s(dot)", granularity="fine")
    assert [s.op for s in g.stages] == ["mul", "add", "neg", "exp", "add", "reciprocal"]
    assert g.stages[1].name == "dot" and g.output == "f"


def test_huge_exact_values_give_way_to_floats():
    x = sympy.Symbol("x", real=True)
    s = solve(sympy.Add(*[sympy.tanh(k * x) for k in range(1, 150)]), {"x": 1})
    assert s.value("f").exact is None and s.grad("x").exact is None
    assert abs(s.value("f").approx - sum(__import__("math").tanh(k) for k in range(1, 150))) < 1e-9


def test_text_is_never_sympified_by_staging():
    with pytest.raises(StagingError, match="use symgrad.parse for text"):
        stage_expression("__import__('os').getcwd()")  # type: ignore[arg-type]


def test_product_factors_keep_their_printed_order_without_printing_a_deep_factor():
    # a dot product's factors are ordered as natural_key(str(.)) orders them; a compound against a
    # name is decided by the compound's first characters, so a deep activation is never printed
    from symgrad.functions import sigmoid
    from symgrad.graph import _Stager
    from symgrad.parsing import natural_key

    u, v = sympy.symbols("u v")
    compounds = [1 / (1 + sympy.exp(-u - v)), sympy.exp(u + v), sympy.tanh(u), sigmoid(u + v), sympy.sin(u * v),
                 sympy.log(u + 2), u * v, u + v, sympy.Max(u, v), (u + v) ** 2]
    names = ["a", "w1_0_3", "x10", "tan", "tanh", "tanhx", "sigmoid1", "s", "ex", "exp", "expo", "_q", "Z", "lo", "sin"]
    for c in compounds:
        for n in names:
            for pair in ((sympy.Symbol(n), c), (c, sympy.Symbol(n))):
                assert _Stager.order_key(pair) == tuple(sorted(pair, key=lambda a: natural_key(str(a))))

    # a three-layer network: staging never prints the activations it multiplies
    xs = sympy.symbols("x0:4")
    a = list(xs)
    for k in range(3):
        a = [1 / (1 + sympy.exp(-sympy.Add(*(sympy.Symbol(f"w{k}_{i}_{j}") * x for j, x in enumerate(a)))))
             for i in range(4)]
    printed = []
    original = sympy.Basic.__str__
    try:
        sympy.Basic.__str__ = lambda self: printed.append(self) or original(self)
        stage_expression(sympy.Add(*a), granularity="coarse")
    finally:
        sympy.Basic.__str__ = original
    assert all(not p.args for p in printed)  # names only
