"""Networks as problems: fully connected layers, their forward and backward passes in matrix form,
shapes, symmetry under constant initialization, parameter counts, and convolutional shapes.

The matrix formulas (what a worksheet states) are SymPy matrix expressions over MatrixSymbols, so
every quantity carries its shape; a concrete instance (small sizes, nice numbers) computes every
vector and matrix of both passes with exact arithmetic where the activations allow it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy
from sympy import HadamardProduct, Matrix, MatrixSymbol, Rational

from .errors import SymgradError
from .gates import FUNCTIONS as FUNCTION_ROWS
from .gates import fdiff

# -- activations and losses: one row each -----------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[sympy.Expr], sympy.Expr]
    df: Callable[[sympy.Expr, sympy.Expr], sympy.Expr]  # derivative, from z and a = f(z)
    tex: str
    df_tex: str  # the derivative as the seeds write it, in the layer's activation {a} (or pre-activation {z})


def _activation(row) -> Activation:
    """A network activation from its function row (gates.FUNCTIONS): the one home of its facts."""
    if row.derivative is not None:
        df = lambda z, a: row.derivative(z, a)  # noqa: E731 - in the output a where the row writes it so
    else:
        df = lambda z, a: fdiff(row.cls, z)  # noqa: E731
    return Activation(row.name, row.cls, df, row.tex_command, row.activation)


ACTIVATIONS: dict[str, Activation] = {
    **{row.name: _activation(row) for row in FUNCTION_ROWS if row.activation},
    "identity": Activation("identity", lambda z: z, lambda z, a: sympy.S.One, r"\operatorname{id}", "1"),
}


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[Matrix, Matrix], sympy.Expr]  # from the output a and the label y
    grad_a: Callable[[Matrix, Matrix], Matrix]  # d loss / d a
    tex: str  # in the output {a} and the target {y}
    fused: str | None = None  # an output activation whose gradient with this loss is simply a - y


def _softmax(z: Matrix) -> Matrix:
    exps = z.applyfunc(sympy.exp)
    total = sum(exps)
    return exps.applyfunc(lambda e: e / total)


LOSSES: dict[str, Loss] = {l.name: l for l in [
    Loss("squared", lambda a, y: Rational(1, 2) * sum((a - y).applyfunc(lambda t: t**2)), lambda a, y: a - y,
         r"\frac{{1}}{{2}}\left\lVert {y} - {a}\right\rVert_2^2"),
    Loss("mse", lambda a, y: sum((a - y).applyfunc(lambda t: t**2)) / a.rows,
         lambda a, y: (a - y) * Rational(2, a.rows), r"\frac{{1}}{{n}}\left\lVert {a} - {y}\right\rVert_2^2"),
    Loss("cross-entropy", lambda a, y: -sum(y[i] * sympy.log(a[i]) for i in range(a.rows)),
         lambda a, y: Matrix([-y[i] / a[i] for i in range(a.rows)]), r"-\sum_k {y}_k \log {a}_k", fused="softmax"),
    Loss("binary-cross-entropy",
         lambda a, y: -sum(y[i] * sympy.log(a[i]) + (1 - y[i]) * sympy.log(1 - a[i]) for i in range(a.rows)),
         lambda a, y: Matrix([(a[i] - y[i]) / (a[i] * (1 - a[i])) for i in range(a.rows)]),
         r"-\sum_k {y}_k \log {a}_k + (1 - {y}_k)\log(1 - {a}_k)", fused="sigmoid"),
]}
OUTPUTS = {**{n: n for n in ACTIVATIONS}, "softmax": "softmax"}


@dataclass(frozen=True)
class Network:
    """A fully connected network: sizes d0..dL, an activation per layer, a loss, biases per layer."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str = "squared"
    biases: tuple[bool, ...] = ()

    def __post_init__(self):
        if len(self.sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in self.sizes):
            raise SymgradError(f"layer sizes must be at least two positive whole numbers, not {list(self.sizes)}")
        if len(self.activations) != len(self.sizes) - 1:
            raise SymgradError(f"{len(self.sizes) - 1} layers need {len(self.sizes) - 1} activations, "
                               f"not {len(self.activations)}")
        for a in self.activations:
            if a not in OUTPUTS:
                raise SymgradError(f"unknown activation '{a}' (known: {', '.join(OUTPUTS)})")
        if "softmax" in self.activations[:-1]:
            raise SymgradError("softmax can only be the output layer's activation")
        if self.loss not in LOSSES:
            raise SymgradError(f"unknown loss '{self.loss}' (known: {', '.join(LOSSES)})")
        if self.activations[-1] == "softmax" and self.loss != "cross-entropy":
            raise SymgradError("a softmax output goes with the cross-entropy loss")
        if not self.biases:
            object.__setattr__(self, "biases", (True,) * (len(self.sizes) - 1))
        if len(self.biases) != len(self.sizes) - 1:
            raise SymgradError(f"biases: one true/false per layer ({len(self.sizes) - 1}), not {len(self.biases)}")

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1


# -- a concrete instance: every vector and matrix of both passes -------------------------------------


@dataclass
class Trace:
    """Forward and backward pass of one input: z^l, a^l, delta^l = dl/dz^l, dl/dW^l, dl/db^l."""

    x: Matrix
    y: Matrix
    weights: list[Matrix]
    bias: list[Matrix | None]
    z: list[Matrix] = field(default_factory=list)
    a: list[Matrix] = field(default_factory=list)  # a[0] = x
    loss: sympy.Expr = sympy.S.Zero
    delta: list[Matrix] = field(default_factory=list)
    grad_w: list[Matrix] = field(default_factory=list)
    grad_b: list[Matrix | None] = field(default_factory=list)
    derivative: list[Matrix] = field(default_factory=list)  # sigma'(z^l), the diagonal of Omega/Lambda


def _activate(name: str, z: Matrix) -> Matrix:
    if name == "softmax":
        return _softmax(z)
    return z.applyfunc(ACTIVATIONS[name].f)


def run(net: Network, weights: Sequence[Matrix], bias: Sequence[Matrix | None], x: Matrix, y: Matrix) -> Trace:
    """Both passes with the matrix formulas: d^L = grad_a l ⊙ s'(z^L), d^l = (W^{l+1})^T d^{l+1} ⊙ s'(z^l),
    dl/dW^l = d^l (a^{l-1})^T, dl/db^l = d^l."""
    t = Trace(Matrix(x), Matrix(y), [Matrix(w) for w in weights], [None if b is None else Matrix(b) for b in bias])
    _check_shapes(net, t)
    a = t.x
    t.a.append(a)
    for layer in range(net.layers):
        w = t.weights[layer]
        z = w * a + (t.bias[layer] if t.bias[layer] is not None else sympy.zeros(w.rows, 1))
        a = _activate(net.activations[layer], z)
        t.z.append(z)
        t.a.append(a)
    loss = LOSSES[net.loss]
    t.loss = loss.value(a, t.y)
    out = net.activations[-1]
    deltas: list[Matrix] = [sympy.zeros(1, 1)] * net.layers
    derivative: list[Matrix] = [sympy.zeros(1, 1)] * net.layers
    for layer in reversed(range(net.layers)):
        name = net.activations[layer]
        if layer == net.layers - 1 and loss.fused == out:  # softmax/sigmoid with cross-entropy: a - y
            deltas[layer] = t.a[-1] - t.y
            derivative[layer] = sympy.ones(t.a[-1].rows, 1)
            continue
        activation = ACTIVATIONS[name] if name in ACTIVATIONS else None
        if activation is None:
            raise SymgradError(f"the {name} output needs the cross-entropy loss")
        derivative[layer] = Matrix([activation.df(zi, ai) for zi, ai in zip(t.z[layer], t.a[layer + 1])])
        upstream = loss.grad_a(t.a[-1], t.y) if layer == net.layers - 1 else \
            t.weights[layer + 1].T * deltas[layer + 1]
        deltas[layer] = upstream.multiply_elementwise(derivative[layer])
    t.delta, t.derivative = deltas, derivative
    t.grad_w = [deltas[l] * t.a[l].T for l in range(net.layers)]
    t.grad_b = [deltas[l] if t.bias[l] is not None else None for l in range(net.layers)]
    return t


def _check_shapes(net: Network, t: Trace) -> None:
    if t.x.shape != (net.sizes[0], 1):
        raise SymgradError(f"x must be {net.sizes[0]}×1, not {t.x.rows}×{t.x.cols}")
    if t.y.shape != (net.sizes[-1], 1):
        raise SymgradError(f"y must be {net.sizes[-1]}×1, not {t.y.rows}×{t.y.cols}")
    for l, w in enumerate(t.weights, start=1):
        if w.shape != (net.sizes[l], net.sizes[l - 1]):
            raise SymgradError(f"W^({l}) must be {net.sizes[l]}×{net.sizes[l - 1]}, not {w.rows}×{w.cols}")
        b = t.bias[l - 1]
        if net.biases[l - 1] and (b is None or b.shape != (net.sizes[l], 1)):
            raise SymgradError(f"b^({l}) must be {net.sizes[l]}×1")


def gradient_step(t: Trace, rate: sympy.Expr) -> tuple[list[Matrix], list[Matrix | None]]:
    """W <- W - rate * dl/dW, b <- b - rate * dl/db."""
    weights = [w - rate * g for w, g in zip(t.weights, t.grad_w)]
    bias = [None if b is None else b - rate * g for b, g in zip(t.bias, t.grad_b)]
    return weights, bias


def nice_instance(net: Network, seed: int = 0) -> tuple[list[Matrix], list[Matrix | None], Matrix, Matrix]:
    """Small whole-number weights and inputs (a worksheet's nice numbers), from a fixed seed."""
    import random

    rng = random.Random(seed)
    pick = lambda: sympy.Integer(rng.choice([-2, -1, 1, 2]))  # noqa: E731

    def distinct_rows(rows: int, cols: int) -> Matrix:
        """No two rows alike: identical rows would make two units compute the same thing."""
        while True:
            m = Matrix(rows, cols, lambda i, j: pick())
            if cols == 1 or len({tuple(m.row(i)) for i in range(rows)}) == rows or 4**cols < rows:
                return m

    weights = [distinct_rows(net.sizes[l], net.sizes[l - 1]) for l in range(1, len(net.sizes))]
    bias = [Matrix(net.sizes[l], 1, lambda i, j: pick()) if net.biases[l - 1] else None
            for l in range(1, len(net.sizes))]
    x = Matrix(net.sizes[0], 1, lambda i, j: pick())
    y = Matrix(net.sizes[-1], 1, lambda i, j: sympy.Integer(rng.choice([0, 1])))
    return weights, bias, x, y


# -- the matrix formulas with their shapes --------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """One line of the backward pass in matrix notation: the quantity (a MatrixSymbol or a derivative
    of the loss), its formula and a note. Symbols carry short canonical names (W1, a1, z1, d1 for
    delta, Omega1, p1 for the activation's derivative at z1, loss): a view prints them in the
    question's own notation through the printer's ``names``."""

    lhs: sympy.Basic
    expr: sympy.MatrixExpr
    note: str = ""

    @property
    def shape(self) -> tuple:
        return self.expr.shape


LOSS = sympy.Symbol("loss")


def gradient_of(v: sympy.Basic) -> sympy.Derivative:
    """d loss / d v, left unevaluated: the printer writes it as a fraction of partials."""
    return sympy.Derivative(LOSS, v, evaluate=False)


def dims(net: Network) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"d^{{({i})}}", positive=True, integer=True) for i in range(len(net.sizes))]


@dataclass(frozen=True)
class Quantities:
    """The MatrixSymbols of a network, layer by layer (index 0 unused except for a: a[0] = x)."""

    W: list
    b: list
    z: list
    a: list
    y: MatrixSymbol
    delta: list
    omega: list
    prime: list  # the activation's derivative at z, entry by entry
    grad_a: list  # d loss / d a^(l) as a vector (a^(0) = x)


def quantities(net: Network) -> Quantities:
    d = dims(net)
    L = net.layers
    layer = lambda name, rows, cols=lambda l: 1: [None] + [MatrixSymbol(f"{name}{l}", rows(l), cols(l))  # noqa: E731
                                                             for l in range(1, L + 1)]
    return Quantities(layer("W", lambda l: d[l], lambda l: d[l - 1]), layer("b", lambda l: d[l]),
                      layer("z", lambda l: d[l]),
                      [MatrixSymbol("x" if l == 0 else f"a{l}", d[l], 1) for l in range(L + 1)],
                      MatrixSymbol("y", d[L], 1), layer("d", lambda l: d[l]),
                      layer("Omega", lambda l: d[l], lambda l: d[l]), layer("p", lambda l: d[l]),
                      [MatrixSymbol(f"ga{l}", d[l], 1) for l in range(L + 1)])


def loss_gradient(net: Network) -> sympy.MatrixExpr | None:
    """d loss / d a at the output as a matrix formula (None where it is not a plain product)."""
    q = quantities(net)
    n = dims(net)[-1]
    a, y = q.a[-1], q.y
    return {"squared": a - y, "mse": (2 / n) * (a - y)}.get(net.loss)


def formulas(net: Network) -> list[Formula]:
    """The backward pass as the seeds write it, layer by layer, every quantity a MatrixSymbol with its shape.
    Omega^(l) = diag(f'(z^(l))) for the layer's own activation f; an identity layer has no Omega."""
    q = quantities(net)
    L = net.layers
    loss = LOSSES[net.loss]
    out: list[Formula] = []

    def through_activation(l: int, upstream) -> sympy.MatrixExpr:
        return upstream if net.activations[l - 1] == "identity" else q.omega[l] * upstream

    if loss.fused == net.activations[-1]:
        out.append(Formula(q.delta[L], q.a[L] - q.y, f"{net.activations[-1]} output with the {net.loss} loss: "
                                                     "the gradient at z is a - y"))
    else:
        grad_a = loss_gradient(net)
        out.append(Formula(q.grad_a[L], grad_a if grad_a is not None else q.grad_a[L],
                           f"the derivative of the {net.loss} loss"))
        out.append(Formula(q.delta[L], through_activation(L, q.grad_a[L]), "through the output's activation"))
    for l in range(L - 1, 0, -1):
        out.append(Formula(q.grad_a[l], q.W[l + 1].T * q.delta[l + 1], "back through the weights"))
        out.append(Formula(q.delta[l], through_activation(l, q.grad_a[l]), "through the activation"))
    for l in range(1, L + 1):
        out.append(Formula(gradient_of(q.W[l]), q.delta[l] * q.a[l - 1].T, "an outer product, shaped like W"))
        if net.biases[l - 1]:
            out.append(Formula(gradient_of(q.b[l]), q.delta[l], ""))
    out.append(Formula(q.grad_a[0], q.W[1].T * q.delta[1], "the gradient with respect to the input"))
    return out


def matrix_context(net: Network):
    """The names a student may use in a matrix answer about ``net`` and what each is: x, y, W1, b1, z1, a1
    (a0 is x), d1 (= dl/dz1), Omega1 = diag(s'(z1)), grad_a (dl/da at the output)."""
    from .matrix_check import MatrixContext

    L = net.layers
    shapes = {"x": ("d0", "1"), "y": (f"d{L}", "1")}
    definitions: list[tuple[str, str]] = [("a0", "x")]
    for l in range(1, L + 1):
        shapes[f"W{l}"] = (f"d{l}", f"d{l - 1}")
        if net.biases[l - 1]:
            shapes[f"b{l}"] = (f"d{l}", "1")
        bias = f" + b{l}" if net.biases[l - 1] else ""
        act = net.activations[l - 1]
        definitions.append((f"z{l}", f"W{l} a{l - 1}{bias}"))
        definitions.append((f"a{l}", f"{act}(z{l})" if act != "identity" else f"z{l}"))
    loss = LOSSES[net.loss]
    definitions.append(("grad_a", f"a{L} - y"))
    fused = loss.fused == net.activations[-1]
    derivative_names = []
    for l in range(L, 0, -1):
        act = net.activations[l - 1]
        prime = f"{act}'(z{l})" if act != "identity" else f"1 + 0 z{l}"  # every activation row reads f'(z)
        upstream = "grad_a" if l == L else f"W{l + 1}^T d{l + 1}"
        definitions.append((f"Omega{l}", f"diag({prime})"))
        derivative_names.append(f"Omega{l}")
        definitions.append((f"d{l}", "grad_a" if (l == L and fused) else f"Omega{l} ({upstream})"))
    return MatrixContext(shapes, tuple(definitions), tuple(derivative_names), instance_sizes(net))


def instance_sizes(net: Network) -> tuple[dict[str, int], ...]:
    """The sizes a matrix answer is checked on: the problem's own network first, then the same network with
    every layer of more than one unit given a distinct size, so that a transpose shows in its shape (a layer
    of one unit stays one: an answer that is right for one output is right)."""
    own = {f"d{i}": n for i, n in enumerate(net.sizes)}
    free = iter(n for n in range(2, 40) if n not in net.sizes)
    varied = {f"d{i}": n if n == 1 else next(free) for i, n in enumerate(net.sizes)}
    return (own, varied)


def matrix_keys(net: Network) -> dict[str, str]:
    """Key texts in matrix_context's names: the seeds' answers, one per gradient."""
    if net.loss not in ("squared",) and LOSSES[net.loss].fused != net.activations[-1]:
        return {}
    definitions = dict(matrix_context(net).definitions)
    keys = {"grad.x": "W1^T d1"}
    for l in range(1, net.layers + 1):
        keys[f"delta.{l}"] = definitions[f"d{l}"]  # in the quantities before it, never its own name d1
        keys[f"grad.W{l}"] = f"d{l} a{l - 1}^T"
        if net.biases[l - 1]:
            keys[f"grad.b{l}"] = f"d{l}"
    return keys


# -- symmetry --------------------------------------------------------------------------------------


def symmetry(net: Network, value: sympy.Expr, x: Matrix, y: Matrix, steps: int, rate: sympy.Expr,
             seed: int | None = None) -> list[list[Matrix]]:
    """The weights after each of ``steps`` gradient steps (see symmetry_trace): with constant weights every
    row of the first layer stays the same, random weights break the tie."""
    return [weights for _, weights in symmetry_trace(net, value, x, y, steps, rate, seed)]


def rows_identical(m: Matrix, tol: float = 1e-12) -> bool:
    return all(abs(float(m[i, j] - m[0, j])) <= tol for i in range(m.rows) for j in range(m.cols))


# -- parameter counts and convolutional shapes ------------------------------------------------------------


def parameter_count(sizes: Sequence[int], biases: bool = True) -> int:
    """sum over layers of n_i n_{i+1}, plus n_{i+1} biases each: [8, 10, 10, 3] has 210 weights, 233 with biases."""
    return sum((sizes[i] + (1 if biases else 0)) * sizes[i + 1] for i in range(len(sizes) - 1))


@dataclass(frozen=True)
class Layer:
    """One layer of a PyTorch-style list: Conv2d, MaxPool2d, Flatten or Linear, with its arguments."""

    kind: str
    args: dict

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in self.args.items())})"


_LAYER = re.compile(r"^\s*(Conv2[dD]|MaxPool2d|Flatten|Linear)\s*\((.*)\)\s*$")
_ALIASES = {"Conv2D": "Conv2d"}
_REQUIRED = {
    "Conv2d": ("in_channels", "out_channels", "kernel_size"),
    "MaxPool2d": ("kernel_size",),
    "Flatten": (),
    "Linear": ("in_features", "out_features"),
}
_DEFAULTS = {"Conv2d": {"stride": 1, "padding": 0}, "MaxPool2d": {"padding": 0}}


def parse_layer(text: str) -> Layer:
    """'Conv2d(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)' -> Layer (no eval)."""
    m = _LAYER.match(text)
    if not m:
        raise SymgradError(f"cannot read the layer '{text}': expected Conv2d(...), MaxPool2d(...), Flatten() "
                           "or Linear(...)")
    kind = _ALIASES.get(m.group(1), m.group(1))
    args: dict[str, int] = {}
    if m.group(2).strip():
        for part in m.group(2).split(","):
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not re.fullmatch(r"[a-z_]+", key) or not re.fullmatch(r"\d{1,6}", value):
                raise SymgradError(f"in '{text}': write each argument as name=whole number, not '{part.strip()}'")
            args[key] = int(value)
    for key, value in _DEFAULTS.get(kind, {}).items():
        args.setdefault(key, value)
    if kind == "MaxPool2d" and "kernel_size" in args:
        args.setdefault("stride", args["kernel_size"])  # PyTorch's default stride is the kernel size
    missing = [k for k in _REQUIRED[kind] if k not in args]
    if missing:
        raise SymgradError(f"in '{text}': {kind} needs {', '.join(missing)}")
    return Layer(kind, args)


def output_size(n: int, f: int, p: int, s: int, where: str = "") -> int:
    """o = (n - f + 2p)/s + 1, refusing sizes that do not divide evenly."""
    top = n - f + 2 * p
    if top < 0:
        raise SymgradError(f"{where}the filter ({f}) is larger than the padded input ({n} + 2·{p})")
    if top % s:
        raise SymgradError(f"{where}(n - f + 2p)/s = ({n} - {f} + 2·{p})/{s} = {top}/{s} does not divide evenly")
    return top // s + 1


@dataclass(frozen=True)
class LayerShape:
    layer: Layer
    shape: tuple[int, ...]  # the output's shape without the batch dimension
    params: int
    dense_params: int | None  # a fully connected layer from the flattened input to the flattened output


def trace_shapes(input_shape: Sequence[int], layers: Sequence[Layer]) -> list[LayerShape]:
    """The shape after each layer (channels, height, width; or features), its parameters, and the fully
    connected equivalent's parameters for a convolution."""
    shape = tuple(input_shape)
    out = []
    for i, layer in enumerate(layers, start=1):
        a, where = layer.args, f"layer {i} ({layer}): "
        if layer.kind in ("Conv2d", "MaxPool2d"):
            if len(shape) != 3:
                raise SymgradError(f"{where}needs a (channels, height, width) input, not {shape}")
            c, h, w = shape
            if layer.kind == "Conv2d" and a["in_channels"] != c:
                raise SymgradError(f"{where}in_channels={a['in_channels']} but the input has {c} channels")
            k, s, p = a["kernel_size"], a["stride"], a["padding"]
            oh, ow = output_size(h, k, p, s, where), output_size(w, k, p, s, where)
            if layer.kind == "Conv2d":
                co = a["out_channels"]
                params = c * co * k * k + co
                dense = (c * h * w) * (co * oh * ow) + co * oh * ow
                shape, entry = (co, oh, ow), LayerShape(layer, (co, oh, ow), params, dense)
            else:
                shape, entry = (c, oh, ow), LayerShape(layer, (c, oh, ow), 0, None)
        elif layer.kind == "Flatten":
            size = 1
            for n in shape:
                size *= n
            shape, entry = (size,), LayerShape(layer, (size,), 0, None)
        else:
            if len(shape) != 1 or shape[0] != a["in_features"]:
                raise SymgradError(f"{where}in_features={a['in_features']} but the input has shape {shape}")
            shape = (a["out_features"],)
            entry = LayerShape(layer, shape, a["in_features"] * a["out_features"] + a["out_features"], None)
        out.append(entry)
    return out


# -- derivatives of a single linear output (no loss), as seed 002 §2.1 asks ---------------------------------


def output_gradient_formulas(net: Network) -> list[Formula]:
    """dy/dW2 = a1^T, dy/db2 = 1, dy/da1 = W2, dy/dW1 = (W2^T ⊙ f'(z1)) x^T, dy/db1 = W2^T ⊙ f'(z1), for a
    two-layer network whose output y = W2 a1 + b2 is one number (checked by ``check_output_gradients``)."""
    if net.layers != 2 or net.sizes[-1] != 1 or net.activations[-1] != "identity":
        raise SymgradError("derivatives of the output need two layers and one output with no activation")
    q = quantities(net)
    y = sympy.Symbol("a2")
    dy = lambda v: sympy.Derivative(y, v, evaluate=False)  # noqa: E731
    local = HadamardProduct(q.W[2].T, q.prime[1])
    out = [Formula(dy(q.W[2]), q.a[1].T), Formula(dy(q.a[1]), q.W[2]),
           Formula(dy(q.W[1]), local * q.a[0].T), ]
    if net.biases[1]:
        out.insert(1, Formula(dy(q.b[2]), sympy.Identity(1)))
    if net.biases[0]:
        out.append(Formula(dy(q.b[1]), local))
    return out


def explicit_network(net: Network):
    """Symbolic entries for every weight, bias and input (W1_ij, b1_i, x_j): the scalar output and the symbols."""
    weights = [Matrix(net.sizes[l], net.sizes[l - 1], lambda i, j, l=l: sympy.Symbol(f"W{l}_{i + 1}{j + 1}"))
               for l in range(1, net.layers + 1)]
    bias = [Matrix(net.sizes[l], 1, lambda i, j, l=l: sympy.Symbol(f"b{l}_{i + 1}")) if net.biases[l - 1] else None
            for l in range(1, net.layers + 1)]
    x = Matrix(net.sizes[0], 1, lambda i, j: sympy.Symbol(f"x_{i + 1}"))
    a = x
    for l in range(net.layers):
        z = weights[l] * a + (bias[l] if bias[l] is not None else sympy.zeros(weights[l].rows, 1))
        a = _activate(net.activations[l], z)
    return a, weights, bias, x


def output_gradient_values(net: Network, weights, bias, x) -> dict[str, Matrix]:
    """The derivatives of the single output at an instance, entry by entry with sympy.diff on explicit
    symbols (independent of the matrix formulas), with the hidden activation z and the output y."""
    out, w_sym, b_sym, x_sym = explicit_network(net)
    y = out[0]
    values = {s: v for ms, mv in zip(w_sym, weights) for s, v in zip(ms, Matrix(mv))}
    values.update({s: v for ms, mv in zip(b_sym, bias) if ms is not None for s, v in zip(ms, Matrix(mv))})
    values.update(dict(zip(x_sym, Matrix(x))))
    at = lambda m, f=y: m.applyfunc(lambda e: sympy.nsimplify(sympy.diff(f, e).xreplace(values)))  # noqa: E731
    hidden = Matrix(net.sizes[1], 1, lambda i, j: sympy.Symbol(f"h_{i + 1}"))  # y as a function of a1
    y_of_hidden = (w_sym[1] * hidden + (b_sym[1] if b_sym[1] is not None else sympy.zeros(1, 1)))[0]
    z1 = w_sym[0] * x_sym + (b_sym[0] if b_sym[0] is not None else sympy.zeros(net.sizes[1], 1))
    result = {"W2": at(w_sym[1]), "a1": at(hidden.T, y_of_hidden), "W1": at(w_sym[0]),
              "z": _activate(net.activations[0], z1).xreplace(values), "y": Matrix([[y.xreplace(values)]])}
    if b_sym[1] is not None:
        result["b2"] = at(b_sym[1])
    if b_sym[0] is not None:
        result["b1"] = at(b_sym[0])
    return result


def symmetry_trace(net: Network, value: sympy.Expr, x: Matrix, y: Matrix, steps: int, rate: sympy.Expr,
                   seed: int | None = None) -> list[tuple[Trace, list[Matrix]]]:
    """Both passes at the weights of each step, from constant ``value`` (or small random weights with
    ``seed``): (trace, weights) for steps 0..steps. Constant weights keep every hidden unit the same."""
    import random

    rng = random.Random(seed)

    def start(rows, cols):
        if seed is None:
            return Matrix(rows, cols, lambda i, j: value)
        return Matrix(rows, cols, lambda i, j: sympy.Float(round(rng.uniform(-1, 1), 2), 15))

    weights = [start(net.sizes[l], net.sizes[l - 1]) for l in range(1, len(net.sizes))]
    bias = [start(net.sizes[l], 1) if net.biases[l - 1] else None for l in range(1, len(net.sizes))]
    history = []
    for _ in range(steps + 1):
        t = run(net, weights, bias, x, y)
        history.append((t, weights))
        weights, bias = gradient_step(t, rate)
        weights = [w.evalf(15) for w in weights]
        bias = [None if b is None else b.evalf(15) for b in bias]
    return history


def check_loss_gradient(net: Network, size: int = 3) -> None:
    """The loss-gradient formula (loss_gradient) against sympy.diff of the loss itself, entry by entry, on an
    output of ``size`` symbolic entries: the check behind the first line of every backward pass."""
    formula = loss_gradient(net)
    if formula is None:
        return
    a = Matrix(size, 1, lambda i, j: sympy.Symbol(f"a_{i + 1}"))
    y = Matrix(size, 1, lambda i, j: sympy.Symbol(f"y_{i + 1}"))
    value = LOSSES[net.loss].value(a, y)
    n = dims(net)[-1]
    explicit = formula.subs(n, size).xreplace({MatrixSymbol(f"a{net.layers}", size, 1): a,
                                                MatrixSymbol("y", size, 1): y}).as_explicit()
    for i in range(size):
        if sympy.simplify(sympy.diff(value, a[i]) - explicit[i]) != 0:
            raise SymgradError(f"the {net.loss} loss gradient formula disagrees with its derivative at entry {i + 1}")


def check_average_rule(samples: int = 3) -> None:
    """d/dw of (1/n) sum L_i(w) is (1/n) sum dL_i/dw: checked with sympy on ``samples`` unknown functions."""
    w = sympy.Symbol("w")
    losses = [sympy.Function(f"L{i}")(w) for i in range(1, samples + 1)]
    total = sympy.Add(*losses) / samples
    if sympy.simplify(sympy.diff(total, w) - sympy.Add(*(sympy.diff(f, w) for f in losses)) / samples) != 0:
        raise SymgradError("the gradient of an average is not the average of the gradients")
