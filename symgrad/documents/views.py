"""Problem -> what the templates lay out: statements, questions, answer space, solutions, answers.

One handler per problem kind builds a ProblemView from the solved problem. Every piece of LaTeX
here comes from a printer (SymPy's, extended in printing.py, or the parse-tree printer for the
author's own expressions) or from escaped bank text; the templates only arrange it.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from ..codegen import python_listing
from ..graph import Graph
from ..parsing import as_written, parse_program, symbol
from ..parsing.tex import text_to_latex
from ..printing import latex, latex_name, tex_text
from ..steps import IDENTITIES, chain_steps, gradient_steps
from .bank import Problem
from .layout import (
    Block,
    PartView,
    ProblemView,
    _labels,
    _statement,
    graph_view,
    point_text,
)
from .netviews import NETWORK_HANDLERS
from .networks import NETWORK_KINDS
from .notation import answer_number, correction_blocks, derivation_block, note_latex, value_cell
from .seedviews import SEED_HANDLERS

# -- per-kind handlers -------------------------------------------------------------------------------


def _partial(top: str, below: str) -> str:
    """∂top/∂below, from the printer."""
    return latex(sympy.Derivative(symbol(top), symbol(below)), partial=True)


def _definitions(graph: Graph, names) -> list[str]:
    return [f"{latex_name(s.name)} &= {latex(s.written, names=names)}" for s in graph.stages]


def _staged(problem: Problem) -> ProblemView:
    data = problem.data
    source = data.get("program") or data["expression"]
    solution = problem.solution()
    names = problem.symbols
    g, out = solution.graph, latex_name(solution.graph.output)
    at = point_text(solution.point) if solution.point else ""
    if "expression" in data:
        fallback = f"Consider ${out}\\left({', '.join(latex_name(n) for n in g.inputs)}\\right) = " \
                   f"{text_to_latex(data['expression'])}$."
    else:
        fallback = "Consider the staged computation $" + r",\ ".join(
            f"{latex_name(a.name)} = {text_to_latex(line.split('=', 1)[1].split('#')[0])}"
            for a, line in zip(parse_program(source).assignments,
                               [ln for ln in source.splitlines() if "=" in ln.split("#")[0]])) + "$."
    forward_rows = [(f"{latex_name(n)}", "", value_cell(solution.value(n), names)) for n in g.inputs]
    forward_rows += [(latex_name(s.name), latex(s.written, names=names), value_cell(solution.value(s.name), names))
                     for s in g.stages]

    def backprop() -> Block:
        return derivation_block(solution.backprop(), names)

    output = g.output
    backward_rows = [(_partial(output, n), value_cell(solution.grad(n), names))
                     for n in (*reversed([s.name for s in g.stages]), *g.inputs)]
    answers_grad = [f"{_partial(output, n)} = {answer_number(solution.grad(n), names)}" for n in g.inputs]
    parts: list[PartView] = []
    for part in problem.parts:
        if part == "graph":
            parts.append(PartView("", f"Here is the computation graph of ${out}$ as a circuit of gates. "
                                  "Assign a variable name to each intermediate result and write its definition.",
                                  3.0, blank=graph_view(solution, "skeleton", names),
                                  solution=[Block("graph", graph_view(solution, "plain", names)),
                                            Block("math", _definitions(g, names))],
                                  answer=[", ".join(f"{latex_name(s.name)} = {latex(s.written, names=names)}"
                                                    for s in g.stages)]))
        elif part == "code":
            parts.append(PartView("", "Write code for the forward pass and for the backward pass "
                                  "(backpropagation) of this computation.", 8.0,
                                  solution=[Block("code", python_listing(g, solution.point))],
                                  answer=[f"{out} = {answer_number(solution.value(g.output), names)}", *answers_grad]
                                  if solution.point else [r"\text{the listing in the solutions}"]))
        elif part == "forward":
            parts.append(PartView("", f"Compute the value of every intermediate variable in the forward pass "
                                  f"at {at}.", 1.0, blanks=[(r[0], r[1], "") for r in forward_rows],
                                  solution=[Block("table", {"head": ("variable", "definition", "value"),
                                                            "rows": forward_rows})],
                                  answer=[f"{latex_name(s.name)} = {answer_number(solution.value(s.name), names)}"
                                          for s in g.stages]))
        elif part == "backward":
            parts.append(PartView("", f"Backpropagate: compute the gradient of ${out}$ with respect to every "
                                  f"intermediate variable and every input at {at}.", 1.0,
                                  blanks=[(r[0], "", "") for r in backward_rows],
                                  solution=[backprop()],
                                  answer=[f"{r[0]} = {answer_number(solution.grad(n), names)}"
                                          for r, n in zip(backward_rows, (*reversed([s.name for s in g.stages]),
                                                                          *g.inputs))]))
        elif part == "values":
            parts.append(PartView("", f"On the computation graph, write the value of every intermediate result "
                                  f"in the forward pass (above each wire) and the gradient flowing back in the "
                                  f"backward pass (below each wire) at {at}.", 1.0,
                                  blank=graph_view(solution, "blank", names),
                                  solution=[Block("graph", graph_view(solution, "filled", names)),
                                            Block("table", {"head": ("variable", "definition", "value"),
                                                            "rows": forward_rows}),
                                            backprop()],
                                  answer=[f"{out} = {answer_number(solution.value(g.output), names)}", *answers_grad]))
        elif part == "gradient":
            rows = [f"{_partial(output, n)} &= {latex(solution.gradient[n], names=names)}" for n in g.inputs]
            parts.append(PartView("", f"Write the gradient of ${out}$ with respect to each input, in the "
                                  "inputs alone.", 4.0, solution=[Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "steps":
            parts.append(PartView("", "Show the backward pass step by step.", 6.0,
                                  solution=[backprop()], answer=answers_grad))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels(parts))


def _chain(problem: Problem) -> ProblemView:
    program = parse_program(problem.data["program"])
    point = problem.data.get("point")
    names = problem.symbols
    lines = r",\quad ".join(f"{latex_name(a.name)} = {latex(a.expr, names=names)}" for a in program.assignments)
    parts = []
    for wrt in problem.data["wrt"]:
        d = chain_steps(program, wrt, point)
        claim = latex(d.claim, partial=d.partial, names=names)
        parts.append(PartView("", f"Compute ${claim}$ with the chain rule.", 5.0,
                              solution=[derivation_block(d, names)],
                              answer=[f"{claim} = {latex(d.shown, names=names)}"]))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, f"Let ${lines}$."), _labels(parts))


def _gradients(problem: Problem) -> ProblemView:
    expr = as_written(problem.data["expression"])  # the partials' steps follow the author's order
    out = problem.data.get("function", "f")
    point = problem.data.get("point")
    names = problem.symbols
    d = gradient_steps(expr, point, output=out)
    variables = sorted(expr.free_symbols, key=lambda s: s.name)
    head = f"{latex_name(out)}\\left({', '.join(latex_name(v.name) for v in variables)}\\right)"
    fallback = f"Consider ${head} = {text_to_latex(problem.data['expression'])}$."
    partial_rows = [f"{_partial(out, v.name)} = {latex(r, names=names)}" for v, r in zip(variables, d.shown)]
    parts = []
    for part in problem.parts:
        if part == "partials":
            parts.append(PartView("", f"Compute the partial derivative of ${latex_name(out)}$ with respect to each "
                                  "variable.", 3.0, solution=[derivation_block(d, names)], answer=partial_rows))
        elif part == "gradient":
            vector = latex(sympy.ImmutableMatrix([list(d.shown)]), names=names)
            parts.append(PartView("", f"Write the gradient $\\nabla {latex_name(out)}$.", 2.0,
                                  solution=[Block("math", [rf"\nabla {latex_name(out)} &= {vector}"])],
                                  answer=[rf"\nabla {latex_name(out)} = {vector}"]))
        elif part == "interpretation":
            shown = [v.name for v in variables] + [out]
            parts.append(PartView("", f"At {point_text(point)}, how does a small change in each variable "
                                  f"change ${latex_name(out)}$?", 3.0,
                                  solution=[Block("text", [note_latex(n, shown) for n in d.notes])],
                                  answer=[r"\text{" + note_latex(n, shown) + "}" for n in d.notes
                                          if n.startswith("At ")]))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels(parts))


def _identity(problem: Problem) -> ProblemView:
    d = IDENTITIES[problem.data["name"]]()
    derivative = next(s.before for s in d.steps if isinstance(s.before, sympy.Derivative))
    names = problem.symbols
    part = PartView("", "Derive it step by step.", 6.0, solution=[derivation_block(d, names)],
                    answer=[f"{latex(derivative, names=names)} = {latex(d.shown, names=names)}"])
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, tex_text(d.title)), _labels([part]))


def _derivative(problem: Problem) -> ProblemView:
    from ..steps import differentiate

    wrt = problem.data.get("wrt", [None])[0]
    d = differentiate(problem.data["expression"], wrt)
    names = problem.symbols
    claim = latex(d.claim, partial=d.partial, names=names)
    part = PartView("", f"Compute ${claim}$, naming the rule you use at each step.", 5.0,
                    solution=[derivation_block(d, names)], answer=[f"{claim} = {latex(d.shown, names=names)}"])
    fallback = f"Consider ${text_to_latex(problem.data['expression'])}$."
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels([part]))


HANDLERS: dict[str, Callable[[Problem], ProblemView]] = {
    "staged": _staged, "chain": _chain, "multivariate": _chain, "gradients": _gradients,
    "identity": _identity, "derivative": _derivative, **SEED_HANDLERS, **NETWORK_HANDLERS, **NETWORK_KINDS,
}


def view(problem: Problem) -> ProblemView:
    """The solved problem, ready for the templates; a part where we correct a seed ends with that note."""
    shown = HANDLERS[problem.kind](problem)
    if problem.corrections:
        # one view per part, in order; else (one view per wrt of a chain problem) the notes go last
        pairs = zip(problem.parts, shown.parts) if len(shown.parts) == len(problem.parts) else \
            ((name, shown.parts[-1]) for name in problem.parts)
        for name, part in pairs:
            part.solution.extend(correction_blocks(problem, name))
    return shown
