"""Conventions at kinks and fan-out accumulation in the passes."""

from __future__ import annotations

from symgrad import solve


def test_max_tie_goes_to_the_first_argument():
    s = solve("max(x, y)", {"x": 1, "y": 1})
    assert (s.grad("x").exact, s.grad("y").exact) == (1, 0)
    s = solve("max(x, y)", {"x": 1, "y": 3})
    assert (s.grad("x").exact, s.grad("y").exact) == (0, 1)
    s = solve("min(x, y)", {"x": 2, "y": 2})
    assert (s.grad("x").exact, s.grad("y").exact) == (1, 0)


def test_relu_derivative_is_zero_at_zero():
    assert solve("relu(x)", {"x": 0}).grad("x").exact == 0
    assert solve("relu(x)", {"x": 2}).grad("x").exact == 1
    assert solve("max(0, x)", {"x": 0}).grad("x").exact == 0  # max(0, x) is staged as relu


def test_fan_out_accumulates():
    # x feeds three stages: d/dx (x*y + sin(x) + x) = y + cos(x) + 1
    s = solve("x*y + sin(x) + x", {"x": 0, "y": 5})
    assert s.grad("x").exact == 7
    edges = [e for e in s.locals if e.arg == "x"]
    assert len(edges) == 3
