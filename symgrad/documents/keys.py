"""Answer keys from the problem bank: for each problem, the gradeable items and how to check them.

Item names (the "part" column of a submissions file):
  network       grad.W<l>, grad.b<l>, delta.<l>, grad.x (matrix answers in the names x, y, W1, b1, z1,
                a1, d1 = dl/dz1, Omega1 = diag(s'(z1)), grad_a); where the problem asks for the forward or
                backward pass of its instance, also value.z<l>, value.a<l>, value.loss, and the numbers of
                delta.<l>, grad.W<l>, grad.b<l>: a whole vector or matrix ([0.25, -0.5], [[1, 2], [3, 4]])
                or one entry (grad.W1[2,1], value.z1[2]; 1-based), within 1%
  counts        weights, with-biases
  cnn           params.<layer>, dense.<layer>
  hadamard      product.<entry>
  staged        value.<node>, grad.<node> (numbers, two decimals as the seeds round), gradient.<input>
  chain, multivariate   derivative.<input>
  gradients     partial.<variable>
  identity, derivative  derivative
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import sympy

from ..check import TWO_DECIMALS, Context
from ..keyfile import Key, find_key, key_from_line, load_keys, verdict_for
from ..matrix_check import MatrixContext
from ..numbers_check import NETWORK_TOLERANCE, NumbersContext
from ..parsing import parse, parse_program, symbol
from ..printing import grammar_syntax
from ..steps import IDENTITIES, chain_steps
from .bank import Problem, load_bank

__all__ = ["Key", "array_text", "bank_keys", "find_key", "key_from_line", "key_line", "load_keys", "problem_keys",
           "verdict_for"]  # Key, find_key, key_from_line, load_keys, verdict_for live in symgrad.keyfile



def _staged(problem: Problem) -> dict[str, Key]:
    s = problem.solution()
    g = s.graph
    keys = {f"gradient.{n}": Key(s.gradient[n], Context(tuple(g.inputs), function=g.source, wrt=n))
            for n in g.inputs}
    if s.passes is not None:
        numeric = Context((), tolerance=TWO_DECIMALS)
        for name in (*g.inputs, *(st.name for st in g.stages)):
            value, grad = s.value(name), s.grad(name)
            keys[f"value.{name}"] = Key(value.exact if value.exact is not None else sympy.Float(value.approx), numeric)
            origin = (g.source, name, s.point) if name in g.inputs else None
            keys[f"grad.{name}"] = Key(grad.exact if grad.exact is not None else sympy.Float(grad.approx), numeric,
                                       origin)
    return keys


def _chain(problem: Problem) -> dict[str, Key]:
    program = parse_program(problem.data["program"])
    definitions = {}
    full = {}
    for a in program.assignments[:-1]:
        full[symbol(a.name)] = a.expr.xreplace(full)
        definitions[a.name] = full[symbol(a.name)]
    output = program.assignments[-1].expr.xreplace(full)
    keys = {}
    for wrt in problem.data["wrt"]:
        d = chain_steps(program, wrt)
        keys[f"derivative.{wrt}"] = Key(d.result, Context(tuple(program.inputs), definitions, function=output, wrt=wrt))
    return keys


def _gradients(problem: Problem) -> dict[str, Key]:
    expr = parse(problem.data["expression"])
    names = tuple(sorted(s.name for s in expr.free_symbols))
    return {f"partial.{v}": Key(sympy.diff(expr, symbol(v)), Context(names, function=expr, wrt=v)) for v in names}


def _identity(problem: Problem) -> dict[str, Key]:
    d = IDENTITIES[problem.data["name"]]()
    derivative = next(s.before for s in d.steps if isinstance(s.before, sympy.Derivative))
    return {"derivative": Key(d.result, Context(("x",), function=derivative.expr, wrt="x"))}


def _derivative(problem: Problem) -> dict[str, Key]:
    expr = parse(problem.data["expression"])
    names = tuple(sorted(s.name for s in expr.free_symbols))
    wrt = problem.data.get("wrt", [names[0]])[0]
    return {"derivative": Key(sympy.diff(expr, symbol(wrt)), Context(names, function=expr, wrt=wrt))}


NUMERIC_PARTS = ("forward", "backward")  # the network parts that ask for the instance's numbers


def _network(problem: Problem) -> dict[str, Key]:
    """The matrix formulas of the backward pass, and where the problem asks for its instance's passes,
    their numbers (every z, a, the loss, every delta and gradient): per student in a variant."""
    from ..nets import matrix_context, matrix_keys

    net = problem.network
    context = matrix_context(net)
    keys = {item: Key(text, context) for item, text in matrix_keys(net).items()}
    if not set(NUMERIC_PARTS) & set(problem.parts):
        return keys
    t = problem.trace()
    numbers: dict[str, sympy.Matrix] = {}
    if "forward" in problem.parts:
        for k in range(1, net.layers + 1):
            numbers[f"value.z{k}"] = t.z[k - 1]
            if net.activations[k - 1] != "identity":
                numbers[f"value.a{k}"] = t.a[k]
        numbers["value.loss"] = sympy.Matrix([[t.loss]])
    if "backward" in problem.parts:
        for k in range(net.layers, 0, -1):
            numbers[f"delta.{k}"] = t.delta[k - 1]
            numbers[f"grad.W{k}"] = t.grad_w[k - 1]
            if t.grad_b[k - 1] is not None:
                numbers[f"grad.b{k}"] = t.grad_b[k - 1]
    for item, value in numbers.items():
        keys[item] = replace(keys[item], numbers=value) if item in keys else Key(value, NumbersContext())
    return keys


def _counts(problem: Problem) -> dict[str, Key]:
    from ..nets import parameter_count

    sizes = problem.data["sizes"]
    exact = Context(())
    return {"weights": Key(sympy.Integer(parameter_count(sizes, False)), exact),
            "with-biases": Key(sympy.Integer(parameter_count(sizes, True)), exact)}


def _cnn(problem: Problem) -> dict[str, Key]:
    from ..nets import trace_shapes

    traced = trace_shapes(problem.data["input"], problem.data["layers"])
    keys = {f"params.{i}": Key(sympy.Integer(e.params), Context(())) for i, e in enumerate(traced, 1)}
    keys.update({f"dense.{i}": Key(sympy.Integer(e.dense_params), Context(()))
                 for i, e in enumerate(traced, 1) if e.dense_params is not None})
    return keys


def _hadamard(problem: Problem) -> dict[str, Key]:
    a, b = problem.data["a"], problem.data["b"]
    return {f"product.{i}": Key(x * y, Context(())) for i, (x, y) in enumerate(zip(a, b), 1)}


def _jacobian(problem: Problem) -> dict[str, Key]:
    """Each entry of the Jacobian of f(g(x)), as the chain rule gives it: jacobian.<row>.<column>."""
    from .seedparts import jacobian_chain

    c = jacobian_chain(problem)
    names = tuple(s.name for s in c.x)
    return {f"jacobian.{i + 1}.{j + 1}": Key(c.product[i, j], Context(names, function=c.composite[i], wrt=x.name))
            for i in range(c.product.rows) for j, x in enumerate(c.x)}


KEYS = {"network": _network, "symmetry": lambda p: {}, "counts": _counts, "cnn": _cnn, "hadamard": _hadamard,
        "staged": _staged, "chain": _chain, "multivariate": _chain, "gradients": _gradients,
        "identity": _identity, "derivative": _derivative,
        "concept": lambda p: {}, "jacobian": _jacobian, "paths": _chain}


def problem_keys(problem: Problem) -> dict[str, Key]:
    """The gradeable items of one problem."""
    return KEYS[problem.kind](problem)


@lru_cache(maxsize=8)
def bank_keys(paths: tuple[str, ...] = ()) -> dict[str, dict[str, Key]]:
    """problem id -> item -> Key, for a bank (the seed bank when ``paths`` is empty); cached per process."""
    return {p.id: problem_keys(p) for p in load_bank(list(paths))}


def key_line(student: str, problem: Problem, item: str, key: Key) -> dict[str, Any]:
    """One line of key.jsonl: enough to check an answer without the bank."""
    line: dict[str, Any] = {"student": student, "problem": problem.id, "part": item}
    if key.array is not None:
        line["numbers"] = [[float(e) for e in key.array.row(i)] for i in range(key.array.rows)]
        t = NETWORK_TOLERANCE
        line.update(rtol=t.rel, atol=t.abs)
    if isinstance(key.context, NumbersContext):
        line.update(expected=array_text(key.array), vars="")
        return line
    if isinstance(key.context, MatrixContext):
        net = problem.network
        line.update(expected=key.expected, vars="",
                    network={"sizes": list(net.sizes), "activations": list(net.activations), "loss": net.loss,
                             "biases": list(net.biases)})
        return line
    ctx = key.context
    line.update(expected=key.expected if isinstance(key.expected, str) else grammar_syntax(key.expected),
                vars=",".join(ctx.variables))
    if ctx.definitions:
        line["definitions"] = {k: grammar_syntax(v) for k, v in ctx.definitions.items()}
    if ctx.function is not None:
        line["function"], line["wrt"] = grammar_syntax(ctx.function), ctx.wrt
    if ctx.tolerance.decimals is not None:
        line["decimals"] = ctx.tolerance.decimals
    return line


def array_text(m: sympy.Matrix) -> str:
    """Numbers as a student may type them: 0.25, [0.25, -0.5] for a column, [[1, 2], [3, 4]] row by row."""
    show = lambda e: repr(float(e))  # noqa: E731
    if m.shape == (1, 1):
        return show(m[0, 0])
    if m.cols == 1:
        return "[" + ", ".join(map(show, m)) + "]"
    return "[" + ", ".join("[" + ", ".join(map(show, m.row(i))) + "]" for i in range(m.rows)) + "]"
