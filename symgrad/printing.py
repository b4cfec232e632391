"""Printers: SymPy syntax (JSON), readable text, Python (runnable listings) and LaTeX, extended for
our functions, indicator subgradients, node names and pending derivatives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import sympy
from sympy import S
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter

_INDEXED = re.compile(r"^([A-Za-z])_(\d+)$")
_LETTER_DIGITS = re.compile(r"^([A-Za-z])(\d+)$")


class PythonPrinter(PythonCodePrinter):
    """Standard-library Python: ``math.exp``, and our sigmoid/relu spelled out as the seeds do."""

    def __init__(self):
        super().__init__({"standard": "python3", "fully_qualified_modules": True})

    def _print_Function(self, expr):
        """Our functions (sigmoid, softplus, elu, ...) by their row's Python spelling in gates.FUNCTIONS."""
        from .gates import BY_CLASS

        row = BY_CLASS.get(type(expr))
        if row is None or not row.python:
            return super()._print_Function(expr)
        args = [self._print(a) for a in expr.args] + list(row.defaults[len(expr.args) - 1:])
        return row.python.format(*args)


def python(expr: sympy.Expr) -> str:
    """An expression as standard-library Python source."""
    return PythonPrinter().doprint(expr)


def sympy_syntax(expr: sympy.Basic) -> str:
    """An expression in SymPy syntax (what str() gives), the format of every JSON string we print."""
    return sympy.sstr(expr, order=None)


class GrammarPrinter(StrPrinter):
    """Text that symgrad's own grammar reads back (abs, max, heaviside, ^): for key files."""

    def _print_Abs(self, e):
        return f"abs({self._print(e.args[0])})"

    def _print_Max(self, e):
        return "max(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Min(self, e):
        return "min(" + ", ".join(self._print(a) for a in e.args) + ")"

    def _print_Heaviside(self, e):  # the value at the jump is not part of a key's comparison
        return f"heaviside({self._print(e.args[0])})"

    def _print_Pow(self, e, rational=False):
        return super()._print_Pow(e, rational).replace("**", "^")


def grammar_syntax(expr: sympy.Basic) -> str:
    """An expression as text our grammar reads back."""
    return GrammarPrinter().doprint(expr).replace("**", "^")


def indicator(expr: sympy.Heaviside) -> tuple[sympy.Expr, str, sympy.Expr] | None:
    """Heaviside(a - b, 1) as (a, '>=', b) and Heaviside(u, 0) as (u, '>', 0): the 1(...) of the seeds.

    None for Heaviside(u) with H(0) = 1/2, which no indicator spells exactly.
    """
    u = expr.args[0]
    h0 = expr.args[1] if len(expr.args) > 1 else S.Half
    op = {S.One: ">=", S.Zero: ">"}.get(h0)
    if op is None:
        return None
    if u.is_Add and len(u.args) == 2:
        positive = [t for t in u.args if not t.could_extract_minus_sign()]
        negative = [-t for t in u.args if t.could_extract_minus_sign()]
        if len(positive) == 1 and len(negative) == 1:
            return positive[0], op, negative[0]
    return u, op, S.Zero


class _ChainFactors:
    """Printing a product built in chain order: derivatives bare, anything looser in parentheses."""

    def _factor(self, arg):
        if isinstance(arg, sympy.Derivative):
            return self._print(arg)
        return self.parenthesize(arg, PRECEDENCE["Mul"])


def _is_word(symbol: sympy.Symbol) -> bool:
    """A name printed as a multi-letter word (\\mathit{xpy}), not a letter with an index."""
    return latex_name(symbol.name).startswith(r"\mathit")


def _is_chain(expr: sympy.Mul) -> bool:
    """A product with a pending derivative (df/dh · z, df/df1 · df1/dx): printed in the order built."""
    return len(expr.args) > 1 and any(isinstance(a, sympy.Derivative) for a in expr.args)


class TextPrinter(_ChainFactors, StrPrinter):
    """Readable one-line text: d/dx[...] for a pending derivative, 1(x >= y) for an indicator."""

    _default_settings = {**StrPrinter._default_settings, "partial": False}

    def _print_Derivative(self, expr):
        d = "∂" if self._settings["partial"] else "d"
        variables = "".join(f"{d}{self._print(v)}" for v in expr.variables)
        if expr.expr.is_Symbol:
            return f"{d}{self._print(expr.expr)}/{variables}"
        return f"{d}/{variables}[{self._print(expr.expr)}]"

    def _print_Mul(self, expr):
        if _is_chain(expr):  # df/df1 * df1/df2 * df2/dx in the order the chain runs
            return "*".join(self._factor(a) for a in expr.args)
        return super()._print_Mul(expr)

    def _print_ImmutableDenseMatrix(self, expr):
        return "[" + ", ".join(self._print(e) for e in expr) + "]"

    def _print_Heaviside(self, expr):
        parts = indicator(expr)
        if parts is None:
            return super()._print_Function(expr)
        a, op, b = parts
        return f"1({self._print(a)} {op} {self._print(b)})"


def text(expr: sympy.Basic, partial: bool = False) -> str:
    """An expression as readable text for people (JSON uses sympy_syntax instead)."""
    try:
        return _text(expr, partial)
    except TypeError:  # unhashable (a mutable matrix)
        return _text.__wrapped__(expr, partial)


@lru_cache(maxsize=8192)
def _text(expr: sympy.Basic, partial: bool) -> str:
    """text(), remembered: a class's documents print the same expressions and values again and again."""
    return TextPrinter({"partial": partial}).doprint(expr).replace("**", "^")


def _greek(char: str) -> str:
    import unicodedata

    words = unicodedata.name(char, "").split()
    if len(words) == 4 and words[:2] == ["GREEK", "CAPITAL"]:
        return "\\" + words[3].capitalize() + " "
    if len(words) == 4 and words[:2] == ["GREEK", "SMALL"]:
        return "\\" + words[3].lower() + " "
    return char if char.isascii() else "?"


@lru_cache(maxsize=4096)
def latex_name(name: str) -> str:
    """x_1 -> x^{(1)} (an index, not a power, as seed 001 writes it); w0 -> w_{0}; xpy -> \\mathit{xpy}."""
    if any(c in name for c in "\\^{"):  # already LaTeX (a matrix symbol such as W^{(1)})
        return name
    if m := _INDEXED.match(name):
        return f"{m.group(1)}^{{({m.group(2)})}}"
    if m := _LETTER_DIGITS.match(name):
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if not name.isascii():  # Greek letters as their commands: Φ -> \\Phi (pdflatex has no Unicode math)
        return "".join(_greek(c) for c in name)
    if len(name) == 1:
        return sympy.latex(sympy.Symbol(name))
    greek = sympy.latex(sympy.Symbol(name))
    if greek.startswith("\\"):
        return greek
    escaped = name.replace("_", "\\_")
    return rf"\mathit{{{escaped}}}"


class TexPrinter(_ChainFactors, LatexPrinter):
    """LaTeX with our node names, indicators 1(x >= y) and derivatives written df/dx.

    The setting ``names`` renames symbols and our functions to a question's own notation, for
    example {"sigmoid": "s", "W^{(1)}": "V"}: a solution uses the symbols its question introduced.
    """

    _default_settings = {**LatexPrinter._default_settings, "partial": False, "names": {}}

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(self._settings["names"].get(expr.name, expr.name))

    def _print_Derivative(self, expr):
        d = r"\partial " if self._settings["partial"] else "d"
        below = " ".join(f"{d}{self._print(v)}" for v in expr.variables)
        if expr.expr.is_Symbol:
            return rf"\frac{{{d}{self._print(expr.expr)}}}{{{below}}}"
        return rf"\frac{{{d}}}{{{below}}}\left({self._print(expr.expr)}\right)"

    def _print_Mul(self, expr):
        if _is_chain(expr):
            return r" \cdot ".join(self._factor(a) for a in expr.args)
        if any(_is_word(s) for s in expr.free_symbols):  # invden num would read as one word: invden · num
            saved = self._settings["mul_symbol_latex"]
            self._settings["mul_symbol_latex"] = r" \cdot "
            try:
                return super()._print_Mul(expr)
            finally:
                self._settings["mul_symbol_latex"] = saved
        return super()._print_Mul(expr)

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_Heaviside(self, expr, exp=None):
        parts = indicator(expr)
        if parts is None:
            return super()._print_Heaviside(expr, exp)
        a, op, b = parts
        tex_op = {">=": r"\geq", ">": ">"}[op]
        # \mathbf{1}: pdflatex's default fonts have no blackboard-bold digit (\mathbb{1} prints a wrong glyph)
        body = rf"\mathbf{{1}}\left({self._print(a)} {tex_op} {self._print(b)}\right)"
        return rf"{body}^{{{exp}}}" if exp else body


def latex(expr: sympy.Basic, partial: bool = False, names: Mapping[str, str] | None = None) -> str:
    """An expression as LaTeX (needs amsmath); ``names`` renames symbols and functions (see TexPrinter)."""
    renamed = tuple(sorted((names or {}).items()))
    try:
        return _latex(expr, partial, renamed)
    except TypeError:  # unhashable (a mutable matrix)
        return _latex.__wrapped__(expr, partial, renamed)


@lru_cache(maxsize=8192)
def _latex(expr: sympy.Basic, partial: bool, names: tuple[tuple[str, str], ...]) -> str:
    """latex(), remembered (SymPy's equality tells 1 from 1.0, so a cached string is never another's)."""
    return TexPrinter({"partial": partial, "mat_str": "bmatrix", "mat_delim": "", "inv_trig_style": "full",
                       "names": dict(names)}).doprint(expr)


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "×": r"$\times$", "·": r"$\cdot$", "≈": r"$\approx$", "ε": r"$\varepsilon$", "∂": r"$\partial$",
    "−": "-", "σ": r"$\sigma$", "≥": r"$\geq$", "≤": r"$\leq$", "′": "'", "²": r"\textsuperscript{2}",
    # the OT1 text fonts print < > | as ¡ ¿ and an em dash
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def tex_text(s: str) -> str:
    """Plain text made safe inside LaTeX: special characters escaped, a few symbols as math (>= as ≥)."""
    s = s.replace(">=", "≥").replace("<=", "≤")
    return "".join(_TEX_ESCAPES.get(c) or (f"${_greek(c).strip()}$" if "GREEK" in _unicode_name(c) else c) for c in s)


def _unicode_name(char: str) -> str:
    import unicodedata

    return unicodedata.name(char, "")


# -- numbers: one policy for every value symgrad prints ----------------------------------------------

SHORT = 12  # characters: an exact value printed in text form at most this long is shown as it is
DIGITS = 4  # significant digits of a decimal when the problem asks for no rounding


def format_number(value, *, decimals: int | None = None, style: str = "text", digits: int = DIGITS,
                  names=None) -> str:
    """A value as symgrad prints it, everywhere: tables, pictures, steps, documents and messages.

    ``value`` is a passes.Value (exact SymPy number or None, and a float), a SymPy number, an int,
    a Fraction, a float or an mpmath number; None prints as "". The policy, in this order:

    1. exact when short: an exact value whose text form has at most 12 characters is printed as it
       is (-14, 1/2, sigmoid(1), exp(-1), sqrt(2)); 1/(1 + exp(-a)) counts as sigmoid(a);
    2. else rounded to ``decimals`` when the problem asks for it, zeros kept as the seeds write them
       (0.73, -0.20; never -0.00);
    3. else ``digits`` (4) significant digits, trailing zeros dropped (0.7311, 1.546, 0.0009118,
       12346), in scientific notation below 1e-4 and from 1e6 on (1.235e-5, 1.235 \\times 10^{-5}).

    style "text" prints readable text (sigmoid(1), 1/2, -0.20, e notation); style "latex" prints
    math-mode LaTeX through the same printer as every other formula (\\sigma\\left(1\\right),
    \\frac{1}{2}, -0.20, \\times 10^{...}), with ``names`` (a question's own symbols, s for the sigmoid)
    passed to the printer. A float or a SymPy Float has no exact form.
    """
    if style not in ("text", "latex"):
        raise ValueError(f"style must be 'text' or 'latex', not {style!r}")
    exact, approx = _exact_and_approx(value)
    if exact is None and approx is None:
        return ""
    short = _short_exact(exact)
    if short is not None:
        return latex(short, names=names) if style == "latex" else text(short)
    return _decimal_text(approx, decimals, digits, style)


def format_exact_and_number(value, *, decimals: int | None = None, style: str = "text", names=None) -> str:
    """A value with its decimal beside a short irrational exact form: sigmoid(1) ≈ 0.7311.

    The same policy as format_number: a short rational is printed alone (-14, 1/2), a value with no
    short exact form is printed as a decimal (rounded to ``decimals`` when asked, else 4
    significant digits). Beside a short irrational exact form the decimal has 4 significant digits
    whatever ``decimals`` says: the exact form is the answer, the decimal is there to read it, so
    sigma(1) prints alike in every table, picture and answer key.
    """
    exact, approx = _exact_and_approx(value)
    short = _short_exact(exact)
    if short is None or short.is_Rational:
        return format_number(value, decimals=decimals, style=style, names=names)
    sign = r"\approx" if style == "latex" else "≈"
    return f"{format_number(value, style=style, names=names)} {sign} {_decimal_text(approx, None, DIGITS, style)}"


def _exact_and_approx(value) -> tuple[sympy.Expr | None, object]:
    """(exact SymPy number or None, the number for decimals: float, mpmath number or SymPy Float)."""
    from fractions import Fraction

    import mpmath

    if value is None:
        return None, None
    if hasattr(value, "exact") and hasattr(value, "approx"):  # a passes.Value
        return value.exact, value.approx
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return sympy.Integer(value), float(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator), float(value)
    if isinstance(value, (float, mpmath.mpf)):
        return None, value
    if isinstance(value, sympy.Basic) and value.is_number:
        return _sympy_exact_and_approx(value)
    if not isinstance(value, (str, bytes, sympy.Basic)):  # an mpmath constant (e), a real mpc, a NumPy float
        try:
            number = mpmath.mpmathify(value)
            if isinstance(number, mpmath.mpc):
                number = number.real if number.imag == 0 else None
            else:
                number = mpmath.mpf(number)
        except (TypeError, ValueError):
            number = None
        if number is not None:
            return None, number
    raise TypeError(f"not a number: {value!r}")


@lru_cache(maxsize=8192)
def _sympy_exact_and_approx(value: sympy.Basic) -> tuple[sympy.Expr | None, sympy.Expr]:
    """A SymPy number's exact form (None for a Float) and its 30-digit value, remembered: a value is
    printed in a table, a picture, a step and an answer key."""
    return (None if value.has(sympy.Float) else value), value.evalf(30)


def _as_sigmoid(expr: sympy.Expr) -> sympy.Expr:
    """1/(1 + exp(u)) written sigmoid(-u), as the seeds write it: 1/(exp(-1) + 1) is sigmoid(1)."""
    from .functions import sigmoid

    def is_logistic(e) -> bool:
        if not (e.is_Pow and e.exp == -1 and e.base.is_Add and len(e.base.args) == 2 and S.One in e.base.args):
            return False
        other = e.base.args[0] if e.base.args[1] == S.One else e.base.args[1]
        return isinstance(other, sympy.exp) or other == sympy.E

    def rewrite(e):
        other = e.base.args[0] if e.base.args[1] == S.One else e.base.args[1]
        return sigmoid(-(S.One if other == sympy.E else other.args[0]))

    return expr.replace(is_logistic, rewrite)


def _short_exact(exact) -> sympy.Expr | None:
    """The exact value in its shortest form, if that is short enough to print (rule 1)."""
    return _short_exact_of(exact) if isinstance(exact, sympy.Basic) else None


@lru_cache(maxsize=8192)
def _short_exact_of(exact: sympy.Basic) -> sympy.Expr | None:
    if exact is None or not isinstance(exact, sympy.Basic) or exact.has(sympy.Float) or not exact.is_number:
        return None
    if not exact.is_Rational:
        if any(i > 4 * SHORT for i, _ in enumerate(sympy.preorder_traversal(exact))):
            return None  # far too large to print short, whatever it simplifies to
        exact = _as_sigmoid(exact)
    return exact if len(text(exact)) <= SHORT else None


def _to_decimal(x):
    """A float, mpmath or SymPy number as a Decimal, to the precision it carries."""
    from decimal import Decimal

    import mpmath

    if isinstance(x, float):
        return Decimal(repr(float(x)))  # float(): a NumPy float's repr names its type
    if isinstance(x, mpmath.mpf):
        return Decimal(mpmath.nstr(x, 60, strip_zeros=False))  # every digit the number carries
    return Decimal(str(sympy.Float(x, 30)))


def _decimal_text(x, decimals: int | None, digits: int, style: str) -> str:
    """Rules 2 and 3: ``decimals`` places when asked, else ``digits`` significant digits."""
    from decimal import localcontext

    number = float(x)
    if number != number:
        return r"\mathrm{NaN}" if style == "latex" else "nan"
    if number in (float("inf"), float("-inf")):
        return ("-" if number < 0 else "") + (r"\infty" if style == "latex" else "inf")
    with localcontext() as context:
        context.prec = 200
        return _rounded(_to_decimal(x), decimals, digits, style)


def _rounded(d, decimals: int | None, digits: int, style: str) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    if decimals is not None:
        q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        return f"{abs(q) if q == 0 else q:f}"
    if d == 0:
        return "0"
    exponent = d.adjusted()
    if -4 <= exponent < 6:
        q = d.quantize(Decimal(1).scaleb(-max(0, digits - 1 - exponent)), rounding=ROUND_HALF_UP)
        shown = f"{q:f}"
        return shown.rstrip("0").rstrip(".") if "." in shown else shown
    mantissa = d.scaleb(-exponent).quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_HALF_UP)
    if abs(mantissa) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    shown = f"{mantissa:f}"
    shown = shown.rstrip("0").rstrip(".") if "." in shown else shown
    return rf"{shown} \times 10^{{{exponent}}}" if style == "latex" else f"{shown}e{exponent}"


def format_count(n: int, style: str = "latex") -> str:
    """A whole count as every document prints it: 448, 5770, 20\\,200, 805\\,371\\,904 (a thin space between
    groups of three from five digits on, as SI writes numbers; "20 200" in text)."""
    digits = f"{int(n):,}" if abs(int(n)) >= 10000 else str(int(n))
    return digits.replace(",", r"\," if style == "latex" else "\u2009")
