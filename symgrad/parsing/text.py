"""Plain text -> SymPy through our lark grammar and a whitelist of constructors; never eval/sympify."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files

import sympy
from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from sympy.core.parameters import distribute

from ..errors import LimitError, ParseError
from ..functions import relu, sigmoid
from .limits import DEFAULT_LIMITS, Limits

# One row per function name a user may type: (SymPy constructor, min args, max args).
FUNCTIONS: dict[str, tuple[object, int, int | None]] = {
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 1),
    "ln": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "sech": (sympy.sech, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "max": (sympy.Max, 2, None),
    "min": (sympy.Min, 2, None),
    "sigmoid": (sigmoid, 1, 1),
    "sigma": (sigmoid, 1, 1),
    "s": (sigmoid, 1, 1),
    "σ": (sigmoid, 1, 1),
    "relu": (relu, 1, 1),
    "heaviside": (sympy.Heaviside, 1, 1),
}

CONSTANTS = {"e": sympy.E, "pi": sympy.pi, "π": sympy.pi}

# Characters a student pastes that mean an ASCII operator.
_UNICODE = str.maketrans({"·": "*", "×": "*", "−": "-", "–": "-"})

# Function names that cannot also be variables; `s` and `sigma` can (s(x) is still sigmoid).
RESERVED = (frozenset(FUNCTIONS) - {"s", "sigma", "σ"}) | {"math"}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = files("symgrad.parsing").joinpath("expr.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=False, maybe_placeholders=False)


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a variable name read from text (real, as in a calculus course)."""
    return sympy.Symbol(name, real=True)


def _column(token: Token) -> int:
    return getattr(token, "column", None) or 1


@v_args(inline=True)
class _Builder(Transformer_NonRecursive):
    """Parse tree -> SymPy, one method per grammar alias; only whitelisted constructors are called."""

    def __init__(self, variables: frozenset[str], limits: Limits):
        super().__init__()
        self.variables = variables
        self.limits = limits

    def number(self, token: Token) -> sympy.Expr:
        text = str(token)
        mantissa = text.lower().split("e")[0]
        if sum(c.isdigit() for c in mantissa) > self.limits.max_digits:
            raise LimitError(
                f"the number {text[:20]}... has more than {self.limits.max_digits} digits",
                _column(token),
            )
        if "e" in text.lower() and abs(int(text.lower().split("e")[1])) > self.limits.max_exponent:
            raise LimitError(f"the exponent of {text} is too large", _column(token))
        value = Fraction(text)  # decimals are read as the exact rational they denote
        return sympy.Rational(value.numerator, value.denominator)

    def name(self, token: Token) -> sympy.Expr:
        text = str(token)
        if text in self.variables:
            return symbol(text)
        if text in CONSTANTS:
            return CONSTANTS[text]
        if text in RESERVED:
            raise ParseError(f"'{text}' is a function: write {text}(...)", _column(token))
        return symbol(text)

    def call(self, func: Token, *args: sympy.Expr) -> sympy.Expr:
        name = str(func).removeprefix("math.")
        constructor, least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            raise ParseError(
                f"{name}() takes {wanted} argument{'s' if least != 1 else ''}, not {len(args)}",
                _column(func),
            )
        return constructor(*args)

    def add(self, a, b):
        return sympy.Add(a, b)

    def sub(self, a, b):
        return sympy.Add(a, sympy.Mul(sympy.S.NegativeOne, b))

    def mul(self, a, b):
        return sympy.Mul(a, b)

    def div(self, a, b):
        if b.is_zero:
            raise ParseError("division by zero", None)
        return sympy.Mul(a, sympy.Pow(b, sympy.S.NegativeOne))

    def group(self, a):
        return a

    def neg(self, a):
        return sympy.Mul(sympy.S.NegativeOne, a)

    def pow(self, base, op: Token, exponent):
        limits = self.limits
        if exponent.is_Number and abs(exponent) > limits.max_exponent:
            raise LimitError(
                f"the exponent {exponent} is too large (at most {limits.max_exponent})", _column(op)
            )
        if base.is_Number and exponent.is_Number and base != 0:
            bits = abs(float(exponent)) * max(
                abs(sympy.Rational(base).p).bit_length(), abs(sympy.Rational(base).q).bit_length()
            ) if base.is_Rational else 0
            if bits > limits.max_bits:
                raise LimitError("this power makes too large a number", _column(op))
        if base.is_zero and exponent.is_Number and exponent.is_negative:
            raise ParseError("division by zero: 0 to a negative power", _column(op))
        return sympy.Pow(base, exponent)


def parse_tree(text: str, limits: Limits = DEFAULT_LIMITS) -> Tree:
    """The checked lark parse tree of ``text`` (for printers that keep the user's own order)."""
    text = _prepare(text, limits)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _translate(err, text) from None
    _check_depth(tree, limits)
    return tree


def _prepare(text: str, limits: Limits) -> str:
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    text = text.translate(_UNICODE)
    if len(text) > limits.max_length:
        raise LimitError(f"the expression is longer than {limits.max_length} characters")
    if not text.strip():
        raise ParseError("the expression is empty")
    depth = 0
    for column, char in enumerate(text, start=1):
        depth += (char == "(") - (char == ")")
        if depth > limits.max_depth:
            raise LimitError(f"parentheses nested more than {limits.max_depth} deep", column)
    return text


def _check_depth(tree: Tree, limits: Limits) -> None:
    """Reject deep nesting before SymPy recurses into it; sums and products may be long, not deep."""
    flat = {"add", "sub", "mul", "div"}
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        here = depth if node.data in flat else depth + 1
        if here > limits.max_depth:
            raise LimitError(f"the expression is nested more than {limits.max_depth} levels deep")
        stack.extend((child, here) for child in node.children)


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "end of input"
    return f"'{token}'"


def _expected(names: Iterable[str]) -> str:
    pretty = {
        "NUMBER": "a number", "NAME": "a name", "FUNC": "a function", "LPAR": "'('",
        "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'",
        "POW": "'^'", "COMMA": "','",
    }
    wanted = sorted({pretty.get(n, n) for n in names if n in pretty})
    if not wanted:
        return ""
    shown = [w for w in ("a number", "a name", "a function", "'('") if w in wanted] or wanted
    return f"; expected {' or '.join(shown[:4])}"


def _translate(err: UnexpectedInput, text: str) -> ParseError:
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        return ParseError(f"unexpected character '{char}'", err.column)
    if isinstance(err, UnexpectedEOF):
        return ParseError("unexpected end of input" + _expected(err.expected), len(text) + 1)
    if isinstance(err, UnexpectedToken):
        token = err.token
        column = len(text.rstrip()) + 1 if token.type == "$END" else err.column
        if token.type == "$END":
            return ParseError("unexpected end of input" + _expected(err.expected), column)
        if token.type == "NUMBER" and err.expected and "NUMBER" not in err.expected:
            return ParseError(
                f"unexpected number '{token}': write '*' to multiply by a number on the right",
                column,
            )
        return ParseError(f"unexpected {_describe(token)}" + _expected(err.expected), column)
    return ParseError(str(err).splitlines()[0], getattr(err, "column", None))


def parse(
    text: str,
    *,
    variables: Iterable[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> sympy.Expr:
    """Read one plain-text expression into SymPy. ``variables`` are names that shadow constants (``e``)."""
    tree = parse_tree(text, limits)
    builder = _Builder(frozenset(variables), limits)
    try:
        with distribute(False):  # keep 2(x+1) and -(a+b) as written: staging follows the user's shape
            result = builder.transform(tree)
    except ParseError:
        raise
    except Exception as err:  # lark wraps errors raised in callbacks
        inner = getattr(err, "orig_exc", err)
        if isinstance(inner, ParseError):
            raise inner from None
        raise ParseError(f"cannot read the expression: {inner}") from None
    if result.has(sympy.zoo, sympy.nan):
        raise ParseError("the expression is undefined (division by zero)")
    return result
