"""Networks: matrix formulas checked against the scalar engine and finite differences; shapes, counts,
symmetry, CNN shapes, matrix answers."""

from __future__ import annotations

import random

import pytest
import sympy
from sympy import Matrix, Rational, Symbol

from symgrad import solve
from symgrad.errors import SymgradError
from symgrad.functions import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus
from symgrad.matrix_check import check_matrix
from symgrad.nets import (
    Network,
    formulas,
    gradient_step,
    matrix_context,
    matrix_keys,
    nice_instance,
    output_size,
    parameter_count,
    parse_layer,
    rows_identical,
    run,
    symmetry,
    trace_shapes,
)
from symgrad.numeric import finite_differences
from symgrad.printing import latex

SCALAR_ACTIVATION = {"sigmoid": sigmoid, "tanh": sympy.tanh, "relu": relu, "identity": lambda z: z,
                     # the newer ones as their SymPy functions: the finite differences below are the independent check
                     "softplus": softplus, "elu": elu, "leaky_relu": leaky_relu, "gelu": gelu, "silu": silu}


def scalar_loss(net: Network, weights, bias, x, y):
    """The loss written out entry by entry with plain SymPy: the independent reference."""
    w_sym = [[[Symbol(f"w{l}_{i}_{j}", real=True) for j in range(net.sizes[l - 1])] for i in range(net.sizes[l])]
             for l in range(1, len(net.sizes))]
    b_sym = [[Symbol(f"b{l}_{i}", real=True) for i in range(net.sizes[l])] if net.biases[l - 1] else None
             for l in range(1, len(net.sizes))]
    point = {}
    for l in range(net.layers):
        for i in range(net.sizes[l + 1]):
            for j in range(net.sizes[l]):
                point[w_sym[l][i][j].name] = weights[l][i, j]
            if b_sym[l] is not None:
                point[b_sym[l][i].name] = bias[l][i]
    a = list(x)
    for l in range(net.layers):
        z = [sum(w_sym[l][i][j] * a[j] for j in range(len(a))) + (b_sym[l][i] if b_sym[l] else 0)
             for i in range(net.sizes[l + 1])]
        name = net.activations[l]
        if name == "softmax":
            total = sum(sympy.exp(zi) for zi in z)
            a = [sympy.exp(zi) / total for zi in z]
        else:
            a = [SCALAR_ACTIVATION[name](zi) for zi in z]
    n = len(a)
    loss = {
        "squared": Rational(1, 2) * sum((a[k] - y[k]) ** 2 for k in range(n)),
        "mse": sum((a[k] - y[k]) ** 2 for k in range(n)) / n,
        "cross-entropy": -sum(y[k] * sympy.log(a[k]) for k in range(n)),
        "binary-cross-entropy": -sum(y[k] * sympy.log(a[k]) + (1 - y[k]) * sympy.log(1 - a[k]) for k in range(n)),
    }[net.loss]
    return loss, point, w_sym


def random_instance(net: Network, seed: int):
    rng = random.Random(seed)
    value = lambda: Rational(rng.randint(-9, 9), 10) or Rational(1, 7)  # noqa: E731
    weights = [Matrix(net.sizes[l], net.sizes[l - 1], lambda i, j: value()) for l in range(1, len(net.sizes))]
    bias = [Matrix(net.sizes[l], 1, lambda i, j: value()) if net.biases[l - 1] else None
            for l in range(1, len(net.sizes))]
    x = Matrix(net.sizes[0], 1, lambda i, j: value())
    if net.loss == "cross-entropy":
        y = Matrix([1 if k == 0 else 0 for k in range(net.sizes[-1])])
    elif net.loss == "binary-cross-entropy":
        y = Matrix([k % 2 for k in range(net.sizes[-1])])
    else:
        y = Matrix(net.sizes[-1], 1, lambda i, j: value())
    return weights, bias, x, y


NETWORKS = [
    Network((2, 3, 2), ("sigmoid", "sigmoid"), "squared", (False, False)),  # seed 000
    Network((3, 3, 3), ("tanh", "identity"), "squared", (True, False)),  # seed 001 (d)
    Network((2, 3, 1), ("sigmoid", "identity"), "squared"),  # seed 002 §2
    Network((3, 4, 4, 2), ("sigmoid", "sigmoid", "sigmoid"), "mse"),  # seed 003
    Network((2, 3, 3), ("relu", "softmax"), "cross-entropy"),
    Network((2, 2, 2), ("tanh", "sigmoid"), "binary-cross-entropy"),
]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{list(n.sizes)}-{'-'.join(n.activations)}-{n.loss}")
@pytest.mark.parametrize("seed", [1, 2])
def test_matrix_formulas_agree_with_scalar_staging_and_finite_differences(net, seed):
    weights, bias, x, y = random_instance(net, seed)
    as_float = lambda m: None if m is None else m.applyfunc(lambda e: sympy.Float(e, 30))  # noqa: E731
    trace = run(net, [as_float(w) for w in weights], [as_float(b) for b in bias], as_float(x), as_float(y))
    loss, point, w_sym = scalar_loss(net, weights, bias, x, y)
    point = {k: float(v) for k, v in point.items()}  # floats: the fast path; exact values are tested elsewhere
    solution = solve(loss, point)  # the core engine: staged, forward and backward passes
    assert abs(float(solution.value("f").approx) - float(trace.loss)) < 1e-12
    fd = finite_differences(solution.graph, point)
    for l in range(net.layers):
        for i in range(net.sizes[l + 1]):
            for j in range(net.sizes[l]):
                name = w_sym[l][i][j].name
                matrix = float(trace.grad_w[l][i, j])
                assert abs(matrix - solution.grad(name).approx) < 1e-12, (name, matrix, solution.grad(name))
                assert abs(matrix - fd[name]) < 1e-7, (name, matrix, fd[name])
            if net.biases[l]:
                assert abs(float(trace.grad_b[l][i]) - solution.grad(f"b{l + 1}_{i}").approx) < 1e-12


def test_formulas_carry_their_shapes():
    net = Network((3, 4, 4, 2), ("sigmoid", "sigmoid", "sigmoid"), "mse")
    by_name = {latex(f.lhs, partial=True): f.shape for f in formulas(net)}
    d = [Symbol(f"d^{{({i})}}", positive=True, integer=True) for i in range(4)]
    assert by_name[r"\frac{\partial \mathit{loss}}{\partial W_{2}}"] == (d[2], d[1])
    assert by_name["d_{1}"] == (d[1], 1)
    assert by_name[r"\mathit{ga0}"] == (d[0], 1)  # d loss / dx, in the canonical names a view renames


def test_one_gradient_step():
    net = NETWORKS[0]
    weights, bias, x, y = nice_instance(net)
    trace = run(net, weights, bias, x, y)
    new_w, _ = gradient_step(trace, Rational(1, 2))
    assert new_w[1] == weights[1] - trace.grad_w[1] / 2


def test_constant_initialization_keeps_hidden_units_identical():
    net = NETWORKS[0]
    _, _, x, y = nice_instance(net)
    history = symmetry(net, Rational(1, 2), x, y, steps=5, rate=1)
    assert all(rows_identical(h[0]) for h in history)
    assert history[-1][0] != history[0][0]  # the weights moved, together
    broken = symmetry(net, Rational(1, 2), x, y, steps=5, rate=1, seed=3)
    assert not any(rows_identical(h[0]) for h in broken)
    zero = symmetry(NETWORKS[2], 0, Matrix([1, -2]), Matrix([1]), steps=3, rate=1)
    assert all(rows_identical(h[0]) for h in zero)


def test_parameter_counts_of_seed_004():
    assert parameter_count([8, 10, 10, 3], biases=False) == 210
    assert parameter_count([8, 10, 10, 3], biases=True) == 233


SEED_002_LAYERS = [
    "Conv2D(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)",
    "MaxPool2d(kernel_size=2, stride=2, padding=0)",
    "Conv2D(in_channels=16, out_channels=32, kernel_size=3, stride=1, padding=0)",
    "MaxPool2d(kernel_size=2, stride=2, padding=1)",
    "Conv2D(in_channels=32, out_channels=8, kernel_size=1, stride=1, padding=0)",
    "Conv2D(in_channels=8, out_channels=4, kernel_size=5, stride=1, padding=0)",
    "Flatten()",
    "Linear(in_features=576, out_features=10)",
]


def test_cnn_shapes_and_counts_of_seed_002():
    traced = trace_shapes((3, 64, 64), [parse_layer(s) for s in SEED_002_LAYERS])
    assert [e.shape for e in traced] == [(16, 64, 64), (16, 32, 32), (32, 30, 30), (32, 16, 16), (8, 16, 16),
                                         (4, 12, 12), (576,), (10,)]
    assert [e.params for e in traced] == [448, 0, 4640, 0, 264, 804, 0, 5770]
    # the seed prints 805306512 for the first one: 3*64*64 * 16*64*64 + 16*64*64 is 805371904
    assert [e.dense_params for e in traced] == [805371904, None, 471888000, None, 16779264, 1180224, None, None]


def test_shapes_that_do_not_divide_evenly_are_refused():
    with pytest.raises(SymgradError, match=r"\(64 - 3 \+ 2·0\)/2 = 61/2 does not divide evenly"):
        output_size(64, 3, 0, 2)
    with pytest.raises(SymgradError, match="in_channels=4 but the input has 3 channels"):
        trace_shapes((3, 8, 8), [parse_layer("Conv2d(in_channels=4, out_channels=2, kernel_size=3)")])
    with pytest.raises(SymgradError, match="cannot read the layer"):
        parse_layer("__import__('os')")
    with pytest.raises(SymgradError, match="name=whole number"):
        parse_layer("Conv2d(in_channels=3, out_channels=x, kernel_size=3)")
    with pytest.raises(SymgradError, match="needs out_features"):
        parse_layer("Linear(in_features=3)")


@pytest.mark.parametrize(
    ("item", "answer", "verdict", "diagnosis"),
    [
        ("grad.W2", "d2 a1^T", "correct", None),
        ("grad.W2", "Omega2 (a2 - y) a1^T", "correct", None),
        ("grad.W2", "((a2 - y) ⊙ a2 ⊙ (1 - a2)) a1^T", "correct", None),
        ("grad.W2", r"\left((a_2 - y) \odot \sigma'(z_2)\right) a_{1}^{\top}", "correct", None),
        ("grad.W1", "Omega1 W2^T Omega2 (a2 - y) x^T", "correct", None),
        ("grad.W1", "((W2^T d2) ⊙ sigma'(z1)) x^T", "correct", None),
        ("grad.W2", "a1 d2^T", "incorrect", "transposed"),
        ("grad.W2", "d2", "incorrect", "shape mismatch"),
        ("grad.W2", "a1^T d2", "incorrect", "shape mismatch"),
        ("grad.W2", "-d2 a1^T", "incorrect", "sign error"),
        ("grad.W1", "W2^T Omega2 (a2 - y) x^T", "incorrect", "missing activation derivative"),
        ("grad.W2", "(a2 - y) a1^T", "incorrect", "missing activation derivative"),
        ("grad.W2", "d2 a1^", "invalid", None),
        ("grad.W2", "d2 q^T", "invalid", None),
    ],
)
def test_matrix_answers(item, answer, verdict, diagnosis):
    net = NETWORKS[0]
    v = check_matrix(matrix_keys(net)[item], answer, matrix_context(net))
    assert (v.verdict, v.diagnosis) == (verdict, diagnosis), v


def test_network_options_are_checked():
    with pytest.raises(SymgradError, match="unknown activation"):
        Network((2, 2), ("mish",))
    with pytest.raises(SymgradError, match="softmax output goes with the cross-entropy"):
        Network((2, 2), ("softmax",), "squared")
    with pytest.raises(SymgradError, match="2 layers need 2 activations"):
        Network((2, 2, 2), ("sigmoid",))


@pytest.mark.parametrize("activation", ["softplus", "elu", "leaky_relu", "gelu", "silu"])
def test_every_activation_row_is_a_network_activation(activation):
    """The newer activations: the matrix passes agree with the scalar engine and finite differences."""
    net = Network((2, 3, 1), (activation, "identity"), "squared")
    test_matrix_formulas_agree_with_scalar_staging_and_finite_differences(net, 3)


def test_matrix_answers_are_checked_on_the_problems_own_network():
    """Issue 13's first case: a one-output network's answer that only fits its own sizes is correct, and
    a transpose is named in the problem's own sizes."""
    from symgrad.nets import instance_sizes

    net = Network((2, 3, 1), ("tanh", "sigmoid"), "squared")
    assert instance_sizes(net) == ({"d0": 2, "d1": 3, "d2": 1}, {"d0": 4, "d1": 5, "d2": 1})
    context = matrix_context(net)
    assert check_matrix("d2 a1^T", "(a2 - y) sigma'(z2) a1^T", context).verdict == "correct"
    transposed = check_matrix("d2 a1^T", "a1 d2^T", context)
    assert (transposed.verdict, transposed.message) == ("incorrect",
                                                        "your answer is 3×1 but the key is 1×3: it is transposed")


def test_a_vector_power_is_entrywise_and_the_asked_quantity_is_not_its_own_answer():
    net = Network((2, 3, 1), ("tanh", "sigmoid"), "squared")
    context, keys = matrix_context(net), matrix_keys(net)
    assert keys["delta.1"] == "Omega1 (W2^T d2)"  # the key in the quantities before it
    for answer in ("(W2^T d2) ⊙ (1 - a1^2)", "(W2^T d2) ⊙ (1 - tanh(z1)^2)", "Omega1 W2^T d2"):
        assert check_matrix(keys["delta.1"], answer, context).verdict == "correct", answer
    named = check_matrix(keys["delta.1"], "d1", context)
    assert (named.verdict, named.diagnosis) == ("incorrect", "quantity asked for")
    assert check_matrix(keys["grad.b1"], "d1", context).verdict == "correct"  # dl/db1 is delta1 itself


@pytest.mark.parametrize("answer, diagnosis", [
    ("(W2^T d2) ⊙ tanh(z1)", "function for derivative"),
    ("(W2^T d2) ⊙ a1", "function for derivative"),
    ("(W2^T d2) ⊙ sigmoid'(z1)", "wrong activation derivative"),
    ("(W2^T d2) ⊙ relu'(z1)", "wrong activation derivative"),
    ("-(W2^T d2) ⊙ (1 - a1^2)", "sign error"),
])
def test_matrix_feedback_names_the_activation_slips(answer, diagnosis):
    net = Network((2, 3, 1), ("tanh", "sigmoid"), "squared")
    v = check_matrix(matrix_keys(net)["delta.1"], answer, matrix_context(net))
    assert (v.verdict, v.diagnosis) == ("incorrect", diagnosis), v.message


def test_matrix_readings_are_echoed():
    net = Network((2, 3, 1), ("tanh", "sigmoid"), "squared")
    v = check_matrix(matrix_keys(net)["delta.1"], "(W2^T d2) .* (1 - a1^2)", matrix_context(net))
    assert v.verdict == "correct"
    assert v.parsed.notes == ("a power of a vector is taken entry by entry: a1^2 is a1 ⊙ a1",)


@pytest.mark.parametrize("answer", ["(W2^T d2) o (1 - a1^2)", "(W2^T d2) ∘ (1 - a1^2)", "W2^T d2 o tanh'(z1)",
                                    r"\left(W_2^\top d_2\right) \circ \left(1 - a_1^2\right)"])
def test_the_entry_by_entry_product_spelled_o_or_circ(answer):
    net = Network((2, 3, 1), ("tanh", "sigmoid"), "squared")
    v = check_matrix(matrix_keys(net)["delta.1"], answer, matrix_context(net))
    assert v.verdict == "correct", v.message
    if " o " in answer:
        assert v.parsed.notes[0] == "o between two factors is read as ⊙, the entry-by-entry product"
