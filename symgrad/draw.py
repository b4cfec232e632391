"""The computation graph as a Graphviz picture, as micrograd's draw_dot draws it: a record per value
(name, definition, value, gradient) and a circle per gate, left to right."""

from __future__ import annotations

import shutil

from .printing import format_exact_and_number, text

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


def node_label(solution, name: str) -> str:
    """The record of one value: name = definition | data value | grad gradient, numbers as the tables print them."""
    definition = next((text(s.written) for s in solution.graph.stages if s.name == name), "")
    cells = [_record(f"{name} = {definition}" if definition else name)]
    if solution.passes is not None:
        cells += [f"data {_record(format_exact_and_number(solution.value(name)))}",
                  f"grad {_record(format_exact_and_number(solution.grad(name)))}"]
    return "{ " + " | ".join(cells) + " }"


def graph_dot(solution):
    """A graphviz.Digraph of a Solution: each node shows its value ("data") and gradient ("grad")."""
    import graphviz

    g = solution.graph
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"}, node_attr={"fontsize": "11"})
    ids = {n: f"n{i}" for i, n in enumerate((*g.inputs, *(s.name for s in g.stages)))}
    for n in g.inputs:
        dot.node(ids[n], node_label(solution, n), shape="record")
    for s in g.stages:
        dot.node(ids[s.name], node_label(solution, s.name), shape="record")
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
