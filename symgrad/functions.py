"""SymPy functions of our own: sigmoid and relu, with derivative, rewrite, numeric value and LaTeX."""

from __future__ import annotations

import sympy
from sympy import Function, Heaviside, Max, S, exp


class sigmoid(Function):  # noqa: N801 - SymPy functions are lower-case by convention
    r"""The logistic sigmoid s(x) = 1 / (1 + e^{-x}); derivative s(x)(1 - s(x)); LaTeX ``\sigma``."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return S.Half
        if arg is S.Infinity:
            return S.One
        if arg is S.NegativeInfinity:
            return S.Zero
        if arg.is_Float:
            return 1 / (1 + exp(-arg))
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + exp(-arg))

    def _eval_rewrite_as_tanh(self, arg, **kwargs):
        return (1 + sympy.tanh(arg / 2)) / 2

    def _eval_evalf(self, prec):
        return (1 / (1 + exp(-self.args[0])))._eval_evalf(prec)

    def _eval_is_positive(self):
        return self.args[0].is_extended_real

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        name = latex_function_name(printer, "sigmoid", r"\sigma")
        return rf"{name}^{{{exp}}}\left({inner}\right)" if exp else rf"{name}\left({inner}\right)"


def latex_function_name(printer, ours: str, default: str) -> str:
    """The LaTeX name of our function ``ours``: the question's own (printer setting ``names``) or ``default``."""
    chosen = getattr(printer, "_settings", {}).get("names", {}).get(ours)
    if chosen is None:
        return default
    return chosen if len(chosen) == 1 else rf"\operatorname{{{chosen}}}"


class relu(Function):  # noqa: N801
    r"""The rectifier relu(x) = max(0, x); derivative H(x) with H(0) = 0, the convention of PyTorch."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_extended_real:
            return Max(S.Zero, arg)
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return Max(S.Zero, arg)

    def _eval_evalf(self, prec):
        return Max(S.Zero, self.args[0])._eval_evalf(prec)

    def _eval_is_nonnegative(self):
        return self.args[0].is_extended_real

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        name = latex_function_name(printer, "relu", r"\operatorname{relu}")
        return rf"{name}^{{{exp}}}\left({inner}\right)" if exp else rf"{name}\left({inner}\right)"


OUR_FUNCTIONS = {"sigmoid": sigmoid, "relu": relu}
"""Names SymPy would not know, for reading back our own SymPy-syntax output."""
