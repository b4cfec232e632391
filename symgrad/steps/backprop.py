"""Backpropagation as steps: for each stage in reverse, upstream gradient times local gradient.

"backprop through h = g·z: df/dg = df/dh · z, df/dz = df/dh · g", with values at the point; a
value that fans out gets one step summing its paths, as the seeds' listings do with ``dx +=``.
Each step is checked against an adjoint computed without the gate table: the output written in
the inputs with the node kept free, differentiated by plain sympy.diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import sympy
from sympy import Derivative, Expr, Mul, Symbol

from ..gates import gate
from ..graph import Graph
from ..passes import local_derivatives
from ..printing import text
from .core import Derivation, Step


class _Adjoints:
    """Resolves df/dnode and node names into the inputs, independently of the backward pass."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.out = graph.sym(graph.output)
        self.full: dict[Symbol, Expr] = {graph.sym(n): graph.sym(n) for n in graph.inputs}
        for s in graph.stages:
            self.full[graph.sym(s.name)] = s.expr.xreplace(self.full)
        self._cache: dict[Symbol, Expr] = {}

    def adjoint(self, node: Symbol) -> Expr:
        """d output / d node: the output with every stage but this node written out, differentiated."""
        if node not in self._cache:
            keep: dict[Symbol, Expr] = {self.graph.sym(n): self.graph.sym(n) for n in self.graph.inputs}
            for s in self.graph.stages:
                sym = self.graph.sym(s.name)
                keep[sym] = sym if sym == node else s.expr.xreplace(keep)
            free = Symbol("_node", real=True)
            output = keep[self.out].xreplace({node: free})
            self._cache[node] = sympy.diff(output, free).xreplace({free: self.full[node]})
        return self._cache[node]

    def resolve(self, expr: Expr) -> Expr:
        resolved = expr.replace(lambda e: isinstance(e, Derivative) and e.expr == self.out,
                                lambda d: self.adjoint(d.variables[0]))
        return resolved.xreplace(self.full)


def backprop_steps(graph: Graph, point: Mapping[str, Expr] | None = None) -> Derivation:
    """The backward pass of ``graph`` as checked steps, in reverse stage order, with values at ``point``.

    The steps do not depend on the point: they are built and checked once per graph (a class's
    variants of one program differ only in their points), and each point only adds the values."""
    derivation = _checked(_GraphKey(graph))
    return derivation.at(dict(point)) if point else derivation


@dataclass(frozen=True)
class _GraphKey:
    """A graph compared by its content (two solutions at two points hold equal graphs)."""

    graph: Graph = field(compare=False, hash=False)
    content: tuple = field(init=False)

    def __post_init__(self):
        g = self.graph
        object.__setattr__(self, "content", (g.inputs, g.stages, g.output, g.source))


@lru_cache(maxsize=256)
def _checked(key: _GraphKey) -> Derivation:
    graph = key.graph
    out = graph.sym(graph.output)
    consumers = graph.consumers()
    locals_ = {(st, a): d for st, a, d in local_derivatives(graph)}
    defs = {s.name: s for s in graph.stages}

    def grad(name: str) -> Derivative:
        return Derivative(out, graph.sym(name))

    def term(consumer: str, arg: str) -> Expr:
        return Mul(grad(consumer), locals_[(consumer, arg)], evaluate=False)

    steps = [Step("start", grad(graph.output), sympy.S.One, "the output's gradient with respect to itself")]
    for s in reversed(graph.stages):
        if not consumers[s.name] and s.name != graph.output:
            continue  # a line the output does not use
        for arg in dict.fromkeys(s.args):
            readers = consumers[arg]
            local = locals_[(s.name, arg)]
            why = (f"backprop through {s.name} = {text(s.written)}: "
                   f"∂{s.name}/∂{arg} = {text(local)} ({gate(s.op).rule})")
            if len(readers) == 1:
                steps.append(Step("chain rule: upstream × local", grad(arg), term(s.name, arg), why))
            elif s.name == readers[0]:  # the last of its readers in reverse order: all paths are known
                total = sympy.Add(*(term(r, arg) for r in readers), evaluate=False)
                steps.append(Step("sum over paths (fan-out)", grad(arg), total,
                                  f"{arg} feeds {', '.join(readers)}: their contributions add (the seeds' +=)"))
    del defs
    adjoints = _Adjoints(graph)
    title = f"backpropagation through {graph.output} = {text(graph.written)}"
    return Derivation(title, tuple(steps), sympy.S.One, tuple(graph.sym(n) for n in graph.inputs),
                      partial=True, resolve=adjoints.resolve).checked()
