"""Hypothesis strategies shared by the property tests: random expressions over x, y, z."""

from __future__ import annotations

import sympy
from hypothesis import strategies as st
from sympy import Integer, Max, cos, exp, log, sin, sqrt, tanh

from symgrad.functions import sigmoid

X, Y, Z = sympy.symbols("x y z", real=True)

leaves = st.sampled_from([X, Y, Z]) | st.integers(-3, 3).map(Integer)


def _extend(children):
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda t: t[0] + t[1]),
        pairs.map(lambda t: t[0] - t[1]),
        pairs.map(lambda t: t[0] * t[1]),
        st.tuples(children, st.integers(2, 3)).map(lambda t: t[0] ** t[1]),
        children.map(sin),
        children.map(cos),
        children.map(tanh),
        children.map(sigmoid),
        children.map(lambda c: exp(sin(c))),
        children.map(lambda c: log(c**2 + 1)),
        children.map(lambda c: 1 / (c**2 + 1)),
        children.map(lambda c: sqrt(c**2 + 1)),
        pairs.map(lambda t: Max(t[0], t[1])),
    )


expressions = st.recursive(leaves, _extend, max_leaves=8).filter(lambda e: bool(e.free_symbols))
