"""SymPy functions of our own: sigmoid, relu and the activations after them (softplus, elu, leaky_relu,
gelu, silu), each with its derivative, rewrite, numeric value and LaTeX."""

from __future__ import annotations

import sympy
from sympy import Expr, Function, Heaviside, Max, S, exp


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


class _Defined(Function):
    """A function of ours given by a closed form (``definition``): its value, its rewrite and its LaTeX
    derive from that form; ``fdiff`` writes the derivative the way a course does (softplus' = sigma)."""

    is_real = True
    tex = ""

    @classmethod
    def definition(cls, *args: Expr) -> Expr:
        raise NotImplementedError

    def _eval_evalf(self, prec):
        return self.definition(*self.args)._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.definition(*args)

    def _latex(self, printer, exp=None):
        inner = ", ".join(printer._print(a) for a in self.args)
        name = latex_function_name(printer, type(self).__name__, self.tex)
        return rf"{name}^{{{exp}}}\left({inner}\right)" if exp else rf"{name}\left({inner}\right)"


class softplus(_Defined):  # noqa: N801
    r"""softplus(x) = log(1 + e^x), a smooth relu; its derivative is the sigmoid."""

    nargs = 1
    tex = r"\operatorname{softplus}"

    @classmethod
    def definition(cls, x):
        return sympy.log(1 + exp(x))

    @classmethod
    def eval(cls, arg):
        return sympy.log(2) if arg.is_zero else None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class _TwoPiece(_Defined):
    """x for x > 0 and ``negative(x, a)`` for x <= 0, with a slope parameter a (``default`` unless given):
    the value and both partial derivatives come from the one negative piece."""

    nargs = (1, 2)
    default: Expr = S.One

    @classmethod
    def negative(cls, x: Expr, a: Expr) -> Expr:
        raise NotImplementedError

    @classmethod
    def definition(cls, x, a=None):
        return sympy.Piecewise((cls.negative(x, cls.default if a is None else a), x <= 0), (x, True))

    def fdiff(self, argindex=1):
        x, a = (*self.args, self.default)[:2]
        t, b = sympy.Dummy("t"), sympy.Dummy("b")
        piece = sympy.diff(self.negative(t, b), t if argindex == 1 else b).subs({t: x, b: a})
        return sympy.Piecewise((piece, x <= 0), (S.One if argindex == 1 else S.Zero, True))


class elu(_TwoPiece):  # noqa: N801
    r"""elu(x, a) = x for x > 0, a(e^x - 1) for x <= 0; a = 1 unless given."""

    tex = r"\operatorname{elu}"

    @classmethod
    def negative(cls, x, a):
        return a * (exp(x) - 1)


LEAKY_SLOPE = sympy.Rational(1, 100)  # PyTorch's default negative slope


class leaky_relu(_TwoPiece):  # noqa: N801
    r"""leaky_relu(x, a) = x for x > 0, a x for x <= 0; a = 0.01 unless given (derivative a at 0, as PyTorch)."""

    tex = r"\operatorname{leaky\_relu}"
    default = LEAKY_SLOPE

    @classmethod
    def negative(cls, x, a):
        return a * x


class gelu(_Defined):  # noqa: N801
    r"""The exact GELU, x Phi(x) = x/2 (1 + erf(x/sqrt 2)); derivative Phi(x) + x phi(x)."""

    nargs = 1
    tex = r"\operatorname{GELU}"

    @classmethod
    def definition(cls, x):
        return x / 2 * (1 + sympy.erf(x / sympy.sqrt(2)))

    @classmethod
    def eval(cls, arg):
        return S.Zero if arg.is_zero else None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return (1 + sympy.erf(x / sympy.sqrt(2))) / 2 + x * exp(-x**2 / 2) / sympy.sqrt(2 * sympy.pi)


class silu(_Defined):  # noqa: N801
    r"""silu(x) = x sigma(x), also called swish; derivative sigma(x)(1 + x(1 - sigma(x)))."""

    nargs = 1
    tex = r"\operatorname{SiLU}"

    @classmethod
    def definition(cls, x):
        return x * sigmoid(x)

    @classmethod
    def eval(cls, arg):
        return S.Zero if arg.is_zero else None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sigmoid(x) * (1 + x * (1 - sigmoid(x)))


OUR_FUNCTIONS = {f.__name__: f for f in (sigmoid, relu, softplus, elu, leaky_relu, gelu, silu)}
"""Names SymPy would not know, for reading back our own SymPy-syntax output."""


class DerivativeAt(Expr):
    """d/dt g(t) at t = a, the derivative of ``g`` at the point ``a``: a derivation's claim (df/dx of a
    whole program) as its checks compare it. evaluate.py values it by central differences, an
    independent computation that needs no symbolic derivative; ``doit`` gives it exactly. ``of``
    makes d expr/d x at x itself (t = a = x: no copy of expr); such a derivative is made exact by
    ``doit`` before x is given a number (a number in t's place would be no derivative: refused)."""

    is_commutative = True

    def __new__(cls, g: Expr, t: sympy.Symbol, a: Expr):
        if not isinstance(t, sympy.Symbol):
            raise TypeError(f"a derivative at a point needs a variable, not {t}: take its doit() first")
        return Expr.__new__(cls, g, t, a)

    @classmethod
    def of(cls, expr: Expr, var: sympy.Symbol) -> DerivativeAt:
        """d expr / d var, at var itself (each point of a check puts its own value for var)."""
        return cls(expr, var, var)

    @property
    def free_symbols(self) -> set:
        g, t, a = self.args
        return (g.free_symbols - {t}) | a.free_symbols

    def doit(self, **hints) -> Expr:
        g, t, a = self.args
        derivative = sympy.diff(g, t)
        return derivative if a == t else derivative.xreplace({t: a})

    def _eval_evalf(self, prec):
        return self.doit()._eval_evalf(prec)
