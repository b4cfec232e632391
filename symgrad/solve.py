"""The public entry point: input (text, staged program or SymPy) -> staged graph, both passes, check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import sympy

from .codegen import python_listing
from .errors import SymgradError
from .graph import Granularity, Graph, stage_expression, stage_program
from .numeric import Check, check
from .parsing import as_written, is_program, parse, parse_program
from .passes import Local, Number, Passes, Value, local_derivatives, run, symbolic_gradient, to_number
from .printing import format_exact_and_number, format_number, latex, latex_name, sympy_syntax, text
from .steps import Derivation, backprop_steps


def to_graph(
    source: str | sympy.Expr, *, names: str = "letters", granularity: Granularity | None = None
) -> Graph:
    """Stage text (an expression or a staged program) or a SymPy expression.

    Granularity defaults to fine for an expression (every primitive, as a circuit diagram draws
    it) and coarse for a staged program (its lines are already the stages the author chose).
    """
    if isinstance(source, str):
        if is_program(source):
            return stage_program(parse_program(source), names=names, granularity=granularity or "coarse")
        graph = stage_expression(parse(source), names=names, granularity=granularity or "fine")
        return replace(graph, shown=as_written(source))
    if isinstance(source, sympy.Basic):
        return stage_expression(source, names=names, granularity=granularity or "fine")
    raise SymgradError(f"expected text or a SymPy expression, got {type(source).__name__}")


@dataclass(frozen=True)
class Solution:
    """A staged computation, and its forward and backward passes when a point is given."""

    graph: Graph
    point: Mapping[str, sympy.Expr] | None = None
    passes: Passes | None = field(default=None, repr=False)

    @cached_property
    def gradient(self) -> dict[str, sympy.Expr]:
        """d output / d input, symbolic in the inputs alone."""
        return symbolic_gradient(self.graph)

    def check(self, samples: int = 3, seed: int = 0) -> Check:
        """Finite differences against the backward pass, at the point and at random points."""
        return check(self.graph, self.point, samples=samples, seed=seed)

    def value(self, name: str) -> Value | None:
        return None if self.passes is None else self.passes.values[name]

    def grad(self, name: str) -> Value | None:
        return None if self.passes is None else self.passes.grads[name]

    @property
    def locals(self) -> tuple[Local, ...]:
        """Every edge's local derivative d stage / d arg, with its value when there is a point."""
        if self.passes is not None:
            return self.passes.locals
        return tuple(Local(st, a, d, None) for st, a, d in local_derivatives(self.graph))

    def python(self) -> str:
        """Runnable forward/backward code in the seeds' style."""
        return python_listing(self.graph, self.point)

    # -- the JSON contract of `symgrad solve --format json` ------------------------------------
    def to_dict(self, check_result: Check | None = None) -> dict[str, Any]:
        g = self.graph

        def num(v: Value | None) -> float | None:
            return None if v is None else v.approx

        def exact(v: Value | None) -> str | None:
            return None if v is None or v.exact is None else sympy_syntax(v.exact)

        locals_: dict[str, dict[str, Any]] = {}
        for edge in self.locals:
            locals_.setdefault(edge.stage, {})[edge.arg] = {
                "symbolic": sympy_syntax(edge.symbolic), "value": num(edge.value), "exact": exact(edge.value),
            }
        stages = [
            {
                "name": s.name, "op": s.op, "args": list(s.args), "expr": sympy_syntax(s.expr),
                "value": num(self.value(s.name)), "exact": exact(self.value(s.name)),
                "grad": num(self.grad(s.name)), "grad_exact": exact(self.grad(s.name)),
                "local": locals_.get(s.name, {}),
            }
            for s in g.stages
        ]
        result: dict[str, Any] = {
            "expression": sympy_syntax(g.source),
            "inputs": {n: (sympy_syntax(self.point[n]) if self.point else None) for n in g.inputs},
            "stages": stages,
            "output": {"name": g.output, "value": num(self.value(g.output)), "exact": exact(self.value(g.output))},
            "gradient": {
                n: {"value": num(self.grad(n)), "exact": exact(self.grad(n)),
                    "symbolic": sympy_syntax(self.gradient[n])}
                for n in g.inputs
            },
        }
        if check_result is not None:
            result["check"] = {
                "ok": check_result.ok,
                "max_rel_error": check_result.max_rel_error,
                "tolerance": check_result.tolerance,
                "points": [
                    {"point": p.point, "inputs": {
                        c.name: {"backprop": c.backprop, "finite_difference": c.finite_difference,
                                 "rel_error": c.rel_error} for c in p.inputs}}
                    for p in check_result.points
                ],
            }
        return result

    # -- text and LaTeX tables --------------------------------------------------------------
    def table(self, check_result: Check | None = None) -> str:
        """A readable forward/backward table."""
        g = self.graph
        out = g.output
        lines = [f"{out}({', '.join(g.inputs)}) = {text(g.written)}"]
        if self.point:
            lines.append("at " + ", ".join(f"{n} = {format_number(self.point[n])}" for n in g.inputs))
        rows = [("stage", "gate", "value", f"d{out}/d·")]
        for n in g.inputs:
            rows.append((n, "input", _show(self.value(n)), _show(self.grad(n))))
        for s in g.stages:
            rows.append((f"{s.name} = {text(s.written)}", s.label, _show(self.value(s.name)),
                         _show(self.grad(s.name))))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines.append("")
        for i, r in enumerate(rows):
            cells = [c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append("")
        lines.append("local derivatives (backward: upstream gradient times local, summed where a value fans out)")
        for edge in self.locals:
            shown = edge.value is not None and not edge.symbolic.is_Number
            tail = f" = {_show(edge.value)}" if shown else ""
            lines.append(f"  ∂{edge.stage}/∂{edge.arg} = {text(edge.symbolic)}{tail}")
        lines.append("")
        lines.append("gradient")
        for n in g.inputs:
            tail = f" = {_show(self.grad(n))}" if self.passes else ""
            lines.append(f"  d{out}/d{n} = {text(self.gradient[n])}{tail}")
        if check_result is not None:
            verdict = "ok" if check_result.ok else "MISMATCH"
            lines.append("")
            lines.append(
                f"check: finite differences at {len(check_result.points)} point(s), "
                f"max relative error {check_result.max_rel_error:.1e} "
                f"({verdict}, tolerance {check_result.tolerance:.0e})"
            )
            for p in check_result.points:
                where = ", ".join(f"{n}={format_number(v)}" for n, v in p.point.items())
                worst = max(p.inputs, key=lambda c: c.rel_error)
                lines.append(f"  at {where}: worst d{out}/d{worst.name} backprop "
                             f"{format_number(worst.backprop, digits=12)}, finite difference "
                             f"{format_number(worst.finite_difference, digits=12)}, relative error "
                             f"{worst.rel_error:.1e}")
        return "\n".join(lines)

    # -- rich display in Jupyter -------------------------------------------------------------
    def _repr_svg_(self) -> str | None:
        from .draw import graph_svg

        return graph_svg(self)

    def _repr_html_(self) -> str:
        """The graph (when Graphviz is there) and the forward/backward table."""
        import html

        from .draw import INSTALL, graph_svg

        g = self.graph
        svg = graph_svg(self)
        head = f"<p><b>{html.escape(g.output)}({', '.join(g.inputs)}) = {html.escape(text(g.written))}</b>"
        if self.point:
            head += " at " + ", ".join(f"{n} = {html.escape(format_number(v))}" for n, v in self.point.items())
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(d)}</td><td>{html.escape(_show(self.value(n)))}</td>"
            f"<td>{html.escape(_show(self.grad(n)))}</td></tr>"
            for n, d in [*((n, "input") for n in g.inputs), *((s.name, text(s.written)) for s in g.stages)]
        )
        table = (f"<table><tr><th>node</th><th>definition</th><th>value</th><th>d{html.escape(g.output)}/d·</th></tr>"
                 f"{rows}</table>")
        picture = svg if svg else f"<p><i>{html.escape(INSTALL)}</i></p>"
        return head + "</p>" + picture + table

    def _repr_latex_(self) -> str:
        return self.latex()

    def backprop(self) -> Derivation:
        """The backward pass as checked steps (values at the point, if there is one)."""
        return backprop_steps(self.graph, self.point)

    def latex(self) -> str:
        """Forward table, backward steps and the gradient, as LaTeX (needs amsmath and amssymb)."""
        g = self.graph
        rows = [r"\begin{tabular}{ll}", r"\hline", r"forward & value \\", r"\hline"]
        for n in g.inputs:
            rows.append(rf"${latex_name(n)}$ & {_tex(self.value(n))} \\")
        for s in g.stages:
            rows.append(rf"${latex_name(s.name)} = {latex(s.written)}$ & {_tex(self.value(s.name))} \\")
        rows += [r"\hline", r"\end{tabular}", ""]
        rows.append(self.backprop().latex())
        grads = [
            rf"{latex(sympy.Derivative(sympy.Symbol(g.output), sympy.Symbol(n)), partial=True)} "
            rf"&= {latex(self.gradient[n])}" + (rf" = {_tex_num(self.grad(n))}" if self.passes else "")
            for n in g.inputs
        ]
        rows += [r"\begin{align*}", " \\\\\n".join(grads), r"\end{align*}"]
        return "\n".join(rows) + "\n"


def _show(v: Value | None) -> str:
    """A value in the text table and the notebook's HTML: the one policy of printing.format_number."""
    return format_exact_and_number(v)


def _tex_num(v: Value | None) -> str:
    return format_exact_and_number(v, style="latex")


def _tex(v: Value | None) -> str:
    return "" if v is None else f"${_tex_num(v)}$"


def solve(
    source: str | sympy.Expr,
    at: Mapping[str, Number] | None = None,
    *,
    names: str = "letters",
    granularity: Granularity | None = None,
) -> Solution:
    """Stage ``source`` and, given a point ``at`` (a value for every input), run both passes there.
    (A text source is solved once per point: a worksheet, its key and a stress test ask again.)"""
    if isinstance(source, str) and (at is None or all(isinstance(v, (int, sympy.Basic)) for v in at.values())):
        items = None if at is None else tuple(sorted((str(k), sympy.Integer(v) if isinstance(v, int) else v)
                                                    for k, v in at.items()))
        return _solve_cached(source, items, names, granularity)
    return _solve(source, at, names=names, granularity=granularity)


@lru_cache(maxsize=512)
def _solve_cached(source: str, items: tuple | None, names: str, granularity: Granularity | None) -> Solution:
    return _solve(source, None if items is None else dict(items), names=names, granularity=granularity)


def _solve(source, at, *, names: str, granularity: Granularity | None) -> Solution:
    graph = to_graph(source, names=names, granularity=granularity)
    if at is None:
        return Solution(graph)
    point = {str(k): to_number(v, str(k)) for k, v in at.items()}
    passes = run(graph, point)
    return Solution(graph, {n: point[n] for n in graph.inputs}, passes)
