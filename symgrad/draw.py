"""The computation graph as a Graphviz picture, as micrograd's draw_dot draws it: a record per value
(name, definition, value, gradient) and a circle per gate, left to right."""

from __future__ import annotations

import shutil

from .passes import Value
from .printing import sympy_syntax

INSTALL = "install Graphviz to see the computation graph (sudo apt-get install graphviz)"


def have_graphviz() -> bool:
    """Whether pictures can be drawn: the Python package and Graphviz's dot program."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def _record(text: str) -> str:
    for c in "\\{}|<>\"":
        text = text.replace(c, "\\" + c)
    return text


def _number(v: Value | None) -> str:
    if v is None:
        return ""
    if v.exact is not None and v.exact.is_Rational and len(str(v.exact)) <= 10:
        return str(v.exact)
    return f"{v.approx:.4g}"


def graph_dot(solution):
    """A graphviz.Digraph of a Solution: each node shows its value ("data") and gradient ("grad")."""
    import graphviz

    g = solution.graph
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"}, node_attr={"fontsize": "11"})
    ids = {n: f"n{i}" for i, n in enumerate((*g.inputs, *(s.name for s in g.stages)))}
    point = solution.passes is not None

    def label(name: str, definition: str) -> str:
        cells = [_record(f"{name} = {definition}" if definition else name)]
        if point:
            cells += [f"data {_record(_number(solution.value(name)))}", f"grad {_record(_number(solution.grad(name)))}"]
        return "{ " + " | ".join(cells) + " }"

    for n in g.inputs:
        dot.node(ids[n], label(n, ""), shape="record")
    for s in g.stages:
        dot.node(ids[s.name], label(s.name, sympy_syntax(s.expr)), shape="record")
        op = ids[s.name] + "op"
        dot.node(op, s.label, shape="circle", width="0.45", fixedsize="true")
        dot.edge(op, ids[s.name])
        for a in dict.fromkeys(s.args):
            dot.edge(ids[a], op)
    return dot


def graph_svg(solution) -> str | None:
    """The picture as SVG text, or None without Graphviz."""
    if not have_graphviz():
        return None
    return graph_dot(solution).pipe(format="svg").decode("utf-8")
