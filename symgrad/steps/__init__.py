"""Step-by-step solutions: derivative rules, chain rule over programs, gradients, identities, backprop."""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from ..errors import SymgradError
from ..parsing import as_written, is_program, parse_program
from ..printing import text
from .backprop import backprop_steps
from .chain import chain_steps, gradient_steps
from .core import Derivation, DerivationError, Step
from .identities import IDENTITIES
from .rules import derive, diff_steps


def differentiate(
    source: str | sympy.Expr, wrt: str | None = None, at: Mapping[str, sympy.Expr] | None = None
) -> Derivation:
    """The derivation a person would write for ``source``.

    A staged program gives the chain rule through its names; an expression in one variable (or
    with ``wrt``) gives the derivative-rule steps; an expression in several variables without
    ``wrt`` gives every partial derivative and the gradient, interpreted at ``at`` if given.
    """
    if isinstance(source, str) and is_program(source):
        program = parse_program(source)
        if wrt is None:
            if len(program.inputs) != 1:
                raise SymgradError(f"say which input to differentiate with respect to: --wrt one of "
                                   f"{', '.join(program.inputs)}")
            wrt = program.inputs[0]
        return chain_steps(program, wrt, at)
    expr = as_written(source) if isinstance(source, str) else source  # the steps follow the order typed
    variables = {s.name: s for s in expr.free_symbols}
    if wrt is None and len(variables) > 1:
        return gradient_steps(expr, at)
    if wrt is None:
        if not variables:
            raise SymgradError(f"{text(expr)} has no variable to differentiate with respect to")
        (wrt,) = variables
    if wrt not in variables:
        symbol = sympy.Symbol(wrt, real=True)
    else:
        symbol = variables[wrt]
    derivation = diff_steps(expr, symbol)
    return derivation.at(dict(at)) if at else derivation


__all__ = [
    "IDENTITIES", "Derivation", "DerivationError", "Step", "backprop_steps", "chain_steps", "derive",
    "diff_steps", "differentiate", "gradient_steps",
]
