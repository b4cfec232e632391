"""Shared helpers for the tests."""

from __future__ import annotations

import math

import pytest
import sympy


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@pytest.fixture
def sym():
    """Real symbols by name, as the parser makes them."""
    return lambda names: sympy.symbols(names, real=True)
