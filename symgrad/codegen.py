"""Runnable forward/backward Python in the seeds' style: forward lines, then d<name> lines with +=."""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from .graph import Graph
from .passes import local_derivatives
from .printing import python, sympy_syntax


def grad_prefix(graph: Graph) -> str:
    """'d' as in the seeds (dx, dnum), unless that would clash with a node name (a stage called dx)."""
    nodes = set(graph.symbols)
    return "d" if not any(f"d{n}" in nodes for n in nodes) else "grad_"


def _factor(expr: sympy.Expr) -> str:
    text = python(expr)
    return text if (expr.is_Atom or expr.is_Function) else f"({text})"


def python_listing(graph: Graph, point: Mapping[str, sympy.Expr] | None = None) -> str:
    """A standard-library Python module computing the output and its gradient, as the seeds list it.

    It imports only what it uses (math for exp and friends, sys to read the command line) and
    names no tool: it is the listing a student would write.

    With a point, running it prints the output and every input's gradient at that point;
    without one, it reads the inputs' values from the command line.
    """
    d = grad_prefix(graph)
    by_stage: dict[str, list[tuple[str, sympy.Expr]]] = {}
    for stage, arg, local in local_derivatives(graph):
        by_stage.setdefault(stage, []).append((arg, local))
    body = ["## forward pass"]
    body += [f"{s.name} = {python(s.expr)}" for s in graph.stages]
    body += ["", "## backward pass", f"{d}{graph.output} = 1.0"]
    assigned = {graph.output}
    for s in reversed(graph.stages):
        if s.name not in assigned or not by_stage.get(s.name):
            continue
        body.append(f"# backprop through {s.name} = {sympy_syntax(s.expr)}")
        for arg, local in by_stage[s.name]:
            op = "+=" if arg in assigned else "="
            comment = "  # accumulate: the value fans out" if op == "+=" else ""
            body.append(f"{d}{arg} {op} {_factor(local)} * {d}{s.name}{comment}")
            assigned.add(arg)
    for name in graph.inputs:
        if name not in assigned:
            body.append(f"{d}{name} = 0.0  # the output does not depend on {name}")
    grads = ", ".join(f'"{n}": {d}{n}' for n in graph.inputs)
    body.append(f"return {graph.output}, {{{grads}}}")

    args = ", ".join(graph.inputs)
    # a student's listing: no tool name, and only the imports it uses
    imports = [f"import {module}" for module, used in (("math", any("math." in line for line in body)),
                                                       ("sys", point is None)) if used]
    lines = [
        *(imports + ["", ""] if imports else []),
        f"def forward_backward({args}):",
        *[f"    {line}" if line else "" for line in body],
        "",
        "",
        'if __name__ == "__main__":',
    ]
    if point is not None:
        values = ", ".join(python(sympy.Float(point[n], 17) if not point[n].is_Rational else point[n])
                           for n in graph.inputs)
        lines.append(f"    out, grads = forward_backward({values})")
    else:
        lines.append(f"    out, grads = forward_backward(*(float(v) for v in sys.argv[1:{len(graph.inputs) + 1}]))")
    lines += [
        f'    print("{graph.output} =", out)',
        "    for name, value in grads.items():",
        f'        print("d{graph.output}/d" + name, "=", value)',
        "",
    ]
    return "\n".join(lines)
