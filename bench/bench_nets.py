"""Benchmark: gradients of an L-layer sigmoid network from the matrix formulas, from the element-wise
scalar staging of the core engine, and from central finite differences.

The matrix formulas (d^L = grad_a l ⊙ s'(z^L), d^l = (W^{l+1})^T d^{l+1} ⊙ s'(z^l), dl/dW^l = d^l (a^{l-1})^T)
run in numpy at every width; they are first checked against symgrad.nets.run on a small instance. The
scalar staging writes the loss out entry by entry and runs symgrad's staged backward pass; finite
differences take two forward passes per weight. Both of those grow much faster, so each stops at the
width where it would take longer than --budget seconds.

    python bench/bench_nets.py [--layers 3] [--widths 4,8,16,32,64,128,256] [--budget 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import sympy

from symgrad import solve
from symgrad.nets import Network, run


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def matrix_gradients(weights, biases, x, y):
    """Both passes with the matrix formulas, squared loss, sigmoid everywhere."""
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ activations[-1] + b)
        activations.append(sigmoid(zs[-1]))
    a = activations[-1]
    delta = (a - y) * a * (1 - a)
    grads = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        grads[l] = np.outer(delta, activations[l])
        if l:
            h = activations[l]
            delta = (weights[l].T @ delta) * h * (1 - h)
    return grads


def loss(weights, biases, x, y):
    a = x
    for w, b in zip(weights, biases):
        a = sigmoid(w @ a + b)
    return 0.5 * float(np.sum((a - y) ** 2))


def finite_difference_gradients(weights, biases, x, y, h=1e-6):
    grads = []
    for w in weights:
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            old = w[idx]
            w[idx] = old + h
            up = loss(weights, biases, x, y)
            w[idx] = old - h
            down = loss(weights, biases, x, y)
            w[idx] = old
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def staged_gradients(weights, biases, x, y):
    """The loss written out entry by entry, differentiated by symgrad's staged backward pass."""
    symbols = [[[sympy.Symbol(f"w{l}_{i}_{j}", real=True) for j in range(w.shape[1])] for i in range(w.shape[0])]
               for l, w in enumerate(weights)]
    point = {s.name: float(weights[l][i, j]) for l, rows in enumerate(symbols) for i, row in enumerate(rows)
             for j, s in enumerate(row)}
    a = [sympy.Float(v) for v in x]
    for l, b in enumerate(biases):
        a = [1 / (1 + sympy.exp(-(sum(symbols[l][i][j] * a[j] for j in range(len(a))) + float(b[i]))))
             for i in range(len(b))]
    expr = sum((a[k] - float(y[k])) ** 2 for k in range(len(a))) / 2
    s = solve(expr, point, granularity="coarse")
    return [np.array([[s.grad(symbols[l][i][j].name).approx for j in range(w.shape[1])] for i in range(w.shape[0])])
            for l, w in enumerate(weights)]


def instance(widths, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(widths[i]), (widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    biases = [rng.normal(0, 0.1, widths[i + 1]) for i in range(len(widths) - 1)]
    return weights, biases, rng.normal(0, 1, widths[0]), rng.uniform(0, 1, widths[-1])


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def check_against_symgrad():
    """The numpy formulas give what symgrad.nets.run gives, on a small instance."""
    widths = (3, 4, 2)
    weights, biases, x, y = instance(widths, seed=7)
    net = Network(widths, ("sigmoid", "sigmoid"), "squared")
    m = lambda a: sympy.Matrix(a.tolist()) if a.ndim == 2 else sympy.Matrix(a.tolist())  # noqa: E731
    trace = run(net, [m(w) for w in weights], [m(b) for b in biases], m(x), m(y))
    for ours, theirs in zip(matrix_gradients(weights, biases, x, y), trace.grad_w):
        assert np.allclose(ours, np.array(theirs.tolist(), dtype=float), atol=1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--widths", default="4,8,16,32,64,128,256")
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    check_against_symgrad()
    print(f"{'width':>6} {'weights':>8} {'matrix s':>10} {'staged s':>10} {'fin.diff s':>10} "
          f"{'staged/matrix':>14} {'fd/matrix':>10} {'max |staged - matrix|':>22} {'max |fd - matrix|':>18}")
    staged_alive, fd_alive = True, True
    previous = {}
    for width in (int(w) for w in args.widths.split(",")):
        widths = (width,) * args.layers + (max(2, width // 4),)
        weights, biases, x, y = instance(widths)
        count = sum(w.size for w in weights)
        reps = 200 if count < 10_000 else 20
        t_matrix = min(timed(matrix_gradients, weights, biases, x, y)[0] for _ in range(reps))
        grads = matrix_gradients(weights, biases, x, y)
        cells = {"staged": "skipped", "fd": "skipped", "rs": "", "rf": "", "es": "", "ef": ""}
        if staged_alive:
            t, staged = timed(staged_gradients, weights, biases, x, y)
            cells["staged"], cells["rs"] = f"{t:10.3f}", f"{t / t_matrix:14.0f}"
            cells["es"] = f"{max(float(np.max(np.abs(a - b))) for a, b in zip(staged, grads)):22.1e}"
            staged_alive = t * 4.5 < args.budget  # the next width has about four times the weights
            previous["staged"] = t
        if fd_alive:
            t, fd = timed(finite_difference_gradients, weights, biases, x, y)
            cells["fd"], cells["rf"] = f"{t:10.3f}", f"{t / t_matrix:10.0f}"
            cells["ef"] = f"{max(float(np.max(np.abs(a - b))) for a, b in zip(fd, grads)):18.1e}"
            fd_alive = t * 9 < args.budget  # weights times forward-pass cost: about eight times more
        print(f"{width:6d} {count:8d} {t_matrix:10.6f} {cells['staged']:>10} {cells['fd']:>10} "
              f"{cells['rs']:>14} {cells['rf']:>10} {cells['es']:>22} {cells['ef']:>18}")


if __name__ == "__main__":
    main()
