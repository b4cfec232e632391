"""Counting problems -> what the templates lay out: parameter counts, CNN shapes, Hadamard products; and
matrices as a worksheet shows them (_mat). Networks and symmetry are in networks.py."""

from __future__ import annotations

import sympy

from ..printing import format_count, latex, tex_text
from .bank import Problem
from .layout import Block, PartView, ProblemView, _labels, _statement


def _shown(m: sympy.Matrix) -> list[list[str]]:
    """A matrix's entries as a worksheet shows them, by printing.format_number's one policy: short exact
    numbers as they are (1/2, -3), others to 4 significant digits (0.7311, 0.0009118)."""
    from ..printing import format_number

    return [[format_number(m[i, j], style="latex") for j in range(m.cols)] for i in range(m.rows)]


def _mat(m: sympy.Matrix) -> str:
    """A matrix as the printer sets one (bmatrix), its entries from _shown."""
    return r"\begin{bmatrix}" + r"\\".join(" & ".join(row) for row in _shown(m)) + r"\end{bmatrix}"


def _counts(problem: Problem) -> ProblemView:
    from ..nets import parameter_count

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
    from ..nets import trace_shapes

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
            listing = "".join(rf"\item \texttt{{{tex_text(str(e.layer))}}}" for e in traced)
            question = (f"The input has shape {shape(shape_in)}. Give the shape after each of these layers "
                        "(a convolution or pooling layer with an $n$ by $n$ input, an $f$ by $f$ filter, padding $p$ "
                        "and stride $s$ gives an $o$ by $o$ output with $o = (n - f + 2p)/s + 1$):"
                        rf"\begin{{enumerate}}\renewcommand{{\labelenumii}}{{\arabic{{enumii}}.}}{listing}"
                        r"\end{enumerate}")
            parts.append(PartView("", question,
                                  5.0, solution=[Block("table", {"head": ("layer", "$o = (n - f + 2p)/s + 1$", "shape"),
                                                                 "rows": rows})],
                                  answer=[text_cell(f"{i}. {shape(e.shape)}") for i, e in enumerate(traced, 1)]))
        else:
            rows = []
            for e in traced:
                dense = format_count(e.dense_params) if e.dense_params is not None else ""
                rows.append((text_cell(str(e.layer)), format_count(e.params), dense))
            parts.append(PartView("", "How many parameters does each layer have? For each convolution, also give "
                                  "the parameters of a fully connected layer from its flattened input to its "
                                  "flattened output.", 5.0,
                                  solution=[Block("table", {"head": ("layer", "parameters", "fully connected"),
                                                            "rows": rows})],
                                  answer=[rf"\text{{{i}. }}{format_count(e.params)}"
                                          + (rf"\text{{ (fully connected: }}{format_count(e.dense_params)}\text{{)}}"
                                             if e.dense_params is not None else "") for i, e in enumerate(traced, 1)]))
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


NETWORK_HANDLERS = {"counts": _counts, "cnn": _cnn, "hadamard": _hadamard}
