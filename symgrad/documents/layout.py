"""What the templates lay out, as plain records (ProblemView, PartView, Block, GraphView), and the
layout of a computation graph; shared by the scalar and the network views."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..passes import Value
from ..printing import format_exact_and_number, format_number, latex_name, tex_text
from ..solve import Solution
from ..steps import Derivation
from .bank import Problem

# -- small view records --------------------------------------------------------------------------


@dataclass
class Block:
    """A piece of a solution: kind is text, math (align* rows), table, graph, code or derivation."""

    kind: str
    content: Any


@dataclass
class PartView:
    label: str
    question: str  # LaTeX
    space: float = 3.0  # cm of answer space on the worksheet
    blank: Any = None  # an unfilled computation graph for the worksheet, if the part has one
    blanks: Any = None  # an unfilled table for the worksheet
    solution: list[Block] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)  # LaTeX math, one line each


@dataclass
class ProblemView:
    """A solved problem as the documents show it; in a notebook, its questions with the answers folded."""

    id: str
    title: str
    statement: str
    parts: list[PartView]
    figure: Any = None  # a drawing the statement refers to (GraphView), shown under it

    def _repr_markdown_(self) -> str:
        lines = [f"### {_markdown(self.title)}", "", _markdown(self.statement), ""]
        for part in self.parts:
            lines += [f"**({part.label})** {_markdown(part.question)}", ""]
        lines.append("<details><summary>answers</summary>\n")
        for part in self.parts:
            lines += [f"({part.label}) " + ", ".join(f"${a}$" for a in part.answer), ""]
        lines.append("</details>")
        return "\n".join(lines)


def _markdown(tex: str) -> str:
    """Worksheet LaTeX prose for a notebook: the escapes undone, math left to MathJax."""
    for escaped, plain in (("\\&", "&"), ("\\%", "%"), ("\\#", "#"), ("\\_", "_"), ("\\textasciitilde{}", "~")):
        tex = tex.replace(escaped, plain)
    return tex


@dataclass
class Node:
    name: str  # TikZ node name
    x: float
    y: float
    label: str  # LaTeX on the node
    caption: str  # the stage's name under a gate
    kind: str  # input, gate or output


@dataclass
class Edge:
    src: str
    dst: str
    value: str  # LaTeX, "" when blank
    grad: str


@dataclass
class GraphView:
    """mode: skeleton (gates only), blank (dotted slots to fill in), plain (names), filled (names, values)."""

    nodes: list[Node]
    edges: list[Edge]
    mode: str


# -- numbers --------------------------------------------------------------------------------------


def number(value: Value | None, digits: int = 2, names: Mapping[str, str] | None = None) -> str:
    """An answer as the seeds ask it, rounded to ``digits`` decimals (-14, 0.73, -0.20) unless it has a
    short exact form (\\sigma(1) \\approx 0.7311): printing.format_exact_and_number, in LaTeX, in the
    question's own ``names`` (s(1) where it calls the sigmoid s)."""
    return format_exact_and_number(value, decimals=digits, style="latex", names=names)


def exact_and_number(value: Value | None, names: Mapping[str, str] | None = None) -> str:
    """A value in a table: printing.format_exact_and_number in LaTeX (-12, \\sigma(1) \\approx 0.7311, -0.1966)."""
    return format_exact_and_number(value, style="latex", names=names)


def point_text(point: dict[str, sympy.Expr]) -> str:
    return ", ".join(f"${latex_name(n)} = {format_number(v, style='latex')}$" for n, v in point.items())


# -- computation graph layout -------------------------------------------------------------------


_GATE_TEX = {"+": "+", "*": r"\times", "−": "-", "*-1": r"\times(-1)", "√": r"\sqrt{\cdot}", "dot": r"\cdot",
             "^": r"a^{b}", "|x|": r"\lvert x\rvert", "max": r"\max", "min": r"\min", "1/x": "1/x"}


def gate_label(label: str, names: Mapping[str, str] | None = None) -> str:
    """A gate's label (gates.py) in math mode: ^2 as (.)^{2}, *3 as times 3, 2^x as 2^{x}, the sigmoid
    under the question's name (s where it says s)."""
    names = names or {}
    if label == "σ":
        tex = names.get("sigmoid", r"\sigma")
    elif label in _GATE_TEX:
        tex = _GATE_TEX[label]
    elif label.startswith("^"):
        tex = rf"(\cdot)^{{{label[1:]}}}"
    elif label.startswith("*"):
        tex = rf"\times {label[1:]}"
    elif label.endswith("^x"):
        tex = rf"{label[:-2]}^{{x}}"
    else:  # +1, -2, exp, log, tanh, relu, H, a constant
        tex = label if label[:1] in "+-" or label[:1].isdigit() else rf"\mathrm{{{tex_text(label)}}}"
    return f"${tex}$"


def graph_view(solution: Solution, mode: str, names: Mapping[str, str] | None = None) -> GraphView:
    """Inputs in the first column, each stage one column right of its deepest argument."""
    g = solution.graph
    depth: dict[str, int] = {n: 0 for n in g.inputs}
    for s in g.stages:
        depth[s.name] = 1 + max((depth[a] for a in s.args), default=0)
    columns: dict[int, list[str]] = {}
    for name in (*g.inputs, *(s.name for s in g.stages)):
        columns.setdefault(depth[name], []).append(name)
    # inputs in the order their first reader needs them: w0, x0 beside w0*x0, w2 below them
    first_reader = {n: next((i for i, s in enumerate(g.stages) if n in s.args), len(g.stages)) for n in g.inputs}
    ordered_inputs = sorted(g.inputs, key=lambda n: (first_reader[n], g.inputs.index(n)))
    row: dict[str, float] = {n: float(i) for i, n in enumerate(ordered_inputs)}
    args = {s.name: s.args for s in g.stages}
    for d in sorted(columns)[1:]:
        # order a column by where its arguments sit (fewer crossings), then spread it out
        column = sorted(columns[d], key=lambda n: sum(row[a] for a in args[n]) / max(1, len(args[n])))
        wanted = [sum(row[a] for a in args[n]) / max(1, len(args[n])) for n in column]
        placed: list[float] = []
        for w in wanted:
            placed.append(max(w, placed[-1] + 1) if placed else w)
        row.update(zip(column, placed))
    ids = {n: f"n{i}" for i, n in enumerate((*g.inputs, *(s.name for s in g.stages)))}
    x_step, y_step = min(3.2, 15.0 / (max(depth.values()) + 1)), -1.5  # fit the page's width
    nodes = [Node(ids[n], 0.0, row[n] * y_step, f"${latex_name(n)}$", "", "input") for n in g.inputs]
    for s in g.stages:
        nodes.append(Node(ids[s.name], depth[s.name] * x_step, row[s.name] * y_step,
                          gate_label(s.label, names),
                          f"${latex_name(s.name)}$", "gate"))
    out_depth = depth[g.output] + 1
    nodes.append(Node("out", out_depth * x_step - 0.8, row[g.output] * y_step, "", "", "output"))

    def fill(value: Value | None) -> str:  # a wire has room for a number, not for "exact ≈ decimal"
        return format_number(value, decimals=2, style="latex") if mode == "filled" else ""

    edges = []
    for s in g.stages:
        for a in dict.fromkeys(s.args):
            contribution = None  # the gradient flowing back along this wire: upstream times local
            if solution.passes is not None:
                local = next(e.value for e in solution.passes.locals if e.stage == s.name and e.arg == a)
                up = solution.grad(s.name)
                exact = None if up.exact is None or local.exact is None else up.exact * local.exact
                contribution = Value(exact, up.approx * local.approx)
            edges.append(Edge(ids[a], ids[s.name], fill(solution.value(a)), fill(contribution)))
    edges.append(Edge(ids[g.output], "out", fill(solution.value(g.output)), fill(Value(sympy.S.One, 1.0))))
    return GraphView(nodes, edges, mode)


def _statement(problem: Problem, fallback: str, names: Mapping[str, str] | None = None) -> str:
    """The problem's intro (its $...$ math in the question's own names), or the fallback."""
    from ..parsing.tex import prose_to_latex

    return prose_to_latex(problem.intro, names) if problem.intro else fallback


def _labels(parts: list[PartView]) -> list[PartView]:
    for letter, part in zip(string.ascii_lowercase, parts):
        part.label = letter
    return parts


def _derivation_block(d: Derivation) -> Block:
    return Block("derivation", d.latex())


