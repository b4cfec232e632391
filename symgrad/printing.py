"""Printers: SymPy syntax (JSON), readable text, Python (runnable listings) and LaTeX, extended for
our functions, indicator subgradients, node names and pending derivatives."""

from __future__ import annotations

import re
from collections.abc import Mapping

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

    def _print_sigmoid(self, expr):
        return f"(1.0 / (1 + math.exp(-({self._print(expr.args[0])}))))"

    def _print_relu(self, expr):
        return f"max(0.0, {self._print(expr.args[0])})"


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
    return TextPrinter({"partial": partial}).doprint(expr).replace("**", "^")


def _greek(char: str) -> str:
    import unicodedata

    words = unicodedata.name(char, "").split()
    if len(words) == 4 and words[:2] == ["GREEK", "CAPITAL"]:
        return "\\" + words[3].capitalize() + " "
    if len(words) == 4 and words[:2] == ["GREEK", "SMALL"]:
        return "\\" + words[3].lower() + " "
    return char if char.isascii() else "?"


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
        body = rf"\mathbb{{1}}\left({self._print(a)} {tex_op} {self._print(b)}\right)"
        return rf"{body}^{{{exp}}}" if exp else body


def latex(expr: sympy.Basic, partial: bool = False, names: Mapping[str, str] | None = None) -> str:
    """An expression as LaTeX (needs amsmath); ``names`` renames symbols and functions (see TexPrinter)."""
    return TexPrinter({"partial": partial, "mat_str": "bmatrix", "mat_delim": "",
                       "names": dict(names or {})}).doprint(expr)


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "×": r"$\times$", "·": r"$\cdot$", "≈": r"$\approx$", "ε": r"$\varepsilon$", "∂": r"$\partial$",
    "−": "-", "σ": r"$\sigma$", "≥": r"$\geq$", "≤": r"$\leq$", "′": "'", "²": r"\textsuperscript{2}",
}


def tex_text(s: str) -> str:
    """Plain text made safe inside LaTeX: special characters escaped, a few symbols as math."""
    return "".join(_TEX_ESCAPES.get(c) or (f"${_greek(c).strip()}$" if "GREEK" in _unicode_name(c) else c) for c in s)


def _unicode_name(char: str) -> str:
    import unicodedata

    return unicodedata.name(char, "")
