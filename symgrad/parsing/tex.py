"""Plain text -> LaTeX straight from our parse tree, so a statement shows the function as the
author wrote it ((x + y)z + x stays in that order; SymPy would reorder it to x + z(x + y))."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lark import Token, Transformer_NonRecursive, v_args

from ..printing import latex_name, tex_text
from .text import parse_tree

ATOM, POWER, UNARY, PRODUCT, SUM = 5, 4, 3, 2, 1

def _function_commands() -> dict[str, str]:
    """Each function name a user types -> the LaTeX printed for it, from the rows of gates.FUNCTIONS
    (s stays s: an author who writes s(y) for the sigmoid reads s(y))."""
    from ..gates import FUNCTIONS

    commands = {alias: f.tex_command for f in FUNCTIONS for alias in f.names}
    return {**commands, "sigmoid": r"\sigma", "sigma": r"\sigma", "σ": r"\sigma", "s": "s", "heaviside": "H",
            "log10": r"\log_{10}", "log2": r"\log_{2}"}


_FUNCTIONS = _function_commands()


def _wrap(item: tuple, level: int) -> str:
    tex, precedence = item[:2]
    return tex if precedence >= level else rf"\left({tex}\right)"


def _unwrap(item: tuple) -> str:
    """A fraction bar or an exponent groups by itself: (x + 1)/(x - 1) needs no parentheses."""
    return item[2] if len(item) == 3 else item[0]


@v_args(inline=True)
class _Tex(Transformer_NonRecursive):
    """Parse tree -> (LaTeX, precedence), one method per grammar alias, keeping the author's order.
    ``names`` maps a name to the LaTeX a question shows for it (W1 -> W^{(1)}, x1 -> x^{(1)})."""

    def __init__(self, names: Mapping[str, str] | None = None):
        super().__init__()
        self.names = dict(names or {})

    def number(self, token: Token):
        return str(token), ATOM

    def name(self, token: Token):
        text = str(token)
        return {"pi": r"\pi", "π": r"\pi", "e": "e"}.get(text, latex_name(self.names.get(text, text))), ATOM

    def group(self, inner):
        return rf"\left({inner[0]}\right)", ATOM, inner[0]

    def call(self, func: Token, *args):
        name = str(func).removeprefix("math.")
        inside = ", ".join(a[0] for a in args)
        if name == "sqrt":
            return rf"\sqrt{{{inside}}}", ATOM
        if name == "abs":
            return rf"\left|{inside}\right|", ATOM
        return rf"{_FUNCTIONS[name]}\left({inside}\right)", ATOM

    def dcall(self, func: Token, inner):
        name = str(func).removesuffix("'")
        return rf"{_FUNCTIONS[name]}'\left({inner[0]}\right)", ATOM

    def abs(self, inner):
        return rf"\left|{inner[0]}\right|", ATOM

    def barg(self, *factors):  # sin x^2, tanh 2x: the argument of a function written without parentheses
        return " ".join(_wrap(f, UNARY) for f in factors), PRODUCT

    def bare(self, func: Token, arg):
        return self.call(func, arg)

    def powcall(self, func: Token, op: Token, exponent: Token, arg):  # sin^2(x), sin^2 x
        name = str(func)
        return rf"{_FUNCTIONS[name]}^{{{exponent}}}\left({_unwrap(arg)}\right)", ATOM

    powbare = powcall

    def indicator(self, one, a, relation, b):  # 1(x >= y), as the printer writes the indicator
        op = {">=": r"\geq", ">": ">", "<=": r"\leq", "<": "<", "≥": r"\geq", "≤": r"\leq"}[str(relation)]
        return rf"\mathbf{{1}}\left({a[0]} {op} {b[0]}\right)", ATOM

    def hadamard(self, a, b):
        return rf"{_wrap(a, PRODUCT)} \odot {_wrap(b, UNARY)}", PRODUCT

    def add(self, a, b):
        return f"{a[0]} + {_wrap(b, PRODUCT)}", SUM

    def sub(self, a, b):
        return f"{a[0]} - {_wrap(b, PRODUCT)}", SUM

    def mul(self, a, b):
        dot = "\\cdot " if a[0][-1:].isdigit() and b[0][:1].isdigit() else ""  # 2 \cdot 3, but 2 x
        return f"{_wrap(a, PRODUCT)} {dot}{_wrap(b, UNARY)}", PRODUCT

    def div(self, a, b):
        return rf"\frac{{{_unwrap(a)}}}{{{_unwrap(b)}}}", ATOM

    def neg(self, a):
        return f"-{_wrap(a, UNARY)}", UNARY

    def pow(self, base, op: Token, exponent):
        return f"{_wrap(base, ATOM)}^{{{_unwrap(exponent)}}}", POWER


def text_to_latex(text: str, names: Mapping[str, str] | None = None) -> str:
    """The LaTeX of a plain-text expression, in the author's order and parentheses (``names``: see _Tex)."""
    return _Tex(names).transform(parse_tree(text))[0]


_DEFINITION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*=\s*(.+)$")


def math_to_latex(text: str, names: Mapping[str, str] | None = None) -> str:
    """``expr``, ``name = expr`` or ``f(x, y) = expr`` as LaTeX; every expression goes through the grammar."""
    names = names or {}
    m = _DEFINITION.match(text)
    if not m:
        return text_to_latex(text, names)
    name, params, rhs = m.groups()
    head = _FUNCTIONS.get(name, latex_name(names.get(name, name)))
    if params is not None:
        arguments = [p.strip() for p in params.split(",") if p.strip()]
        head += r"\left(" + ", ".join(text_to_latex(p, names) for p in arguments) + r"\right)"
    return f"{head} = {text_to_latex(rhs, names)}"


def prose_to_latex(text: str, names: Mapping[str, str] | None = None) -> str:
    """Prose from the bank: text escaped for LaTeX, and each $...$ span read by our grammar, its names
    shown as the question shows them (``names``, from the problem's symbols)."""
    pieces = re.split(r"\$([^$]*)\$", text)
    out = []
    for i, piece in enumerate(pieces):
        out.append(f"${math_to_latex(piece, names)}$" if i % 2 else tex_text(piece))
    return "".join(out)
