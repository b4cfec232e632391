"""Network problems -> what the templates lay out: matrices as bmatrix, shapes, the Omega diagonal
matrices, symmetry under constant initialization, parameter counts, CNN shapes, Hadamard products."""

from __future__ import annotations

import sympy

from ..printing import latex, tex_text
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


def _network_statement(problem: Problem, net) -> str:
    from ..nets import OUTPUTS_TEX

    acts = ", ".join(f"${OUTPUTS_TEX(a)}$" if a != "identity" else "identity" for a in net.activations)
    bias = {True: "with biases", False: "without biases"}.get(all(net.biases), "with biases in some layers")
    fallback = (f"A fully connected network with layer sizes ${list(net.sizes)}$, activations {acts}, "
                f"{tex_text(net.loss)} loss, {bias}: "
                r"$z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$, $a^{(l)} = \sigma(z^{(l)})$, $a^{(0)} = x$.")
    return _statement(problem, fallback)


def _network(problem: Problem) -> ProblemView:
    from ..nets import formulas, gradient_step, nice_instance, run

    net = problem.network
    weights, bias, x, y = nice_instance(net, problem.data.get("seed", 0))
    # 30-digit floats: the worksheet shows four decimals, and exact sigmoids of sums grow without need
    as_float = lambda m: None if m is None else m.applyfunc(lambda e: sympy.Float(e, 30))  # noqa: E731
    t = run(net, [as_float(w) for w in weights], [as_float(b) for b in bias], as_float(x), as_float(y))
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
    from ..nets import nice_instance, rows_identical, symmetry

    net = problem.network
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


NETWORK_HANDLERS = {"network": _network, "symmetry": _symmetry, "counts": _counts, "cnn": _cnn, "hadamard": _hadamard}
