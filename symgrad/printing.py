"""Printers: SymPy syntax (JSON), readable text, Python (runnable listings) and LaTeX, extended for
our functions, indicator subgradients, node names and pending derivatives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import contextmanager
from functools import lru_cache

import sympy
from sympy import S
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter

from .written import below_bar, is_written, negated, plain, times

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
    """An expression in SymPy syntax (what str() gives, in SymPy's canonical order: a written sum or product
    is evaluated first), the format of every JSON string we print."""
    return sympy.sstr(plain(expr), order=None)


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
    return _remembered(_grammar_syntax, expr)


@lru_cache(maxsize=8192)
def _grammar_syntax(expr: sympy.Basic) -> str:
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
    """Printing a product built in chain order: derivatives bare, anything looser in parentheses, and
    a leading -1 as a minus sign (upstream × local keeps its factor 1: backprop shows it)."""

    def _factor(self, arg):
        if isinstance(arg, sympy.Derivative):
            return self._print(arg)
        return self.parenthesize(arg, PRECEDENCE["Mul"], strict=True)

    def _chain(self, expr, dot: str) -> str:
        args = list(expr.args)
        sign = ""
        if args[0].is_Number and args[0].is_negative:
            sign, args[0] = "-", -args[0]
            if args[0] == 1 and len(args) > 1:
                args = args[1:]
        elif args[0].is_Mul and args[0].args[0].is_Number and args[0].args[0].is_negative:
            sign, args[0] = "-", negated(args[0])  # -sin(u) · du/dx, not (-sin(u)) · du/dx
        shown = [self._factor(a) for a in args]
        for i, a in enumerate(args[1:], start=1):  # df/dden · (-1/den^2): a sign after a dot is bracketed
            if a.could_extract_minus_sign() and not shown[i].startswith(("(", r"\left(")):
                shown[i] = rf"\left({shown[i]}\right)" if isinstance(self, LatexPrinter) else f"({shown[i]})"
        return sign + dot.join(shown)


def _is_word(symbol: sympy.Symbol) -> bool:
    """A name printed as a multi-letter word (\\mathit{xpy}), not a letter with an index."""
    return latex_name(symbol.name).startswith(r"\mathit")


def _is_chain(expr: sympy.Mul) -> bool:
    """A product with a pending derivative (df/dh · z, df/df1 · df1/dx): printed in the order built."""
    return len(expr.args) > 1 and any(isinstance(a, sympy.Derivative) for a in expr.args)


def _mul_parts(expr: sympy.Mul) -> tuple[bool, list[sympy.Expr], list[sympy.Expr]]:
    """(negative, numerator factors, denominator factors) of a product, in its written order if it was
    built unevaluated, else in SymPy's order: -3x/(2y) is (True, [3, x], [2, y])."""
    args = list(tidy_factors(expr).args)
    negative = False
    if args[0].is_Mul and not _is_chain(args[0]) and _mul_parts(args[0])[0]:  # (-x)/(x + 1) is -x/(x + 1)
        args = [*tidy_factors(args[0]).args, *args[1:]]
    if args[0].is_Number and args[0].is_negative:
        negative, args[0] = True, -args[0]
    numerator, denominator = [], []
    for a in args:
        if a.is_Mul and not _is_chain(a):
            inner_negative, inner_top, inner_below = _mul_parts(a)
            if inner_below:  # 3·(1/(2 sqrt(x))) is 3/(2 sqrt(x)), not 3·1/(2 sqrt(x)); a/b·c/d is a c/(b d)
                negative ^= inner_negative
                numerator += inner_top
                denominator += inner_below
                continue
        if below_bar(a) is not None:
            if a.exp == -1 and a.base.is_Mul and not _is_chain(a.base):  # 1/(x y): both below the bar
                below_negative, below_top, below_below = _mul_parts(a.base)
                negative ^= below_negative
                denominator += below_top
                numerator += below_below
            else:
                denominator.append(below_bar(a))
        elif a.is_Rational:
            if a.p != 1:
                numerator.append(sympy.Integer(a.p))
            if a.q != 1:
                denominator.append(sympy.Integer(a.q))
        else:
            numerator.append(a)
    return negative, numerator, denominator


def tidy_factors(expr: sympy.Mul) -> sympy.Mul:
    """A product as it is written on the board: as built when it was built unevaluated (see written.py),
    else SymPy's factors with the number first and sums last: σ(x)(1 - σ(x)), x(x + 1)^2, not
    (1 - σ(x))σ(x). Its ``args`` are the factors in that order (the same object when they already are)."""
    if is_written(expr):
        return expr
    factors = list(expr.as_ordered_factors())
    tidy = sorted(factors, key=lambda f: 0 if f.is_Number else 2 if (f.base if f.is_Pow else f).is_Add else 1)
    return expr if tidy == list(expr.args) else times(*tidy)


_ONE_LETTER = re.compile(r"[^\W\d_](?![\w(])")


def _one_letter(shown: str) -> bool:
    """x, or a power of x, as printed: what a number is written against (2x, 2x^2, (x + y)z)."""
    return bool(_ONE_LETTER.match(shown))


class TextPrinter(_ChainFactors, StrPrinter):
    """Text for people, as a teacher writes on the board and our grammar reads back: ^ for powers,
    multiplication implicit where that is unambiguous (2x cos(x^2), (x + y)z, 8(15x^2 - 1)(5x^3 - x - 1)),
    e^x, sigma(x), |x|, d/dx[...] for a pending derivative, 1(x >= y) for an indicator; a sum or
    product built unevaluated keeps its order (see written.py). JSON uses ``sympy_syntax`` instead."""

    _default_settings = {**StrPrinter._default_settings, "partial": False}

    def _print_Derivative(self, expr):
        d = "∂" if self._settings["partial"] else "d"
        variables = "".join(f"{d}{self._print(v)}" for v in expr.variables)
        if expr.expr.is_Symbol:
            return f"{d}{self._print(expr.expr)}/{variables}"
        return f"{d}/{variables}[{self._print(expr.expr)}]"

    def _print_Add(self, expr, order=None):
        return super()._print_Add(expr, order="none" if is_written(expr) else order)

    def _print_Mul(self, expr):
        if _is_chain(expr):  # df/df1 · df1/df2 · df2/dx in the order the chain runs
            return self._chain(expr, " · ")
        negative, numerator, denominator = _mul_parts(expr)
        top = self._product(numerator) if numerator else "1"
        if denominator:  # x/2, 1/x^2, x/(x^2 + 1), x/(2y)
            below = self._product(denominator)
            top += "/" + (below if len(denominator) == 1 else f"({below})")
        return ("-" if negative else "") + top

    def _product(self, factors: list[sympy.Expr]) -> str:
        """Factors side by side: 2x, 2 sin(x), 2(x + 1), (x + 1)(x - 1), (x + y)z, x y; a number after
        another factor keeps its sign of multiplication (x·2)."""
        shown = [self.parenthesize(f, PRECEDENCE["Mul"], strict=True) for f in factors]
        shown[1:] = [f"({b})" if b.startswith("-") else b for b in shown[1:]]  # x(-sin(x)), not x·-sin(x)
        out = shown[0]
        for left, a, b in zip(factors, shown, shown[1:]):
            if b[0].isdigit() or b[0] in "-.":
                gap = "·"
            elif left.is_Number:  # 2x, 2(x + 1), 2 sin(x); 1.5e+30 x
                gap = "" if (_one_letter(b) or b.startswith("(")) and "e" not in a else " "
            elif a.endswith(")") and (b.startswith("(") or (a.startswith("(") and _one_letter(b))):
                gap = ""
            else:
                gap = " "
            out += gap + b
        return out

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Number and expr.exp.is_negative and expr.is_commutative:
            return self._print_Mul(sympy.Mul(S.One, expr, evaluate=False))
        if expr.exp is S.Half:
            return f"sqrt({self._print(expr.base)})"
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=False)
        if (isinstance(expr.base, sympy.exp) or expr.base.is_Pow) and not base.startswith("("):
            base = f"({base})"  # (e^x)^2, (x^2)^2: once, not ((x^2))^2
        exponent = self.parenthesize(expr.exp, PRECEDENCE["Pow"], strict=False)
        if expr.exp.is_Rational and not expr.exp.is_Integer or expr.exp.is_Mul or expr.exp.is_Pow:
            exponent = f"({self._print(expr.exp)})"
        return f"{base}^{exponent}"

    def _print_exp(self, expr):
        arg = expr.args[0]
        shown = self._print(arg)
        return f"e^{shown}" if arg.is_Symbol or (arg.is_Integer and arg >= 0) else f"e^({shown})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_sigmoid(self, expr):
        return f"sigma({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_ImmutableDenseMatrix(self, expr):
        return "[" + ", ".join(self._print(e) for e in expr) + "]"

    def _print_Heaviside(self, expr):
        parts = indicator(expr)
        if parts is None:
            return super()._print_Function(expr)
        a, op, b = parts
        return f"1({self._print(a)} {op} {self._print(b)})"


def _remembered(printer, *args) -> str:
    """``printer(*args)`` from its cache (a class's documents print the same expressions again and again),
    or printed afresh when an argument cannot be a key (a mutable matrix)."""
    try:
        return printer(*args)
    except TypeError:
        return printer.__wrapped__(*args)


def text(expr: sympy.Basic, partial: bool = False) -> str:
    """An expression as text for people (see TextPrinter; JSON and listings use sympy_syntax and python)."""
    return _remembered(_text, expr, partial)


@lru_cache(maxsize=8192)
def _text(expr: sympy.Basic, partial: bool) -> str:
    return TextPrinter({"partial": partial}).doprint(expr)


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

    def _print_Add(self, expr, order=None):
        with self._order("none" if is_written(expr) else None):
            return super()._print_Add(expr)

    def _print_Mul(self, expr):
        if _is_chain(expr):
            return self._chain(expr, r" \cdot ")
        shown = tidy_factors(expr)
        if shown is expr and not is_written(expr):
            with self._order(None):
                return self._words_apart(super()._print_Mul, expr)
        negative, numerator, denominator = _mul_parts(shown)
        if not denominator:
            return ("- " if negative else "") + self._product(numerator)
        top = self._product(numerator, bare=True) if numerator else "1"
        return ("- " if negative else "") + rf"\frac{{{top}}}{{{self._product(denominator, bare=True)}}}"

    def _product(self, factors: list[sympy.Expr], bare: bool = False) -> str:
        """Factors side by side, with a \\cdot before a number or a fraction (x \\cdot 2, 3 \\cdot \\frac{1}{2}) and
        between words (invden \\cdot num); ``bare``: a lone factor needs no brackets (a fraction's part)."""
        if bare and len(factors) == 1:
            return self._print(factors[0])
        shown = [self.parenthesize(f, PRECEDENCE["Mul"], strict=True) for f in factors]
        shown[1:] = [rf"\left({b}\right)" if b.startswith("-") else b for b in shown[1:]]
        out = shown[0]
        for f, b in zip(factors[1:], shown[1:]):
            dot = b[:1].isdigit() or b.startswith(("-", r"\frac")) or any(_is_word(s) for s in f.free_symbols)
            out += (r" \cdot " if dot else " ") + b
        return out

    def _words_apart(self, print_mul, expr) -> str:
        if any(_is_word(s) for s in expr.free_symbols):  # invden num would read as one word: invden · num
            saved = self._settings["mul_symbol_latex"]
            self._settings["mul_symbol_latex"] = r" \cdot "
            try:
                return print_mul(expr)
            finally:
                self._settings["mul_symbol_latex"] = saved
        return print_mul(expr)

    @contextmanager
    def _order(self, order: str | None):
        """Print one node in this order ("none": as built), whatever its parent's was."""
        saved = self._settings["order"]
        self._settings["order"] = order
        try:
            yield
        finally:
            self._settings["order"] = saved

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
    return _remembered(_latex, expr, partial, tuple(sorted((names or {}).items())))


@lru_cache(maxsize=8192)
def _latex(expr: sympy.Basic, partial: bool, names: tuple[tuple[str, str], ...]) -> str:
    # SymPy's equality tells 1 from 1.0, so a remembered string is never another expression's
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
       is (-14, 1/2, sigma(1), e^(-1), sqrt(2)); 1/(1 + exp(-a)) counts as sigma(a);
    2. else rounded to ``decimals`` when the problem asks for it, zeros kept as the seeds write them
       (0.73, -0.20; never -0.00);
    3. else ``digits`` (4) significant digits, trailing zeros dropped (0.7311, 1.546, 0.0009118,
       12346), in scientific notation below 1e-4 and from 1e6 on (1.235e-5, 1.235 \\times 10^{-5}).

    style "text" prints readable text (sigma(1), 1/2, -0.20, e notation); style "latex" prints
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
    """A value with its decimal beside a short irrational exact form: sigma(1) ≈ 0.7311.

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
    return (None if value.has(sympy.Float) else value), thirty_digits(value)


def thirty_digits(value: sympy.Basic) -> sympy.Float:
    """A SymPy number to 30 digits: by the evaluation table in 40-digit arithmetic (fast; the 10 extra
    digits absorb its rounding, so the 30 kept are SymPy's), else by SymPy's evalf."""
    import mpmath

    from .evaluate import Undefined, evaluate

    try:
        with mpmath.workdps(40):
            number = evaluate(value, {})
    except Undefined:
        return value.evalf(30)
    return sympy.Float(number, 30)


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
    if exact.has(sympy.Float) or not exact.is_number:
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
