"""Benchmark: gradients of an L-layer sigmoid network from the matrix formulas, from the element-wise
scalar staging of the core engine (now, and as it was before issue 15 in the same run), and from
central finite differences.

The matrix formulas (d^L = grad_a l ⊙ s'(z^L), d^l = (W^{l+1})^T d^{l+1} ⊙ s'(z^l), dl/dW^l = d^l (a^{l-1})^T)
run in numpy at every width; they are first checked against symgrad.nets.run on a small instance.
The scalar staging writes the loss out entry by entry as a SymPy expression (timed on its own as
"build": that is SymPy's work, not symgrad's), then stages it coarsely and runs symgrad's forward and
backward passes ("staged": solve(expr, point, granularity="coarse")). The baseline is the same
staging and passes from commit BASELINE (symgrad/graph.py, passes.py and naming.py as they were
before issue 15 item 3, loaded from git), run on the same network in the same process; it stops at
the width where it would take longer than --budget seconds, and so do finite differences. Each path
starts from a cleared SymPy cache and its own build of the expression, so neither profits from the
other's work.

Times are CPU seconds of this process, so other work on a shared machine counts less than in wall
time. The exponent is the least-squares slope of log(time) against log(weights): 1.0 is linear.

The weights are plain SymPy symbols. With real=True (--real) SymPy's own sign inference, while the
expression is built, walks the whole tree of a deep network and the build alone grows faster than
linear (about 8 s at 2,304 weights); symgrad's staging is the same for both.

    python bench/bench_nets.py [--layers 3] [--widths 8,16,24,32,48,72] [--budget 60] [--real]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sympy
from sympy.core.cache import clear_cache

from symgrad import solve
from symgrad.nets import Network, run
from symgrad.passes import to_number

BASELINE = "45a5a7e"  # the last commit before issue 15 item 3 (linear staging)
ROOT = Path(__file__).resolve().parent.parent


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


def network_expression(weights, biases, x, y, real=False):
    """The squared loss written out entry by entry, and the point: one symbol per weight."""
    symbols = [[[sympy.Symbol(f"w{l}_{i}_{j}", real=real) for j in range(w.shape[1])] for i in range(w.shape[0])]
               for l, w in enumerate(weights)]
    point = {s.name: float(weights[l][i, j]) for l, rows in enumerate(symbols) for i, row in enumerate(rows)
             for j, s in enumerate(row)}
    a = [sympy.Float(v) for v in x]
    for l, b in enumerate(biases):  # sympy.Add(*terms): Python's sum() would re-flatten every partial sum
        a = [1 / (1 + sympy.exp(-(sympy.Add(*(symbols[l][i][j] * a[j] for j in range(len(a)))) + float(b[i]))))
             for i in range(len(b))]
    expr = sympy.Add(*((a[k] - float(y[k])) ** 2 for k in range(len(a)))) / 2
    return expr, point, symbols


def staged_gradients(expr, point, symbols, shapes):
    """symgrad's staging (coarse: sigmoid and dot products whole) and both passes."""
    s = solve(expr, point, granularity="coarse")
    grads = [np.array([[s.grad(symbols[l][i][j].name).approx for j in range(shape[1])] for i in range(shape[0])])
             for l, shape in enumerate(shapes)]
    return grads, len(s.graph.stages)


def load_baseline():
    """symgrad's graph.py, passes.py and naming.py at BASELINE, as modules inside the symgrad package
    (their relative imports find the rest of symgrad); None when git cannot show them."""
    modules = {}
    for name in ("naming", "graph", "passes"):
        try:
            source = subprocess.run(["git", "show", f"{BASELINE}:symgrad/{name}.py"], cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        for dep in ("naming", "graph"):
            source = source.replace(f"from .{dep} import", f"from ._baseline_{dep} import")
        spec = importlib.util.spec_from_loader(f"symgrad._baseline_{name}", loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        exec(compile(source, f"{BASELINE}:symgrad/{name}.py", "exec"), module.__dict__)  # noqa: S102
        modules[name] = module
    return modules


def baseline_gradients(modules, expr, point, symbols, shapes):
    """The same computation through the BASELINE staging and passes."""
    graph = modules["graph"].stage_expression(expr, granularity="coarse")
    passes = modules["passes"].run(graph, {k: to_number(v, k) for k, v in point.items()})
    return [np.array([[passes.grads[symbols[l][i][j].name].approx for j in range(shape[1])]
                      for i in range(shape[0])]) for l, shape in enumerate(shapes)]


def exponent(counts, times):
    """Least-squares slope of log(time) against log(weights); None with fewer than two sizes."""
    if len(counts) < 2:
        return None
    return float(np.polyfit(np.log(counts), np.log(times), 1)[0])


def instance(widths, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(widths[i]), (widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    biases = [rng.normal(0, 0.1, widths[i + 1]) for i in range(len(widths) - 1)]
    return weights, biases, rng.normal(0, 1, widths[0]), rng.uniform(0, 1, widths[-1])


def timed(fn, *args):
    """CPU seconds of this process (steadier than the wall clock on a machine others are using too)."""
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


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
    parser.add_argument("--widths", default="8,16,24,32,48,72")
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--real", action="store_true", help="real=True weight symbols (slow SymPy build)")
    args = parser.parse_args()
    check_against_symgrad()
    baseline = load_baseline()
    if baseline is None:
        print(f"(no baseline: git cannot show {BASELINE}; only the current staging runs)")
    print(f"{'width':>5} {'weights':>7} {'stages':>6} {'matrix s':>9} {'build s':>8} {'baseline s':>10} "
          f"{'staged s':>9} {'base/staged':>11} {'staged/matrix':>13} {'fin.diff s':>10} "
          f"{'|staged-matrix|':>15} {'|base-staged|':>13} {'|fd-matrix|':>11}")
    base_alive, fd_alive = baseline is not None, True
    rows = []
    for width in (int(w) for w in args.widths.split(",")):
        widths = (width,) * args.layers + (max(2, width // 4),)
        weights, biases, x, y = instance(widths)
        shapes = [w.shape for w in weights]
        count = sum(w.size for w in weights)
        reps = 200 if count < 10_000 else 20
        t_matrix = min(timed(matrix_gradients, weights, biases, x, y)[0] for _ in range(reps))
        grads = matrix_gradients(weights, biases, x, y)
        clear_cache()
        t_build, (expr, point, symbols) = timed(network_expression, weights, biases, x, y, args.real)
        t_staged, (staged, stages) = timed(staged_gradients, expr, point, symbols, shapes)
        err = max(float(np.max(np.abs(a - b))) for a, b in zip(staged, grads))
        cells = {"base": "skipped", "ratio": "", "eb": "", "fd": "skipped", "ef": ""}
        t_base = None
        if base_alive:
            clear_cache()  # the baseline starts as the staging did: SymPy's cache holds its own build
            expr, point, symbols = network_expression(weights, biases, x, y, args.real)
            t_base, base = timed(baseline_gradients, baseline, expr, point, symbols, shapes)
            cells["base"], cells["ratio"] = f"{t_base:.3f}", f"{t_base / t_staged:.1f}"
            cells["eb"] = f"{max(float(np.max(np.abs(a - b))) for a, b in zip(base, staged)):.1e}"
            base_alive = t_base * 4 < args.budget  # the next width has two to four times the weights
        if fd_alive:
            t, fd = timed(finite_difference_gradients, weights, biases, x, y)
            cells["fd"] = f"{t:.3f}"
            cells["ef"] = f"{max(float(np.max(np.abs(a - b))) for a, b in zip(fd, grads)):.1e}"
            fd_alive = t * 9 < args.budget
        rows.append((count, t_build, t_staged, t_base))
        print(f"{width:5d} {count:7d} {stages:6d} {t_matrix:9.6f} {t_build:8.3f} {cells['base']:>10} "
              f"{t_staged:9.3f} {cells['ratio']:>11} {t_staged / t_matrix:13.0f} {cells['fd']:>10} "
              f"{err:15.1e} {cells['eb']:>13} {cells['ef']:>11}", flush=True)
    print()
    print("growth exponent (least-squares slope of log time on log weights; 1.0 is linear):")
    counts = [r[0] for r in rows]
    both = [r for r in rows if r[3] is not None]
    for label, fitted in (
        (f"staged, {counts[0]:,} to {counts[-1]:,} weights", exponent(counts, [r[2] for r in rows])),
        ("staged, where the baseline ran too", exponent([r[0] for r in both], [r[2] for r in both])),
        ("baseline, where it ran", exponent([r[0] for r in both], [r[3] for r in both])),
        ("build (SymPy), all widths", exponent(counts, [r[1] for r in rows])),
    ):
        print(f"  {label:<40} {'-' if fitted is None else f'{fitted:.2f}'}")


if __name__ == "__main__":
    main()
