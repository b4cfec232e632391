"""Network and symmetry problems -> what the templates lay out, in the question's own notation.

Every quantity is a MatrixSymbol with a short canonical name (W1, b1, z1, a1, d1 for delta, Omega1,
p1 for the activation's derivative, ga1 for d loss / d a1, loss); ``notation`` maps those names to
the LaTeX the question uses (V, W, h, z, s for 000 §1; W^(0), z, y for 002 §2.1), and the printer
does the rest. Biases appear only where the network has them; Omega is the derivative of the
layer's own activation; every formula a note refers to is numbered.
"""

from __future__ import annotations

import re

import sympy

from ..nets import (
    ACTIVATIONS,
    LOSSES,
    Network,
    check_average_rule,
    check_loss_gradient,
    explicit_network,
    formulas,
    gradient_of,
    gradient_step,
    output_gradient_formulas,
    output_gradient_values,
    quantities,
    rows_identical,
    symmetry_trace,
)
from ..printing import format_number, latex, tex_text
from .bank import Problem
from .layout import Block, Edge, GraphView, Node, PartView, ProblemView, _labels, _statement
from .netviews import _mat


def _display(name: str) -> str:
    """A name from the bank as LaTeX: V, Lambda, W^(0) -> W^{(0)}, W^2 -> W^{2}, x^(4) -> x^{(4)}."""
    m = re.fullmatch(r"([A-Za-z]+)\^(\(?\d+\)?)", name)
    if m:
        base = latex(sympy.Symbol(m.group(1)))
        return f"{base}^{{{m.group(2)}}}"
    return latex(sympy.Symbol(name))


def notation(net: Network, symbols: dict[str, str]) -> dict[str, str]:
    """Canonical name -> LaTeX for this problem: the defaults W^{(l)}, a^{(l)}, ... overridden by ``symbols``."""
    L = net.layers
    names = {"x": "x", "a0": "x", "y": "y", "loss": r"\ell", "sigmoid": r"\sigma", "tanh": r"\tanh",
             "relu": r"\operatorname{relu}", "softmax": r"\operatorname{softmax}"}
    for l in range(1, L + 1):
        names.update({f"W{l}": f"W^{{({l})}}", f"b{l}": f"b^{{({l})}}", f"z{l}": f"z^{{({l})}}",
                      f"a{l}": f"a^{{({l})}}", f"d{l}": rf"\delta^{{({l})}}", f"Omega{l}": rf"\Omega^{{({l})}}"})
    names.update({ours: _display(theirs) for ours, theirs in symbols.items()})
    names["a0"] = names["x"]
    names[f"d^{{({L})}}"] = names.get("outputs", f"d^{{({L})}}")  # the output's size, in a loss's formula
    for l in range(1, L + 1):
        act = net.activations[l - 1]
        if act in ACTIVATIONS and act != "identity":
            names[f"p{l}"] = ACTIVATIONS[act].df_tex.format(a=names[f"a{l}"], z=names[f"z{l}"])
    for l in range(L + 1):
        names[f"ga{l}"] = latex(gradient_of(sympy.Symbol(f"a{l}")), partial=True, names=names)
    return names


def applied(act: str, arg: str, names: dict[str, str]) -> str:
    """The activation applied to ``arg`` (LaTeX), in the question's name for it."""
    if act == "identity":
        return arg
    return rf"{names[act]}\left({arg}\right)"


def _shape(net: Network, shape) -> str:
    sizes = {sympy.Symbol(f"d^{{({i})}}", positive=True, integer=True): n for i, n in enumerate(net.sizes)}
    rows, cols = (sympy.sympify(s).xreplace(sizes) for s in shape)
    return rf"{latex(rows)} \times {latex(cols)}"


def _given(net: Network, names: dict[str, str], weights, bias, x, y, with_target: bool = True) -> str:
    given = [f"{names[f'W{l}']} = {_mat(weights[l - 1])}" for l in range(1, net.layers + 1)]
    given += [f"{names[f'b{l}']} = {_mat(bias[l - 1])}" for l in range(1, net.layers + 1) if bias[l - 1] is not None]
    given += [f"{names['x']} = {_mat(x)}"] + ([f"{names['y']} = {_mat(y)}"] if with_target else [])
    return r"\[" + r",\quad ".join(given) + r"\]"


def given_instance(problem: Problem) -> str:
    """The problem's numbers as display math in its own notation (the target too where it has a loss)."""
    net = problem.network
    return _given(net, notation(net, problem.symbols), *problem.instance())


def _float(m):
    """30-digit floats: the worksheet shows four digits, and exact sigmoids of sums grow without need."""
    return None if m is None else m.applyfunc(lambda e: sympy.Float(e, 30))


def _num(value) -> str:
    return format_number(value, style="latex")


def forward_lines(net: Network, names: dict[str, str], has_loss: bool = True) -> list[str]:
    """z^(l) = W^(l) a^(l-1) + b^(l) and a^(l) = f(z^(l)) for every layer, then the loss, as align rows."""
    rows = []
    for l in range(1, net.layers + 1):
        bias = f" + {names[f'b{l}']}" if net.biases[l - 1] else ""
        rows.append(f"{names[f'z{l}']} &= {names[f'W{l}']} {names[f'a{l - 1}']}{bias}")
        if net.activations[l - 1] != "identity":
            rows.append(f"{names[f'a{l}']} &= {applied(net.activations[l - 1], names[f'z{l}'], names)}")
    if has_loss:
        rows.append(rf"{names['loss']} &= " + LOSSES[net.loss].tex.format(a=names[f"a{net.layers}"], y=names["y"]))
    return rows


def flow_graph(net: Network, names: dict[str, str], mode: str, has_loss: bool = True) -> GraphView:
    """The forward pass as a circuit: x and the weights into products, the biases into sums, the activations,
    and the loss with the target y. Skeleton mode leaves the intermediate names for the student."""
    nodes, edges = [], []
    step, col = 1.55, 0
    nodes.append(Node("x", 0.0, 0.0, f"${names['x']}$", "", "input"))
    previous = "x"

    def gate(name: str, label: str, caption: str, *inputs: tuple[str, str]) -> None:
        nonlocal col, previous
        col += 1
        nodes.append(Node(name, col * step, 0.0, label, caption, "gate"))
        edges.append(Edge(previous, name, "", ""))
        for i, (src, tex) in enumerate(inputs):
            nodes.append(Node(src, col * step - 0.9, -1.3 - 0.0 * i, f"${tex}$", "", "input"))
            edges.append(Edge(src, name, "", ""))
        previous = name

    for l in range(1, net.layers + 1):
        z = names[f"z{l}"]
        gate(f"m{l}", r"$\times$", "" if net.biases[l - 1] else f"${z}$", (f"W{l}", names[f"W{l}"]))
        if net.biases[l - 1]:
            gate(f"s{l}", "$+$", f"${z}$", (f"b{l}", names[f"b{l}"]))
        act = net.activations[l - 1]
        if act != "identity":
            gate(f"f{l}", f"${names[act]}$", f"${names[f'a{l}']}$")
    if has_loss:
        gate("loss", r"$\ell$", f"${names['loss']}$", ("y", names["y"]))
    nodes.append(Node("out", col * step + 0.9, 0.0, "", "", "output"))
    edges.append(Edge(previous, "out", "", ""))
    if mode == "skeleton":
        nodes = [Node(n.name, n.x, n.y, n.label, "", n.kind) for n in nodes]
    return GraphView(nodes, edges, "plain")


def neuron_drawing(net: Network, names: dict[str, str], labelled: bool) -> GraphView:
    """The layers as columns of neurons, every neuron joined to every neuron of the next layer;
    labelled: a_j^l in the question's notation (its layer numbers)."""
    nodes, edges = [], []
    tallest = max(net.sizes)
    for l, size in enumerate(net.sizes):
        for j in range(size):
            a = names[f"a{l}"]
            label = ""
            if labelled:  # a^{2} -> a_{j}^{2}: the neuron's index below, the layer above
                index = f"_{{{j + 1}}}" if size > 1 else ""
                label = "$" + (re.sub(r"\^", index + "^", a, count=1) if "^" in a else a + index) + "$"
            nodes.append(Node(f"n{l}_{j}", 3.2 * l, -1.2 * (j + (tallest - size) / 2), label, "", "gate"))
    for l in range(1, len(net.sizes)):
        for j in range(net.sizes[l]):
            for k in range(net.sizes[l - 1]):
                edges.append(Edge(f"n{l - 1}_{k}", f"n{l}_{j}", "", ""))
    return GraphView(nodes, edges, "plain")


def _network(problem: Problem) -> ProblemView:
    net = problem.network
    L = net.layers
    names = notation(net, problem.symbols)
    has_loss = "loss" in problem.data
    weights, bias, x, y = problem.instance()
    instance = _given(net, names, weights, bias, x, y, has_loss)
    t = problem.trace()
    params = [f"W{l}" for l in range(1, L + 1)] + [f"b{l}" for l in range(1, L + 1) if net.biases[l - 1]]
    parts = []
    for part in problem.parts:
        if part == "model":
            rows = forward_lines(net, names, has_loss)
            parts.append(PartView("", "On the computation graph of the forward pass below, name the result of every "
                                  "gate, and write out the output" + (" and the loss" if has_loss else "")
                                  + " for an input $" + names["x"] + "$.", 4.0,
                                  blank=flow_graph(net, names, "skeleton", has_loss),
                                  solution=[Block("graph", flow_graph(net, names, "plain", has_loss)),
                                            Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "params":
            rows = [(names[p], _shape(net, quantities_shape(net, p)), rf"\nabla_{{{names[p]}}} {names['loss']}")
                    for p in params]
            learned = ", ".join(f"${names[p]}$" for p in params)
            parts.append(PartView("", "Which parameters are learned? Which gradients does a gradient-descent "
                                  "update need, and what are their shapes?", 3.0,
                                  solution=[Block("text", [f"The parameters are {learned}"
                                                           + (" (the network has no biases)" if not any(net.biases)
                                                              else "")
                                                           + ". Each gradient has the shape of its parameter."]),
                                            Block("table", {"head": ("parameter", "shape", "gradient"),
                                                            "rows": rows})],
                                  answer=[f"{r[2]} \\in \\mathbb{{R}}^{{{r[1].replace(' ', '')}}}" for r in rows]))
        elif part == "shapes":
            q = quantities(net)
            rows = [(names[p], _shape(net, quantities_shape(net, p))) for p in params]
            for l in range(1, L + 1):
                rows += [(", ".join(names[n] for n in (f"z{l}", f"a{l}", f"d{l}")), _shape(net, q.z[l].shape))]
            rows += [(latex(gradient_of(sympy.Symbol(p)), partial=True, names=names),
                      _shape(net, quantities_shape(net, p))) for p in params]
            parts.append(PartView("", "Give the shape of every parameter, pre-activation, activation, error "
                                  "$" + names["d1"] + "$ and gradient.", 4.0,
                                  solution=[Block("table", {"head": ("quantity", "shape"), "rows": rows})],
                                  answer=[f"{r[0]}: {r[1]}" for r in rows[:len(params)]]))
        elif part == "formulas":
            check_loss_gradient(net)
            fs = formulas(net)
            rows, notes = [], []
            for number, f in enumerate(fs, start=1):
                lhs = latex(f.lhs, partial=True, names=names)
                rows.append(rf"{lhs} &= {latex(f.expr, names=names)} && {_shape(net, f.shape)} \tag{{{number}}}")
            omegas = [l for l in range(1, L + 1) if net.activations[l - 1] not in ("identity",)
                      and net.activations[l - 1] in ACTIVATIONS]
            for l in omegas:
                notes.append(f"Here ${names[f'Omega{l}']} = \\operatorname{{diag}}\\left({names[f'p{l}']}\\right)$, "
                             f"the derivative of ${names[net.activations[l - 1]]}$ at ${names[f'z{l}']}$ "
                             "on the diagonal.")
            identity = [l for l in range(1, L + 1) if net.activations[l - 1] == "identity"]
            for l in identity:
                notes.append(f"Layer {l} has no activation, so no diagonal factor appears there.")
            answer = [rf"{latex(f.lhs, partial=True, names=names)} = {latex(f.expr, names=names)} \quad "
                      rf"({_shape(net, f.shape)})" for f in fs]
            answer += [rf"{names[f'Omega{l}']} = \operatorname{{diag}}\left({names[f'p{l}']}\right)" for l in omegas]
            parts.append(PartView("", "Write the backward pass in matrix notation, with the shape of each "
                                  "quantity.", 7.0, solution=[Block("math", rows), Block("text", notes)],
                                  answer=answer))
        elif part == "forward":
            rows = []
            for l in range(1, L + 1):
                rows.append(f"{names[f'z{l}']} &= {_mat(t.z[l - 1])}")
                if net.activations[l - 1] != "identity":
                    rows.append(f"{names[f'a{l}']} &= {_mat(t.a[l])}")
            rows.append(f"{names['loss']} &= {_num(t.loss)}")
            parts.append(PartView("", f"Compute the forward pass and the loss at{instance}", 5.0,
                                  solution=[Block("math", rows)],
                                  answer=[f"{names[f'a{L}']} = {_mat(t.a[L])}", f"{names['loss']} = {_num(t.loss)}"]))
        elif part == "backward":
            rows = []
            for l in range(L, 0, -1):
                if net.activations[l - 1] in ACTIVATIONS and net.activations[l - 1] != "identity":
                    rows.append(f"{names[f'Omega{l}']} &= {_mat(sympy.diag(*t.derivative[l - 1]))}")
                rows.append(f"{names[f'd{l}']} &= {_mat(t.delta[l - 1])}")
                rows.append(f"{latex(gradient_of(sympy.Symbol(f'W{l}')), partial=True, names=names)} &= "
                            f"{_mat(t.grad_w[l - 1])}")
                if t.grad_b[l - 1] is not None:
                    rows.append(f"{latex(gradient_of(sympy.Symbol(f'b{l}')), partial=True, names=names)} &= "
                                f"{_mat(t.grad_b[l - 1])}")
            question = "Backpropagate: compute every error and the gradient of every parameter"
            question += "." if "forward" in problem.parts else f" at{instance}"
            parts.append(PartView("", question, 6.0, solution=[Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "step":
            rate = problem.data.get("learning_rate", sympy.Rational(1, 2))
            new_w, new_b = gradient_step(t, rate)
            rows = []
            for l in range(1, L + 1):
                w, g = names[f"W{l}"], latex(gradient_of(sympy.Symbol(f"W{l}")), partial=True, names=names)
                rows.append(rf"{w} &\leftarrow {w} - \alpha {g} = {_mat(new_w[l - 1])}")
                if new_b[l - 1] is not None:
                    b, g = names[f"b{l}"], latex(gradient_of(sympy.Symbol(f"b{l}")), partial=True, names=names)
                    rows.append(rf"{b} &\leftarrow {b} - \alpha {g} = {_mat(new_b[l - 1])}")
            parts.append(PartView("", f"Write the gradient-descent update with learning rate $\\alpha$, and take one "
                                  f"step with $\\alpha = {latex(rate)}$.", 4.0, solution=[Block("math", rows)],
                                  answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "output-gradients":
            fs = output_gradient_formulas(net)
            values = output_gradient_values(net, [_float(w) for w in weights], [_float(b) for b in bias], _float(x))
            rows = []
            for number, f in enumerate(fs, start=1):
                lhs = latex(f.lhs, partial=True, names=names)
                expr = "1" if isinstance(f.expr, sympy.Identity) else latex(f.expr, names=names)
                rows.append(rf"{lhs} &= {expr} && {_shape(net, f.shape)} \tag{{{number}}}")
            parts.append(PartView("", "Find the partial derivatives of the output with respect to every parameter "
                                  f"and to the hidden layer ${names['a1']}$.", 6.0,
                                  solution=[Block("math", rows), Block("text", [
                                      "Checked entry by entry against the derivatives of the output at"
                                      + _given(net, names, weights, bias, x, y, False)
                                      + "where the formulas give the same numbers:"]),
                                      Block("math", [f"{_dy(k, names)} &= {_mat(v)}" for k, v in values.items()
                                                     if k not in ("y", "z")])],
                                  answer=[r.split(r" \tag")[0].replace("&", "", 1).split("&&")[0] for r in rows]))
        elif part == "zero-init":
            zero = [sympy.zeros(*w.shape) for w in weights]
            zero_b = [None if b is None else sympy.zeros(*b.shape) for b in bias]
            values = output_gradient_values(net, zero, zero_b, x)
            rows = [f"{names['a1']} &= {_mat(values['z'])}", f"{names['a2']} &= {_mat(values['y'])}"]
            rows += [f"{_dy(k, names)} &= {_mat(v)}" for k, v in values.items() if k in ("W2", "b2", "W1", "b1")]
            parts.append(PartView("", "Initialize every weight and bias to 0. Find "
                                  f"${names['a1']}$ and ${names['a2']}$ after the forward pass for any input "
                                  f"${names['x']}$, here ${names['x']} = {_mat(x)}$, and the values of the "
                                  "partial derivatives of the output.", 5.0,
                                  solution=[Block("math", rows)], answer=[r.replace("&", "", 1) for r in rows]))
        elif part == "total":
            check_average_rule()
            i, n = sympy.symbols("i n", integer=True, positive=True)
            total = sympy.Symbol(f"{names['loss']}_{{T}}")
            sample = sympy.Symbol(f"{names['loss']}_{{i}}")
            w, b = (sympy.Symbol(_any_layer(names[f"{k}1"]) + sub) for k, sub in (("W", "_{jk}"), ("b", "_{j}")))
            d = lambda f, v: sympy.Derivative(f, v, evaluate=False)  # noqa: E731
            rows = [f"{latex(total)} &= {_mean(sample, i, n)}",
                    f"{latex(d(total, w), partial=True)} &= {_mean(d(sample, w), i, n)}",
                    f"{latex(d(total, b), partial=True)} &= {_mean(d(sample, b), i, n)}"]
            parts.append(PartView("", f"For $n$ training samples the total loss ${latex(total)}$ is the average of "
                                  "the samples' losses. Write its partial derivatives with respect to a weight "
                                  "and a bias in terms of the samples' partial derivatives.", 3.0,
                                  solution=[Block("math", rows), Block("text", [
                                      "Differentiation is linear, so the derivative of an average is the average of "
                                      "the derivatives: backpropagate each sample, then average its gradients."])],
                                  answer=[r.replace("&", "", 1) for r in rows[1:]]))
        elif part == "neurons":
            parts.append(PartView("", "Label every neuron of the network drawn below with the notation "
                                  f"${_any_layer(names['a1'])}_{{j}}$.", 2.0, blank=neuron_drawing(net, names, False),
                                  solution=[Block("graph", neuron_drawing(net, names, True))],
                                  answer=[", ".join(_neuron_labels(net, names, l)) for l in range(len(net.sizes))]))
        elif part == "matrices":
            _, w_sym, b_sym, _ = explicit_network(net)
            rows = []
            for l in range(1, L + 1):
                w_entry = _entry_name(names[f"W{l}"])
                b_entry = _entry_name(names[f"b{l}"])
                wm = sympy.Matrix(net.sizes[l], net.sizes[l - 1],
                                  lambda j, k, e=w_entry: sympy.Symbol(f"{e}_{{{j + 1}{k + 1}}}"))
                rows.append(f"{names[f'W{l}']} &= {latex(wm)}")
                if net.biases[l - 1]:
                    bm = sympy.Matrix(net.sizes[l], 1, lambda j, k, e=b_entry: sympy.Symbol(f"{e}_{{{j + 1}}}"))
                    rows.append(f"{names[f'b{l}']} &= {latex(bm)}")
            parts.append(PartView("", "Write out every weight matrix and bias vector entry by entry.", 5.0,
                                  solution=[Block("math", rows)], answer=[r.replace("&", "", 1) for r in rows]))
    figure = neuron_drawing(net, names, True) if problem.data.get("figure") else None
    return ProblemView(problem.id, tex_text(problem.title), _network_statement(problem, net, names, has_loss),
                       _labels(parts), figure)


def _dy(name: str, names: dict[str, str]) -> str:
    """d output / d name, in the question's notation."""
    return latex(sympy.Derivative(sympy.Symbol("a2"), sympy.Symbol(name), evaluate=False), partial=True, names=names)


def _entry_name(matrix_tex: str) -> str:
    """W^{(1)} -> w^{(1)}: the name of one entry, in the matrix's own lower case."""
    return matrix_tex[0].lower() + matrix_tex[1:] if matrix_tex[:1].isalpha() else matrix_tex


def _neuron_labels(net: Network, names: dict[str, str], layer: int) -> list[str]:
    """The labels of one layer's neurons, top to bottom, as the drawing shows them."""
    drawing = neuron_drawing(net, names, True)
    return [n.label.strip("$") for n in drawing.nodes if n.name.startswith(f"n{layer}_")]


def _any_layer(first: str) -> str:
    """The entry of layer l in the style of the first layer's name: W^{(1)} -> w^{(l)}, W^{2} -> w^{l}."""
    base = _entry_name(first).split("^")[0]
    return base + ("^{(l)}" if "(" in first else "^{l}")


def _mean(e: sympy.Expr, i: sympy.Symbol, n: sympy.Symbol) -> str:
    """(1/n) sum_i e as LaTeX, the factor before the sum as a teacher writes it."""
    return f"{latex(1 / n)} {latex(sympy.Sum(e, (i, 1, n)), partial=True)}"


def quantities_shape(net: Network, name: str):
    q = quantities(net)
    kind, l = name[0], int(name[1:])
    return (q.W if kind == "W" else q.b)[l].shape


def _network_statement(problem: Problem, net: Network, names: dict[str, str], has_loss: bool = True) -> str:
    rows = ", ".join(f"${r}$" for r in (row.replace("&", "") for row in forward_lines(net, names, has_loss)))
    bias = {True: "with biases", False: "without biases"}.get(all(net.biases), "with biases in some layers")
    fallback = (f"A fully connected network with layer sizes ${list(net.sizes)}$ ({bias}) computes {rows}.")
    return _statement(problem, fallback, names)


def _symmetry(problem: Problem) -> ProblemView:
    net = problem.network
    names = notation(net, problem.symbols)
    data = problem.data
    _, _, x, y = problem.instance()
    steps, rate, init = data.get("steps", 2), data.get("learning_rate", sympy.Rational(1, 2)), data["init"]
    parts = []
    for part in problem.parts:
        random_start = part == "random"
        history = symmetry_trace(net, init, x, y, steps, rate, seed=data.get("seed", 0) if random_start else None)
        rows = []
        for k, (t, w) in enumerate(history):
            rows.append(rf"\text{{step {k}:}}\quad {names['W1']} &= {_mat(w[0])}, & {names['W2']} &= {_mat(w[1])}")
            if t is not None:
                rows.append(rf"{names['a1']} &= {_mat(t.a[1])}, & {names['d1']} &= {_mat(t.delta[0])}, "
                            rf"\quad {names['d2']} = {_mat(t.delta[1])}")
        same = all(rows_identical(w[0]) for _, w in history)
        first = history[0][0]
        drawn = ", ".join(f"${names[f'W{l}']} = {_mat(w)}$" for l, w in enumerate(first.weights, 1))
        drawn += "".join(f", ${names[f'b{l}']} = {_mat(b)}$" for l, b in enumerate(first.bias, 1) if b is not None)
        start = (f"every weight{' and bias' if any(net.biases) else ''} equal to ${latex(init)}$"
                 if not random_start else f"the small random weights {drawn}")
        question = (f"Start from {start} and take {steps} steps of gradient descent (learning rate "
                    f"${latex(rate)}$) at ${names['x']} = {_mat(x)}$, ${names['y']} = {_mat(y)}$. Compare the "
                    f"hidden units' activations ${names['a1']}$, their errors ${names['d1']}$, and the rows of "
                    f"${names['W1']}$.")
        if random_start:
            verdict = ("The rows of $" + names["W1"] + "$ differ from the start and the hidden units compute "
                       "different values: random initialization breaks the symmetry." if not same else
                       "Some rows happen to coincide.")
        else:
            outputs = (" The entries of each row of $" + names["W2"] + "$ stay equal to each other too, while the "
                       "output units' errors differ because each has its own target." if net.sizes[-1] > 1 else
                       " The entries of $" + names["W2"] + "$ stay equal to each other too.")
            verdict = ("After every step all hidden units have the same activation and the same error, so every "
                       "row of $" + names["W1"] + "$ receives the same update and the rows stay equal." + outputs
                       + " The hidden layer acts like one unit copied." if same else "The rows become different.")
        last_t, last_w = history[-1]
        parts.append(PartView("", question, 5.0, solution=[Block("math", rows), Block("text", [verdict])],
                              answer=[r"\text{" + ("the rows of } " + names["W1"] + r" \text{ stay identical}"
                                                   if same else "the rows differ}"),
                                      rf"\text{{after {steps} steps: }} {names['W1']} = {_mat(last_w[0])}, \quad "
                                      rf"{names['a1']} = {_mat(last_t.a[1])}"]))
    return ProblemView(problem.id, tex_text(problem.title), _network_statement(problem, net, names), _labels(parts))


NETWORK_KINDS = {"network": _network, "symmetry": _symmetry}
