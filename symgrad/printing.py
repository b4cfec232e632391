"""Printers: SymPy syntax (JSON), Python (runnable listings) and LaTeX, extended for our functions and names."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.pycode import PythonCodePrinter

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


def sympy_syntax(expr: sympy.Expr) -> str:
    """An expression in SymPy syntax (what str() gives), the format of every JSON string we print."""
    return sympy.sstr(expr, order=None)


def latex_name(name: str) -> str:
    """x_1 -> x^{(1)} (an index, not a power, as seed 001 writes it); w0 -> w_{0}; xpy -> \\mathit{xpy}."""
    if m := _INDEXED.match(name):
        return f"{m.group(1)}^{{({m.group(2)})}}"
    if m := _LETTER_DIGITS.match(name):
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if len(name) == 1 or not name.isascii():
        return sympy.latex(sympy.Symbol(name))
    greek = sympy.latex(sympy.Symbol(name))
    if greek.startswith("\\"):
        return greek
    escaped = name.replace("_", "\\_")
    return rf"\mathit{{{escaped}}}"


def latex(expr: sympy.Expr, names: Iterable[str] = ()) -> str:
    """An expression as LaTeX, with node names printed by latex_name."""
    symbol_names = {s: latex_name(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    return LatexPrinter({"symbol_names": symbol_names, "mul_symbol": "dot"}).doprint(expr)
