"""Benchmark: staged forward + backward passes vs plain sympy.diff of the flattened expression.

The workload is a scalar two-layer tanh network unrolled into one expression,
    y = sum_j v_j * tanh(sum_i w_ji * x_i),  4 inputs x_i, H hidden units, 5H weights,
differentiated with respect to every input and weight at one point. The baseline is what a
person would write without symgrad: sympy.diff of the expression for each variable, then
substitution of the point and evaluation. Both run here, in the same process, at each size.

    python bench/bench_engine.py [--sizes 10,25,50,100,200,400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time

import sympy

from symgrad import solve

N_IN = 4


def network(weights: int) -> tuple[sympy.Expr, dict[str, sympy.Rational]]:
    hidden = max(1, weights // (N_IN + 1))
    xs = sympy.symbols(f"x1:{N_IN + 1}", real=True)
    expr = sympy.Add(*[
        sympy.Symbol(f"v{j}", real=True)
        * sympy.tanh(sympy.Add(*[sympy.Symbol(f"w{j}_{i}", real=True) * xs[i] for i in range(N_IN)]))
        for j in range(hidden)
    ])
    # a deterministic point of small rationals: exact inputs, as on a worksheet
    point = {s.name: sympy.Rational((7 * k) % 11 - 5, 10) for k, s in enumerate(sorted(expr.free_symbols, key=str))}
    return expr, point


def staged(expr, point, exact: bool) -> dict[str, float]:
    at = point if exact else {k: float(v) for k, v in point.items()}
    s = solve(expr, at, granularity="fine")
    return {n: s.grad(n).approx for n in s.graph.inputs}


def baseline(expr, point) -> dict[str, float]:
    subs = {sympy.Symbol(k, real=True): v for k, v in point.items()}
    out = {}
    for name in point:
        derivative = sympy.diff(expr, sympy.Symbol(name, real=True))
        out[name] = float(derivative.subs(subs).evalf())
    return out


def best_of(repeat: int, fn, *args):
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,25,50,100,200,400")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'weights':>7} {'stages':>6} {'staged exact s':>14} {'staged float s':>14} {'sympy.diff s':>12} "
          f"{'ratio (diff/exact)':>18} {'growth exact':>12} {'growth diff':>11}")
    previous = None
    for n in sizes:
        expr, point = network(n)
        stages = len(solve(expr).graph.stages)
        t_exact, g_exact = best_of(args.repeat, staged, expr, point, True)
        t_float, g_float = best_of(args.repeat, staged, expr, point, False)
        t_base, g_base = best_of(1 if n > 100 else args.repeat, baseline, expr, point)
        assert set(g_exact) == set(g_float) == set(g_base) == set(point)
        worst = max(abs(g[k] - g_base[k]) / max(1.0, abs(g_base[k])) for g in (g_exact, g_float) for k in point)
        assert worst < 1e-9, f"staged and baseline gradients disagree by {worst}"
        growth = ""
        if previous:
            pn, pe, pb = previous
            growth = (f"{math.log(t_exact / pe) / math.log(n / pn):12.2f} "
                      f"{math.log(t_base / pb) / math.log(n / pn):11.2f}")
        print(f"{n:7d} {stages:6d} {t_exact:14.4f} {t_float:14.4f} {t_base:12.4f} {t_base / t_exact:18.1f} {growth}")
        previous = (n, t_exact, t_base)
    print("growth = d log(time) / d log(weights) between rows: 1.0 is linear, 2.0 quadratic")


if __name__ == "__main__":
    main()
