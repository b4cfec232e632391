"""Problem -> what the templates lay out: statements, questions, answer space, solutions, answers.

One handler per problem kind builds a ProblemView from the solved problem. Every piece of LaTeX
here comes from a printer (SymPy's, extended in printing.py, or the parse-tree printer for the
author's own expressions) or from escaped bank text; the templates only arrange it.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from .codegen import python_listing
from .graph import Graph
from .parsing import parse, parse_program
from .parsing.tex import prose_to_latex, text_to_latex
from .passes import Value
from .printing import latex, latex_name, tex_text
from .problems import Problem
from .solve import Solution, solve
from .steps import IDENTITIES, Derivation, chain_steps, gradient_steps

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
    id: str
    title: str
    statement: str
    parts: list[PartView]


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


def number(value: Value | None, digits: int = 2) -> str:
    """A value as the seeds write it: exact when rational, else rounded (0.73, -0.20)."""
    if value is None:
        return ""
    if value.exact is not None and value.exact.is_Rational and len(str(value.exact)) <= 8:
        return latex(value.exact)
    return f"{value.approx:.{digits}f}"


def exact_and_number(value: Value | None) -> str:
    """Exact form and its decimal, for tables: sigma(1) ≈ 0.73."""
    if value is None:
        return ""
    if value.exact is not None and value.exact.is_Rational:
        return latex(value.exact)
    if value.exact is not None and len(str(value.exact)) <= 40:
        return rf"{latex(value.exact)} \approx {value.approx:.4f}"
    return rf"\approx {value.approx:.4f}"


def point_text(point: dict[str, sympy.Expr]) -> str:
    return ", ".join(f"${latex_name(n)} = {latex(v)}$" for n, v in point.items())


# -- computation graph layout -------------------------------------------------------------------


def graph_view(solution: Solution, mode: str) -> GraphView:
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
                          f"${tex_text(s.label)}$" if s.label in ("+", "*") else tex_text(s.label),
                          f"${latex_name(s.name)}$", "gate"))
    out_depth = depth[g.output] + 1
    nodes.append(Node("out", out_depth * x_step - 0.8, row[g.output] * y_step, "", "", "output"))

    def fill(text: str) -> str:
        return text if mode == "filled" else ""

    edges = []
    for s in g.stages:
        for a in dict.fromkeys(s.args):
            contribution = None  # the gradient flowing back along this wire: upstream times local
            if solution.passes is not None:
                local = next(e.value for e in solution.passes.locals if e.stage == s.name and e.arg == a)
                up = solution.grad(s.name)
                exact = None if up.exact is None or local.exact is None else up.exact * local.exact
                contribution = Value(exact, up.approx * local.approx)
            edges.append(Edge(ids[a], ids[s.name], fill(number(solution.value(a))), fill(number(contribution))))
    edges.append(Edge(ids[g.output], "out", fill(number(solution.value(g.output))), fill("1")))
    return GraphView(nodes, edges, mode)


# -- per-kind handlers -------------------------------------------------------------------------------


def _statement(problem: Problem, fallback: str) -> str:
    return prose_to_latex(problem.intro) if problem.intro else fallback


def _labels(parts: list[PartView]) -> list[PartView]:
    for letter, part in zip(string.ascii_lowercase, parts):
        part.label = letter
    return parts


def _derivation_block(d: Derivation) -> Block:
    return Block("derivation", d.latex())


def _definitions(graph: Graph) -> list[str]:
    return [f"{latex_name(s.name)} &= {latex(s.expr)}" for s in graph.stages]


def _staged(problem: Problem) -> ProblemView:
    data = problem.data
    source = data.get("program") or data["expression"]
    names = data.get("names", "letters")
    solution = solve(source, data.get("point"), names=names, granularity=data.get("granularity"))
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
    forward_rows = [(f"{latex_name(n)}", "", exact_and_number(solution.value(n))) for n in g.inputs]
    forward_rows += [(latex_name(s.name), latex(s.expr), exact_and_number(solution.value(s.name))) for s in g.stages]
    backward_rows = [(rf"\frac{{\partial {out}}}{{\partial {latex_name(n)}}}", exact_and_number(solution.grad(n)))
                     for n in (*reversed([s.name for s in g.stages]), *g.inputs)]
    answers_grad = [rf"\frac{{\partial {out}}}{{\partial {latex_name(n)}}} = {number(solution.grad(n))}"
                    for n in g.inputs]
    parts: list[PartView] = []
    for part in problem.parts:
        if part == "graph":
            parts.append(PartView("", f"Here is the computation graph of ${out}$ as a circuit of gates. "
                                  "Assign a variable name to each intermediate result and write its definition.",
                                  3.0, blank=graph_view(solution, "skeleton"),
                                  solution=[Block("graph", graph_view(solution, "plain")),
                                            Block("math", _definitions(g))],
                                  answer=[", ".join(f"{latex_name(s.name)} = {latex(s.expr)}" for s in g.stages)]))
        elif part == "code":
            parts.append(PartView("", "Write code for the forward pass and for the backward pass "
                                  "(backpropagation) of this computation.", 8.0,
                                  solution=[Block("code", python_listing(g, solution.point))],
                                  answer=[f"{out} = {number(solution.value(g.output))}", *answers_grad]
                                  if solution.point else [r"\text{the listing in the solutions}"]))
        elif part == "forward":
            parts.append(PartView("", f"Compute the value of every intermediate variable in the forward pass "
                                  f"at {at}.", 1.0, blanks=[(r[0], r[1], "") for r in forward_rows],
                                  solution=[Block("table", {"head": ("variable", "definition", "value"),
                                                            "rows": forward_rows})],
                                  answer=[f"{out} = {number(solution.value(g.output))}"]))
        elif part == "backward":
            parts.append(PartView("", f"Backpropagate: compute the gradient of ${out}$ with respect to every "
                                  f"intermediate variable and every input at {at}.", 1.0,
                                  blanks=[(r[0], "", "") for r in backward_rows],
                                  solution=[_derivation_block(solution.backprop())],
                                  answer=answers_grad))
        elif part == "values":
            parts.append(PartView("", f"On the computation graph, write the value of every intermediate result "
                                  f"in the forward pass (above each wire) and the gradient flowing back in the "
                                  f"backward pass (below each wire) at {at}.", 1.0,
                                  blank=graph_view(solution, "blank"),
                                  solution=[Block("graph", graph_view(solution, "filled")),
                                            Block("table", {"head": ("variable", "definition", "value"),
                                                            "rows": forward_rows}),
                                            _derivation_block(solution.backprop())],
                                  answer=[f"{out} = {number(solution.value(g.output))}", *answers_grad]))
        elif part == "gradient":
            rows = [rf"\frac{{\partial {out}}}{{\partial {latex_name(n)}}} &= {latex(solution.gradient[n])}"
                    for n in g.inputs]
            parts.append(PartView("", f"Write the gradient of ${out}$ with respect to each input, in the "
                                  "inputs alone.", 4.0, solution=[Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "steps":
            parts.append(PartView("", "Show the backward pass step by step.", 6.0,
                                  solution=[_derivation_block(solution.backprop())], answer=answers_grad))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels(parts))


def _chain(problem: Problem) -> ProblemView:
    program = parse_program(problem.data["program"])
    point = problem.data.get("point")
    lines = r",\quad ".join(f"{latex_name(a.name)} = {latex(a.expr)}" for a in program.assignments)
    parts = []
    for wrt in problem.data["wrt"]:
        d = chain_steps(program, wrt, point)
        claim = latex(d.claim, partial=d.partial)
        parts.append(PartView("", f"Compute ${claim}$ with the chain rule.", 5.0,
                              solution=[_derivation_block(d)], answer=[f"{claim} = {latex(d.result)}"]))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, f"Let ${lines}$."), _labels(parts))


def _gradients(problem: Problem) -> ProblemView:
    expr = parse(problem.data["expression"])
    out = problem.data.get("function", "f")
    point = problem.data.get("point")
    d = gradient_steps(expr, point, output=out)
    variables = sorted(expr.free_symbols, key=lambda s: s.name)
    head = f"{latex_name(out)}\\left({', '.join(latex_name(v.name) for v in variables)}\\right)"
    fallback = f"Consider ${head} = {text_to_latex(problem.data['expression'])}$."
    partial_rows = [rf"\frac{{\partial {latex_name(out)}}}{{\partial {latex_name(v.name)}}} = {latex(r)}"
                    for v, r in zip(variables, d.result)]
    parts = []
    for part in problem.parts:
        if part == "partials":
            parts.append(PartView("", f"Compute the partial derivative of ${latex_name(out)}$ with respect to each "
                                  "variable.", 3.0, solution=[_derivation_block(d)], answer=partial_rows))
        elif part == "gradient":
            vector = latex(sympy.ImmutableMatrix([list(d.result)]))
            parts.append(PartView("", f"Write the gradient $\\nabla {latex_name(out)}$.", 2.0,
                                  solution=[Block("math", [rf"\nabla {latex_name(out)} &= {vector}"])],
                                  answer=[rf"\nabla {latex_name(out)} = {vector}"]))
        elif part == "interpretation":
            parts.append(PartView("", f"At {point_text(point)}, how does a small change in each variable "
                                  f"change ${latex_name(out)}$?", 3.0,
                                  solution=[Block("text", [tex_text(n) for n in d.notes])],
                                  answer=[r"\text{" + tex_text(n) + "}" for n in d.notes if n.startswith("At ")]))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels(parts))


def _identity(problem: Problem) -> ProblemView:
    d = IDENTITIES[problem.data["name"]]()
    derivative = next(s.before for s in d.steps if isinstance(s.before, sympy.Derivative))
    part = PartView("", "Derive it step by step.", 6.0, solution=[_derivation_block(d)],
                    answer=[f"{latex(derivative)} = {latex(d.result)}"])
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, tex_text(d.title)), _labels([part]))


def _derivative(problem: Problem) -> ProblemView:
    from .steps import differentiate

    wrt = problem.data.get("wrt", [None])[0]
    d = differentiate(problem.data["expression"], wrt)
    claim = latex(d.claim, partial=d.partial)
    part = PartView("", f"Compute ${claim}$, naming the rule you use at each step.", 5.0,
                    solution=[_derivation_block(d)], answer=[f"{claim} = {latex(d.result)}"])
    fallback = f"Consider ${text_to_latex(problem.data['expression'])}$."
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels([part]))


HANDLERS: dict[str, Callable[[Problem], ProblemView]] = {
    "staged": _staged, "chain": _chain, "multivariate": _chain, "gradients": _gradients,
    "identity": _identity, "derivative": _derivative,
}


def view(problem: Problem) -> ProblemView:
    """The solved problem, ready for the templates."""
    return HANDLERS[problem.kind](problem)


# -- networks -----------------------------------------------------------------------------------------


def _shown(m: sympy.Matrix) -> sympy.Matrix:
    """A matrix as a worksheet shows it: short exact numbers as they are, others to four decimals."""
    def entry(e):
        if e.is_Rational and len(str(e)) <= 6:
            return e
        return sympy.Float(round(float(e), 4), 4)

    return m.applyfunc(entry)


def _mat(m: sympy.Matrix) -> str:
    return latex(_shown(m))


def _network_statement(problem: Problem, net) -> str:
    from .nets import OUTPUTS_TEX

    acts = ", ".join(f"${OUTPUTS_TEX(a)}$" if a != "identity" else "identity" for a in net.activations)
    bias = {True: "with biases", False: "without biases"}.get(all(net.biases), "with biases in some layers")
    fallback = (f"A fully connected network with layer sizes ${list(net.sizes)}$, activations {acts}, "
                f"{tex_text(net.loss)} loss, {bias}: "
                r"$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$, $a^{(l)} = \sigma(z^{(l)})$, $a^{(0)} = x$.")
    return _statement(problem, fallback)


def _network(problem: Problem) -> ProblemView:
    from .nets import formulas, gradient_step, nice_instance, run
    from .problems import network_of

    net = network_of(problem.data)
    weights, bias, x, y = nice_instance(net, problem.data.get("seed", 0))
    t = run(net, weights, bias, x, y)
    L = net.layers
    given = [f"W^{{({l})}} = {_mat(weights[l - 1])}" for l in range(1, L + 1)]
    given += [f"b^{{({l})}} = {_mat(bias[l - 1])}" for l in range(1, L + 1) if bias[l - 1] is not None]
    given += [f"x = {_mat(x)}", f"y = {_mat(y)}"]
    instance = "$" + r",\quad ".join(given) + "$"
    parts = []
    for part in problem.parts:
        if part == "shapes":
            rows = [(f"W^{{({l})}}", rf"d^{{({l})}} \times d^{{({l - 1})}}",
                     rf"{net.sizes[l]} \times {net.sizes[l - 1]}") for l in range(1, L + 1)]
            rows += [(f"b^{{({l})}}, z^{{({l})}}, a^{{({l})}}, \\delta^{{({l})}}", rf"d^{{({l})}} \times 1",
                      rf"{net.sizes[l]} \times 1") for l in range(1, L + 1)]
            rows += [(rf"\frac{{\partial \ell}}{{\partial W^{{({l})}}}}", rf"d^{{({l})}} \times d^{{({l - 1})}}",
                      rf"{net.sizes[l]} \times {net.sizes[l - 1]}") for l in range(1, L + 1)]
            parts.append(PartView("", "Give the shape of every weight matrix, bias, pre-activation, activation and "
                                  "gradient.", 4.0,
                                  solution=[Block("table", {"head": ("quantity", "shape", "here"), "rows": rows})],
                                  answer=[rf"{r[0]}: {r[2]}" for r in rows[:L]]))
        elif part == "formulas":
            rows = [rf"{f.name} &= {latex(f.expr)} && {latex(f.shape[0])} \times {latex(f.shape[1])}"
                    for f in formulas(net)]
            notes = [tex_text(f"({i + 1}) ") + (f.note if "$" in f.note else tex_text(f.note))
                     for i, f in enumerate(formulas(net)) if f.note]
            parts.append(PartView("", "Write the backward pass in matrix notation, with the shape of each "
                                  "quantity.", 7.0, solution=[Block("math", rows), Block("text", notes)],
                                  answer=[f"{f.name} = {latex(f.expr)}" for f in formulas(net) if "W^" in f.name]))
        elif part == "forward":
            rows = []
            for l in range(1, L + 1):
                rows.append(rf"z^{{({l})}} &= W^{{({l})}} a^{{({l - 1})}}"
                            + (f" + b^{{({l})}}" if bias[l - 1] is not None else "") + f" = {_mat(t.z[l - 1])}")
                rows.append(rf"a^{{({l})}} &= {_mat(t.a[l])}")
            rows.append(rf"\ell &= {latex(sympy.Float(round(float(t.loss), 4), 4))}")
            parts.append(PartView("", f"With {instance}, compute every $z^{{(l)}}$, $a^{{(l)}}$ and the loss.",
                                  5.0, solution=[Block("math", rows)],
                                  answer=[rf"a^{{({L})}} = {_mat(t.a[L])}",
                                          rf"\ell = {latex(sympy.Float(round(float(t.loss), 4), 4))}"]))
        elif part == "backward":
            rows = []
            for l in range(L, 0, -1):
                rows.append(rf"\Omega^{{({l})}} &= \operatorname{{diag}}(\sigma'(z^{{({l})}})) = "
                            rf"{_mat(sympy.diag(*t.derivative[l - 1]))}")
                rows.append(rf"\delta^{{({l})}} &= {_mat(t.delta[l - 1])}")
                rows.append(rf"\frac{{\partial \ell}}{{\partial W^{{({l})}}}} &= \delta^{{({l})}} "
                            rf"(a^{{({l - 1})}})^T = {_mat(t.grad_w[l - 1])}")
                if t.grad_b[l - 1] is not None:
                    rows.append(rf"\frac{{\partial \ell}}{{\partial b^{{({l})}}}} &= {_mat(t.grad_b[l - 1])}")
            parts.append(PartView("", "Backpropagate: compute every $\\delta^{(l)}$ and the gradients with respect "
                                  "to the weights and biases.", 6.0, solution=[Block("math", rows)],
                                  answer=[rf"\frac{{\partial \ell}}{{\partial W^{{({l})}}}} = {_mat(t.grad_w[l - 1])}"
                                          for l in range(1, L + 1)]))
        elif part == "step":
            rate = problem.data.get("learning_rate", sympy.Rational(1, 2))
            new_w, new_b = gradient_step(t, rate)
            rows = [rf"W^{{({l})}} &\leftarrow W^{{({l})}} - \alpha \frac{{\partial \ell}}{{\partial W^{{({l})}}}} = "
                    f"{_mat(new_w[l - 1])}" for l in range(1, L + 1)]
            parts.append(PartView("", f"Take one step of gradient descent with learning rate $\\alpha = "
                                  f"{latex(rate)}$.", 4.0, solution=[Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
    return ProblemView(problem.id, tex_text(problem.title), _network_statement(problem, net), _labels(parts))


def _symmetry(problem: Problem) -> ProblemView:
    from .nets import nice_instance, rows_identical, symmetry
    from .problems import network_of

    net = network_of(problem.data)
    data = problem.data
    _, _, x, y = nice_instance(net, data.get("seed", 0))
    steps, rate, init = data.get("steps", 2), data.get("learning_rate", sympy.Rational(1, 2)), data["init"]
    parts = []
    for part in problem.parts:
        random_start = part == "random"
        history = symmetry(net, init, x, y, steps, rate, seed=data.get("seed", 0) if random_start else None)
        same = [rows_identical(h[0]) for h in history]
        rows = [rf"\text{{after {k} step{'s' if k != 1 else ''}}}: W^{{(1)}} &= {_mat(h[0])}"
                for k, h in enumerate(history)]
        if random_start:
            verdict = ("The rows of $W^{(1)}$ differ from the start and stay different: random initialization "
                       "breaks the symmetry, so the hidden units learn different features."
                       if not any(same) else "Some rows happen to coincide.")
            question = "Now start from small random weights. What happens to the rows of $W^{(1)}$?"
        else:
            verdict = ("Every row of $W^{(1)}$ is the same after every step: each hidden unit computes the same "
                       "value and receives the same gradient, so the hidden units stay identical however long "
                       "training runs." if all(same) else "The rows become different.")
            question = (f"Initialize every weight and bias to ${latex(init)}$ and take {steps} steps of gradient "
                        f"descent (learning rate ${latex(rate)}$) at $x = {_mat(x)}$, $y = {_mat(y)}$. What do you "
                        "notice about the hidden units (the rows of $W^{(1)}$)?")
        parts.append(PartView("", question, 5.0, solution=[Block("math", rows), Block("text", [verdict])],
                              answer=[r"\text{" + ("rows stay identical" if all(same) else "rows differ") + "}"]))
    return ProblemView(problem.id, tex_text(problem.title), _network_statement(problem, net), _labels(parts))


def _counts(problem: Problem) -> ProblemView:
    from .nets import parameter_count

    n = problem.data["sizes"]
    pairs = list(zip(n, n[1:]))
    parts = []
    for part in problem.parts:
        biases = part == "with-biases"
        terms = " + ".join(f"({a} + 1) \\cdot {b}" if biases else f"{a} \\cdot {b}" for a, b in pairs)
        formula = r"\sum_{i=0}^{\ell-1} " + ("(n^{(i)} + 1)\\, n^{(i+1)}" if biases else "n^{(i)} n^{(i+1)}")
        total = parameter_count(n, biases)
        question = ("How many parameters are there counting the biases too?" if biases else
                    "How many weight parameters (without biases) does the network have?")
        parts.append(PartView("", question, 2.0, solution=[Block("math", [f"{formula} &= {terms} = {total}"])],
                              answer=[f"{total}"]))
    fallback = (f"A fully connected network has layer sizes $n = {list(n)}$ (layer 0 is the input, layer "
                f"{len(n) - 1} the output).")
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels(parts))


def _cnn(problem: Problem) -> ProblemView:
    from .nets import trace_shapes

    shape_in = problem.data["input"]
    traced = trace_shapes(shape_in, problem.data["layers"])

    def text_cell(s: str) -> str:
        return r"\text{" + tex_text(s) + "}"

    def shape(s) -> str:
        return "(N, " + ", ".join(str(v) for v in s) + ")"

    parts = []
    for part in problem.parts:
        if part == "shapes":
            rows, previous = [], shape_in
            for e in traced:
                a = e.layer.args
                how = ""
                if e.layer.kind in ("Conv2d", "MaxPool2d"):
                    n, f, p, s = previous[1], a["kernel_size"], a["padding"], a["stride"]
                    how = rf"\frac{{{n} - {f} + 2 \cdot {p}}}{{{s}}} + 1 = {e.shape[1]}"
                rows.append((text_cell(str(e.layer)), how, text_cell(shape(e.shape))))
                previous = e.shape
            parts.append(PartView("", f"The input has shape {shape(shape_in)}. Give the shape after each layer.",
                                  5.0, solution=[Block("table", {"head": ("layer", "$o = (n - f + 2p)/s + 1$", "shape"),
                                                                 "rows": rows})],
                                  answer=[text_cell(f"{i}. {shape(e.shape)}") for i, e in enumerate(traced, 1)]))
        else:
            rows = []
            for e in traced:
                dense = f"{e.dense_params:,}".replace(",", r"\,") if e.dense_params is not None else ""
                rows.append((text_cell(str(e.layer)), f"{e.params:,}".replace(",", r"\,"), dense))
            parts.append(PartView("", "How many parameters does each layer have? For each convolution, also give "
                                  "the parameters of a fully connected layer from its flattened input to its "
                                  "flattened output.", 5.0,
                                  solution=[Block("table", {"head": ("layer", "parameters", "fully connected"),
                                                            "rows": rows})],
                                  answer=[text_cell(f"{i}. {e.params}") for i, e in enumerate(traced, 1)]))
    fallback = f"A convolutional network receives a batch of N inputs of shape {shape(shape_in)[4:-1]}."
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, tex_text(fallback)), _labels(parts))


def _hadamard(problem: Problem) -> ProblemView:
    a, b = sympy.Matrix(problem.data["a"]), sympy.Matrix(problem.data["b"])
    product = a.multiply_elementwise(b)
    row = rf"{latex(a)} \odot {latex(b)} &= {latex(product)}"
    part = PartView("", f"Compute ${latex(a)} \\odot {latex(b)}$.", 2.0, solution=[Block("math", [row])],
                    answer=[row.replace("&", "", 1)])
    fallback = "The Hadamard product $\\odot$ multiplies two vectors of the same size entry by entry."
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, fallback), _labels([part]))


HANDLERS.update({"network": _network, "symmetry": _symmetry, "counts": _counts, "cnn": _cnn, "hadamard": _hadamard})
