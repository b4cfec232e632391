"""The seeds' network exercises as the documents show them: the question's notation, formulas checked
against independent derivatives, the instance printed, and the seeds' own numbers."""

import random

import pytest
import sympy
from sympy import Matrix, Rational

from symgrad.documents.bank import load_problem
from symgrad.documents.netviews import _mat
from symgrad.documents.networks import notation
from symgrad.documents.views import view
from symgrad.nets import (
    LOSSES,
    Network,
    check_loss_gradient,
    explicit_network,
    formulas,
    loss_gradient,
    nice_instance,
    output_gradient_formulas,
    output_gradient_values,
    quantities,
    rows_identical,
    symmetry_trace,
)
from symgrad.printing import latex


def shown(problem_id: str):
    p = load_problem(problem_id)
    return view(p)


def rows_of(view, label: str) -> list[str]:
    part = next(q for q in view.parts if q.label == label)
    return [row for block in part.solution if block.kind == "math" for row in block.content]


def test_000_one_hidden_layer_uses_the_seeds_names():
    v = shown("net-one-hidden")
    formulas_rows = rows_of(v, "c")
    assert formulas_rows[0] == r"\frac{\partial \ell}{\partial z} &= z - y && 2 \times 1 \tag{1}"
    assert formulas_rows[1] == r"\delta^{(2)} &= \Omega \frac{\partial \ell}{\partial z} && 2 \times 1 \tag{2}"
    assert formulas_rows[2] == r"\frac{\partial \ell}{\partial h} &= W^{T} \delta^{(2)} && 3 \times 1 \tag{3}"
    assert r"\frac{\partial \ell}{\partial V} &= \delta^{(1)} x^{T} && 3 \times 2 \tag{5}" in formulas_rows
    notes = [t for b in v.parts[2].solution if b.kind == "text" for t in b.content]
    assert notes[0] == (r"Here $\Lambda = \operatorname{diag}\left(h \odot \left(1 - h\right)\right)$, the derivative "
                        "of $s$ at $a$ on the diagonal.")
    assert "$z - y$" in notes[-1] and "$z - v$" in notes[-1]  # the seed's slip, corrected in a footnote
    assert rows_of(v, "a") == ["a &= V x", r"h &= s\left(a\right)", "b &= W h", r"z &= s\left(b\right)",
                               r"\ell &= \frac{1}{2}\left\lVert y - z\right\rVert_2^2"]
    table = next(b for b in v.parts[1].solution if b.kind == "table").content["rows"]
    assert table == [("V", r"3 \times 2", r"\nabla_{V} \ell"), ("W", r"2 \times 3", r"\nabla_{W} \ell")]
    assert "sigma" not in " ".join(rows_of(v, "c")) and "b^{(" not in " ".join(rows_of(v, "c"))


def test_omega_is_the_derivative_of_the_layers_own_activation():
    v = shown("net-phi")
    notes = [t for part in v.parts for b in part.solution if b.kind == "text" for t in b.content]
    assert r"Here $\Omega^{(1)} = \operatorname{diag}\left(1 - x^{(2)} \odot x^{(2)}\right)$, the derivative of " \
           r"$\Phi$ at $x^{(1)}$ on the diagonal." in notes
    assert "Layer 2 has no activation, so no diagonal factor appears there." in notes
    assert not any(r"\sigma" in t for t in notes)
    shapes = next(b for b in v.parts[0].solution if b.kind == "table").content["rows"]
    assert [r[0] for r in shapes[:3]] == ["W^{(1)}", "W^{(2)}", "b"]  # one bias: the second layer has none


@pytest.mark.parametrize("loss", ["squared", "mse"])
def test_loss_gradient_formula_is_the_derivative_of_the_loss(loss):
    net = Network((2, 3), ("sigmoid",), loss)
    check_loss_gradient(net)  # raises if the formula and sympy.diff disagree
    a, y = quantities(net).a[-1], quantities(net).y
    assert loss_gradient(net) == {"squared": a - y, "mse": 2 / sympy.Symbol("d^{(1)}", positive=True, integer=True)
                                  * (a - y)}[loss]
    assert LOSSES[loss].grad_a(Matrix([1, 2, 3]), Matrix([0, 0, 0])) == {
        "squared": Matrix([1, 2, 3]), "mse": Matrix([Rational(2, 3), Rational(4, 3), 2])}[loss]


def _explicit(formula_expr, net, weights, bias, x):
    """A matrix formula of output_gradient_formulas evaluated on numbers."""
    q = quantities(net)
    z1 = weights[0] * x + bias[0]
    a1 = z1.applyfunc(lambda e: 1 / (1 + sympy.exp(-e)))
    subs = {q.W[1]: weights[0], q.W[2]: weights[1], q.b[1]: bias[0], q.b[2]: bias[1], q.a[0]: x, q.a[1]: a1,
            q.prime[1]: a1.applyfunc(lambda s: s * (1 - s))}
    sizes = {sympy.Symbol(f"d^{{({i})}}", positive=True, integer=True): n for i, n in enumerate(net.sizes)}
    expr = formula_expr.subs(sizes)
    if isinstance(expr, sympy.Identity):
        return Matrix([[1]])
    value = expr.xreplace({sympy.MatrixSymbol(k.name, *[sympy.sympify(s).xreplace(sizes) for s in k.shape]): v
                           for k, v in subs.items()})
    return Matrix(value.as_explicit() if hasattr(value, "as_explicit") else value)


@pytest.mark.parametrize("seed", range(5))
def test_002_output_gradients_match_finite_differences(seed):
    net = Network((2, 4, 1), ("sigmoid", "identity"), "squared")
    rng = random.Random(seed)
    draw = lambda r, c: Matrix(r, c, lambda i, j: Rational(rng.randint(-20, 20), 10))  # noqa: E731
    weights, bias, x = [draw(4, 2), draw(1, 4)], [draw(4, 1), draw(1, 1)], draw(2, 1)
    values = output_gradient_values(net, weights, bias, x)
    out, w_sym, b_sym, x_sym = explicit_network(net)
    point = {**{s: v for m, n in zip(w_sym, weights) for s, v in zip(m, n)},
             **{s: v for m, n in zip(b_sym, bias) for s, v in zip(m, n)}, **dict(zip(x_sym, x))}
    h = sympy.Rational(1, 10**8)
    for s in w_sym[0]:  # central differences on the first layer's weights, 30 digits
        fd = (out[0].xreplace({**point, s: point[s] + h}) - out[0].xreplace({**point, s: point[s] - h})) / (2 * h)
        i, j = (int(c) - 1 for c in s.name.split("_")[1])
        assert abs(float(values["W1"][i, j]) - float(fd.evalf(30))) < 1e-9
    formulas_ = {str(f.lhs.variables[0]): f.expr for f in output_gradient_formulas(net)}
    for name in ("W2", "b2", "a1", "W1", "b1"):
        got = _explicit(formulas_[name], net, weights, bias, x).applyfunc(lambda e: float(e))
        want = values[name].applyfunc(lambda e: float(e))
        assert (got - want).norm() < 1e-12, name


def test_002_zero_initialization_gives_the_seeds_numbers():
    net = Network((2, 4, 1), ("sigmoid", "identity"), "squared")
    zero = [sympy.zeros(4, 2), sympy.zeros(1, 4)], [sympy.zeros(4, 1), sympy.zeros(1, 1)]
    values = output_gradient_values(net, *zero, Matrix([3, -5]))
    half = Rational(1, 2)
    assert values["z"] == Matrix([half] * 4) and values["y"] == Matrix([[0]])
    assert values["W2"] == Matrix([[half] * 4]) and values["b2"] == Matrix([[1]])
    assert values["W1"] == sympy.zeros(4, 2) and values["b1"] == sympy.zeros(4, 1)


def test_zero_initialization_symmetry_is_shown_where_it_is_not_degenerate():
    p = load_problem("net-zero-symmetry")
    net = p.network
    history = symmetry_trace(net, 0, Matrix(p.data["x"]), Matrix(p.data["y"]), p.data["steps"],
                             p.data["learning_rate"])
    (t0, w0), (t1, w1), (t2, w2), (t3, _) = history
    assert float(t0.loss) == 0.5  # the output 0 misses the target 1
    assert float(t0.loss) > float(t1.loss) > float(t2.loss) > float(t3.loss)  # and learning makes progress
    assert w1[0] == w0[0]  # at zero the first layer's gradient passes through the zero output weights ...
    assert w1[1] != w0[1] and len(set(w1[1])) == 1  # ... which move first, all alike ...
    assert w2[0] != w1[0]  # ... and then the first layer moves too
    assert all(rows_identical(w[0]) for _, w in history)  # ... and its rows stay equal
    assert all(len(set(t.a[1])) == 1 and len(set(t.delta[0])) == 1 for t, _ in history)


def test_constant_initialization_keeps_hidden_units_identical_and_outputs_different():
    p = load_problem("net-constant-init")
    history = symmetry_trace(p.network, Rational(1, 2), Matrix(p.data["x"]), Matrix(p.data["y"]), 2, 1)
    for t, w in history:
        assert rows_identical(w[0]) and len(set(t.a[1])) == 1 and len(set(t.delta[0])) == 1
        assert t.delta[1][0] != t.delta[1][1]  # the outputs' errors differ: each has its own target
        assert all(len(set(w[1].row(i))) == 1 for i in range(w[1].rows))  # each output weighs all hidden alike


def test_every_instance_is_printed_in_the_question():
    v = shown("net-phi")
    backward = v.parts[2].question
    assert backward.count(r"\begin{bmatrix}") == 5  # W1, W2, b, x, y
    data = load_problem("net-phi").data
    assert _mat(Matrix([1, Rational(1, 2), -1])) in backward and _mat(data["weights"][0]) in backward
    assert _mat(Matrix([[1, -1, Rational(1, 2)], [Rational(-1, 2), 1, 1], [1, Rational(1, 2), -1]])) in backward


def test_nice_instances_have_no_identical_rows():
    for seed in range(20):
        weights, _, _, _ = nice_instance(Network((2, 3, 2), ("sigmoid", "sigmoid")), seed)
        for w in weights:
            assert len({tuple(w.row(i)) for i in range(w.rows)}) == w.rows


def test_003_weight_matrices_entry_by_entry_in_the_seeds_numbering():
    rows = rows_of(shown("net-figure"), "b")
    assert rows[0].startswith(r"W^{2} &= \begin{bmatrix}w^{2}_{11} & w^{2}_{12} & w^{2}_{13}")
    assert rows[0].count(r"\\") == 3  # 4 rows (layer 2 has 4 neurons), 3 columns
    assert rows[1] == r"b^{2} &= \begin{bmatrix}b^{2}_{1}\\b^{2}_{2}\\b^{2}_{3}\\b^{2}_{4}\end{bmatrix}"
    assert rows[2].count(r"\\") == 1 and "w^{3}_{24}" in rows[2]  # W^3 is 2 x 4


def test_003_total_loss_gradient_is_the_average():
    rows = rows_of(shown("net-l-layers"), "b")
    assert rows[1] == (r"\frac{\partial L_{T}}{\partial w^{l}_{jk}} &= \frac{1}{n} \sum_{i=1}^{n} "
                       r"\frac{\partial L_{i}}{\partial w^{l}_{jk}}")
    first = rows_of(shown("net-l-layers"), "a")[0]
    assert first.startswith(r"\frac{\partial L}{\partial a^{4}} &= \frac{2}{")


def test_notation_maps_every_layer():
    net = Network((2, 3, 1), ("tanh", "identity"), "squared")
    names = notation(net, {"W1": "W^(0)", "tanh": "Phi"})
    assert names["W1"] == "W^{(0)}" and names["W2"] == "W^{(2)}" and names["p1"] == r"1 - a^{(1)} \odot a^{(1)}"
    assert "p2" not in names  # an identity layer has no derivative factor
    assert latex(formulas(net)[0].lhs, partial=True, names=names) == r"\frac{\partial \ell}{\partial a^{(2)}}"
