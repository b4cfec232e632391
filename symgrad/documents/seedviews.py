"""The kinds added for the seeds' remaining parts -> what the templates lay out: conceptual questions
with model answers (concept), the Jacobian chain rule (jacobian), the multivariate chain rule as a sum
over the paths of a graph (paths). Every formula comes from the printer or the grammar."""

from __future__ import annotations

import sympy

from ..parsing import parse_program, symbol
from ..parsing.tex import prose_to_latex, text_to_latex
from ..printing import format_count, latex, latex_name, tex_text
from ..solve import solve
from ..steps import chain_steps
from .bank import Problem
from .layout import Block, GraphView, PartView, ProblemView, _labels, _statement, graph_view
from .notation import derivation_block
from .seedparts import Row, jacobian_chain, question_of


def _d(top: str | sympy.Basic, below: str | sympy.Basic, partial: bool = True) -> str:
    """d top / d below, printed by the printer (a name stands for a symbol)."""
    top = symbol(top) if isinstance(top, str) else top
    below = symbol(below) if isinstance(below, str) else below
    return latex(sympy.Derivative(top, below), partial=partial)


def _integer(value: sympy.Expr) -> str:
    """A count as the documents print one: 20200, 10\\,000 (thin spaces from five digits on)."""
    return format_count(int(value)) if value.is_Integer else latex(value)


# -- concept ----------------------------------------------------------------------------------------


def _row_cells(row: Row) -> tuple[str, str, str]:
    """quantity | name = formula | value (a formula that is the value itself is not repeated)."""
    formula, value = text_to_latex(row.formula), _integer(row.value)
    formula = "" if formula == value else formula
    if row.name:
        formula = f"{latex_name(row.name)} = {formula}" if formula else latex_name(row.name)
    return r"\text{" + prose_to_latex(row.say) + "}", formula, value


def _concept(problem: Problem) -> ProblemView:
    parts = []
    for part in problem.parts:
        q = question_of(problem, part)
        solution = [Block("text", [prose_to_latex(q.answer)])]
        answer = [r"\text{" + prose_to_latex(q.summary) + "}"]
        if q.compute:
            solution.append(Block("table", {"head": ("quantity", "formula", "value"),
                                            "rows": [_row_cells(r) for r in q.compute]}))
            named = [f"{latex_name(r.name)} = {_integer(r.value)}" for r in q.compute if r.name]
            if named:
                answer.append(r",\quad ".join(named))
        parts.append(PartView("", prose_to_latex(q.ask), q.space, solution=solution, answer=answer))
    return ProblemView(problem.id, tex_text(problem.title), _statement(problem, ""), _labels(parts))


# -- jacobian ---------------------------------------------------------------------------------------


def _size(rows: int, cols: int) -> str:
    return rf"{rows} \times {cols}"


def _jacobian(problem: Problem) -> ProblemView:
    c = jacobian_chain(problem)
    m, n, k = c.sizes  # f: R^n -> R^m after g: R^k -> R^n (the seed's l)
    x_vec = sympy.Symbol("x")
    f, g = sympy.Function("f"), sympy.Function("g")
    df_dy, dg_dx = _d("f", "y"), _d("g", "x")
    composite = latex(sympy.Derivative(f(g(x_vec)), x_vec), partial=True)
    at_g = rf"{df_dy}\left({latex(g(x_vec))}\right)"
    g_head, f_head = latex(g(*c.x)), latex(f(*c.y))
    instance = (rf"Let $g\colon \mathbb{{R}}^{{{k}}} \to \mathbb{{R}}^{{{n}}}$ and "
                rf"$f\colon \mathbb{{R}}^{{{n}}} \to \mathbb{{R}}^{{{m}}}$ be"
                rf"\[ {g_head} = {latex(c.g)}, \qquad {f_head} = {latex(c.f)}. \]")
    statement = (prose_to_latex(problem.intro) + " " if problem.intro else "") + instance
    parts = []
    for part in problem.parts:
        if part == "rule":
            rows = [rf"{composite} &= {at_g} \cdot {dg_dx}",
                    r"&\phantom{=} (m \times n) \cdot (n \times l) = m \times l"]
            notes = [rf"$f \circ g$ maps $\mathbb{{R}}^{{l}}$ to $\mathbb{{R}}^{{m}}$, so its Jacobian is "
                     r"$m \times l$. "
                     rf"The Jacobian ${df_dy}$ of $f$ has one row per output of $f$ and one column per input: "
                     rf"$m \times n$; ${dg_dx}$ is $n \times l$. The inner sizes agree (both $n$), so the product "
                     rf"is defined and is $m \times l$. Here $m = {m}$, $n = {n}$, $l = {k}$: "
                     rf"$({_size(m, n)}) \cdot ({_size(n, k)}) = {_size(m, k)}$.",
                     r"The formula needs $g$ differentiable at $x$ and $f$ differentiable at the point $g(x)$, "
                     rf"where ${df_dy}$ is evaluated."]
            parts.append(PartView("", r"In general, let $g\colon \mathbb{R}^{l} \to \mathbb{R}^{n}$ and "
                                  r"$f\colon \mathbb{R}^{n} \to \mathbb{R}^{m}$. Write the Jacobian of $f \circ g$ "
                                  rf"in terms of the Jacobian matrix ${df_dy}$ of $f$ and the Jacobian matrix "
                                  rf"${dg_dx}$ of $g$. Make sure the dimensions line up. What conditions must "
                                  "hold for the formula to make sense?", 4.0,
                                  solution=[Block("math", rows), Block("text", notes)],
                                  answer=[rf"{composite} = {at_g} \cdot {dg_dx}",
                                          r"(m \times n)(n \times l) = m \times l"]))
        elif part == "jacobians":
            shown = [(df_dy, latex(c.df_dy), _size(m, n)), (dg_dx, latex(c.dg_dx), _size(n, k))]
            parts.append(PartView("", rf"For the $f$ and $g$ above, compute ${df_dy}$ and ${dg_dx}$ and give "
                                  "their sizes.", 4.0,
                                  solution=[Block("math", [f"{a} &= {b} && {size}" for a, b, size in shown])],
                                  answer=[rf"{a} = {b} \quad ({size})" for a, b, size in shown]))
        elif part == "product":
            rows = [rf"{at_g} &= {latex(c.df_dy_at_g)}",
                    rf"{at_g} \cdot {dg_dx} &= {latex(c.product)} && {_size(m, k)}",
                    rf"{latex(f(g(x_vec)))} &= {latex(c.composite)}",
                    rf"{composite} &= {latex(c.direct)}"]
            check = ("The product of the Jacobians and the Jacobian of $f(g(x))$ computed directly agree entry "
                     "by entry (symgrad checks it symbolically).")
            parts.append(PartView("", rf"Evaluate ${df_dy}$ at $y = g(x)$ and multiply it by ${dg_dx}$. Check the "
                                  rf"result against the Jacobian of $f(g(x))$ computed directly.", 5.0,
                                  solution=[Block("math", rows), Block("text", [check])],
                                  answer=[rf"{composite} = {latex(c.product)}"]))
    return ProblemView(problem.id, tex_text(problem.title), statement, _labels(parts))


# -- paths ------------------------------------------------------------------------------------------


def _labelled_graph(program_text: str) -> GraphView:
    """The program's graph with each wire labelled by its local derivative (d x1/dw = 2w above it)."""
    solution = solve(program_text, granularity="coarse")
    g = solution.graph
    shown = graph_view(solution, "plain")
    names = {f"n{i}": n for i, n in enumerate((*g.inputs, *(s.name for s in g.stages)))}
    stages = {s.name: s for s in g.stages}
    for edge in shown.edges:
        if edge.dst in names:
            local = sympy.diff(stages[names[edge.dst]].expr, symbol(names[edge.src]))
            edge.value, edge.grad = latex(local), ""
    shown.mode = "filled"
    return shown


def _path(out: str, node: sympy.Symbol, wrt: str) -> str:
    """∂out/∂node · ∂node/∂wrt, the derivatives along one path, in that order (SymPy would sort them)."""
    return rf"{_d(out, node)} \cdot {_d(node, wrt)}"


def _paths(problem: Problem) -> ProblemView:
    program = parse_program(problem.data["program"])
    point = problem.data.get("point")
    out = program.assignments[-1].name
    middle = [a.name for a in program.assignments[:-1]]
    definitions = r",\quad ".join(f"{latex_name(a.name)} = {latex(a.expr)}" for a in program.assignments)
    statement = (prose_to_latex(problem.intro) + " " if problem.intro else "") + \
        rf"Here $n = {len(middle)}$: \[ {definitions}. \]"
    parts = []
    for wrt in problem.data["wrt"]:
        xi = sympy.Symbol("x_{i}")
        x = sympy.Symbol("x")
        total = _d(out, wrt, partial=False)
        general = rf"\sum_{{i=1}}^{{n}} {_path(out, xi, wrt)}"
        matrix = _path(out, x, wrt)
        instance = " + ".join(_path(out, symbol(m), wrt) for m in middle)
        for part in problem.parts:
            if part == "rule":
                notes = [rf"${latex_name(out)}$ depends on ${latex_name(wrt)}$ only through the $x_{{i}}$: a change "
                         rf"in ${latex_name(wrt)}$ reaches ${latex_name(out)}$ along $n$ paths, "
                         rf"${latex_name(wrt)} \to x_{{i}} \to {latex_name(out)}$, and to first order the changes "
                         "along the paths add up. Along each path the derivatives multiply (the chain rule). "
                         rf"In vector form it is the row of partials ${_d(out, 'x')}$ times the column "
                         rf"${_d('x', wrt, partial=False)}$.",
                         rf"The total derivative ${total}$ is often written ${_d(out, wrt)}$; here it is the same "
                         rf"thing, because ${latex_name(wrt)}$ is the only input."]
                parts.append(PartView("", rf"Let ${latex_name(out)}$ be a function of $x_{{1}}, \dots, x_{{n}}$, where "
                                      rf"each $x_{{i}} = g_{{i}}({latex_name(wrt)})$ is a function of one scalar "
                                      rf"${latex_name(wrt)}$. How do you compute the derivative of "
                                      rf"${latex_name(out)}(g_{{1}}({latex_name(wrt)}), \dots, g_{{n}}"
                                      rf"({latex_name(wrt)}))$ with respect to ${latex_name(wrt)}$?", 4.0,
                                      solution=[Block("math", [rf"{total} &= {general} = {matrix}",
                                                               rf"&= {instance} \quad (n = {len(middle)})"]),
                                                Block("text", notes)],
                                      answer=[rf"{total} = {general}"]))
            elif part == "graph":
                edges = r",\ ".join(rf"{latex_name(wrt)} \to {latex_name(m)} \to {latex_name(out)}" for m in middle)
                parts.append(PartView("", rf"Draw the computation graph of ${latex_name(out)}$ for the instance "
                                      "above, and write the local derivative on each edge.", 5.0,
                                      solution=[Block("graph", _labelled_graph(problem.data["program"])),
                                                Block("text", [rf"One path per $x_{{i}}$: ${edges}$. "
                                                               rf"${total}$ is the sum over the paths of the "
                                                               "product of the local derivatives along each."])],
                                      answer=[rf"\text{{paths }} {edges}"]))
            elif part == "derivative":
                d = chain_steps(program, wrt, point)
                claim = latex(d.claim, partial=d.partial)
                parts.append(PartView("", rf"Compute ${total}$ for the instance above with the multivariate "
                                      "chain rule.", 5.0, solution=[derivation_block(d, problem.symbols)],
                                      answer=[f"{claim} = {latex(d.shown)}"]))
    return ProblemView(problem.id, tex_text(problem.title), statement, _labels(parts))


SEED_HANDLERS = {"concept": _concept, "jacobian": _jacobian, "paths": _paths}
