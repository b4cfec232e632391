"""Text and LaTeX -> SymPy through our lark grammars and a whitelist of constructors; never eval/sympify.

``parse`` reads plain text (expr.lark) or, with ``latex=True``, the LaTeX subset (latex.lark);
both trees go through one builder. Given ``names`` (the names a problem allows) a run of letters
that is not a name is split into names (``xy`` is x*y); without ``names`` every word is a variable.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files

import sympy
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from sympy.core.parameters import distribute

from ..errors import LimitError, ParseError
from ..gates import FUNCTIONS as FUNCTION_ROWS
from ..printing import text as people_text
from ..written import WrittenAdd, WrittenMul, plus, times
from .limits import DEFAULT_LIMITS, Limits

# Every function name a user may type -> (SymPy constructor, min args, max args): derived from the rows of
# gates.FUNCTIONS, the one home of a function's facts; diag (of a vector, in a matrix answer) is the parser's own.
FUNCTIONS: dict[str, tuple[object, int, int | None]] = {
    **{alias: (f.cls, *f.arity) for f in FUNCTION_ROWS for alias in f.names},
    "diag": (None, 1, 1),
}

CONSTANTS = {"e": sympy.E, "pi": sympy.pi, "π": sympy.pi}

# sigma'(z), tanh'(z), softplus'(z): an activation's derivative applied to its argument, from its row.
DERIVATIVES: dict[str, object] = {alias: f.prime for f in FUNCTION_ROWS if f.activation for alias in f.names}


class _Transpose:
    """The T of h^T in a matrix answer (when the problem has no variable T)."""


TRANSPOSE = _Transpose()

# Characters a student pastes, spelled the way the grammar reads them.
_UNICODE = str.maketrans({
    "·": "*", "×": "*", "−": "-", "–": "-", "²": "^2", "³": "^3", "√": " sqrt ", "π": "pi", "≥": ">=", "≤": "<=",
})

# Function names that may also be variables (s(x) is still the sigmoid); no other function name can be.
ALSO_VARIABLES = frozenset({"s", "sigma", "σ"})
RESERVED = (frozenset(FUNCTIONS) - ALSO_VARIABLES) | {"math"}

# Tokens that only shape the tree (brackets, operators); the builder never sees them as values.
_PUNCTUATION = {"POW", "CARET", "TIMES", "LEFT_PAREN", "RIGHT_PAREN", "LEFT_BRACKET", "RIGHT_BRACKET",
                "LEFT_BAR", "RIGHT_BAR", "FRAC", "SQRT", "PRIME", "HADAMARD"}


def _is_matrix(value) -> bool:
    return isinstance(value, sympy.MatrixBase)


def _surely_nonzero(e) -> bool:
    """Whether ``e`` is surely not 0 by its form alone: a nonzero number, a sum of terms >= 0 one of which
    is > 0 (3 + x^2), or a product of such. Then SymPy need not be asked whether it is 0 (the answer
    could only be no), for its assumptions cost more than building ``e``."""
    if e.is_Number:
        return e.is_zero is False
    if e.is_Mul:
        return all(_surely_nonzero(f) for f in e.args)
    if e.is_Add:
        return all(_nonnegative(t) for t in e.args) and any(_positive(t) for t in e.args)
    return _positive(e)


def _positive(e) -> bool:
    """e > 0 by its form alone: a positive number, e or pi."""
    return (e.is_Number and e.is_positive is True) or e is sympy.E or e is sympy.pi


def _nonnegative(e) -> bool:
    """e >= 0 by its form alone: a positive term, an even power of a real name (x^2), or a product of those."""
    if e.is_Pow:
        base, exponent = e.args
        return base.is_Symbol and base.is_real is True and exponent.is_Integer and exponent > 0 and exponent % 2 == 0
    if e.is_Mul:
        return all(_nonnegative(f) for f in e.args)
    return _positive(e)


class ShapeError(ParseError):
    """A matrix answer whose pieces do not fit together (a product of mismatched shapes)."""


def _shape(m) -> str:
    return f"{m.rows}×{m.cols}"


# The functions LaTeX writes as commands (\sin, \arctan; amsmath's operator names) and \sigma, the
# sigmoid; every other function is written \operatorname{name}. A fact about LaTeX, not a function list.
_LATEX_COMMANDS = frozenset({
    "arccos", "arcsin", "arctan", "cos", "cosh", "cot", "coth", "csc", "exp", "lg", "ln", "log", "max",
    "min", "sec", "sin", "sinh", "tan", "tanh", "sigma",
})


def _alternatives(names: Iterable[str], latex: bool = False) -> str:
    """A regex alternation of names, longest first; in LaTeX an underscore may be written \\_."""
    out = []
    for name in sorted(set(names), key=lambda n: (-len(n), n)):
        pattern = re.escape(name)
        out.append(pattern.replace("_", r"\\?_") if latex else pattern)
    return "|".join(out) or "(?!)"


def _bare_names() -> list[str]:
    """Functions that may be written without parentheses (sin x): those called with one argument that
    cannot also be variables (s and sigma can), and that build a SymPy value (diag takes a vector)."""
    return [n for n, (constructor, least, _) in FUNCTIONS.items()
            if least == 1 and n not in ALSO_VARIABLES and constructor is not None]


def _grammar_text(grammar: str) -> str:
    """The grammar with its function names filled in from FUNCTIONS and DERIVATIVES: one list, not three."""
    text = files("symgrad.parsing").joinpath(grammar).read_text(encoding="utf-8")
    fill = {
        "@CALL@": _alternatives(FUNCTIONS),
        "@DERIVATIVE@": _alternatives(DERIVATIVES),
        "@BARE@": _alternatives(_bare_names()),
        "@COMMAND@": _alternatives(n for n in FUNCTIONS if n in _LATEX_COMMANDS),
        "@OPERATOR@": _alternatives((n for n in FUNCTIONS if re.fullmatch(r"[A-Za-z_]+", n)), latex=True),
    }
    for placeholder, pattern in fill.items():
        text = text.replace(placeholder, pattern)
    return text


def _after_bracket(token: Token) -> Token:
    """cos(x^2) 2x: the number's token without the spaces its pattern takes after the bracket."""
    value = str(token).lstrip(" \t")
    shift = len(token) - len(value)
    return Token(token.type, value, token.start_pos + shift, token.line, token.column + shift,
                 token.end_line, token.end_column, token.end_pos)


@lru_cache(maxsize=2)
def _parser(grammar: str = "expr.lark") -> Lark:
    return Lark(_grammar_text(grammar), parser="lalr", propagate_positions=False, maybe_placeholders=False,
                lexer_callbacks={"AFTER_BRACKET": _after_bracket})


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a variable name read from text (real, as in a calculus course)."""
    return sympy.Symbol(name, real=True)


def _column(token: Token) -> int | None:
    return getattr(token, "column", None)


def _values(args) -> list:
    return [a for a in args if not (isinstance(a, Token) and a.type in _PUNCTUATION)]


def _function_name(token: Token) -> str:
    """math.exp, \\exp, \\operatorname{sech}, sigma' -> exp, sech, sigma."""
    name = str(token).removeprefix("math.").removeprefix("\\").removesuffix("'")
    if name.startswith("operatorname{"):
        name = name[len("operatorname{"):-1].replace("\\_", "_")
    return name


def split_name(word: str, names: Iterable[str]) -> list[str] | None:
    """A run of letters as known names, longest first from the left (xy -> x, y); None if it cannot be."""
    pieces = sorted(set(names) | set(CONSTANTS), key=len, reverse=True)
    out: list[str] = []
    rest = word
    while rest:
        piece = next((p for p in pieces if rest.startswith(p)), None)
        if piece is None:
            return None
        out.append(piece)
        rest = rest[len(piece):]
    return out


def _unknown_function(word: str) -> str:
    """The message for name(...) where name is no function: the nearest known names, or all of them."""
    known = sorted(FUNCTIONS, key=lambda n: (n.lower(), n))
    close = difflib.get_close_matches(word.lower(), known, n=3, cutoff=0.6)
    if close:
        return f"unknown function '{word}' (did you mean {' or '.join(close)}?)"
    return f"unknown function '{word}' (the functions are {', '.join(known)})"


def _variable_like(word: str) -> bool:
    """Without a problem's names, a word that reads as a variable before a bracket: one letter (x(y+1)),
    an indexed name (w0, h_1) or a constant (pi). Any other word before a bracket is a function."""
    return len(word) == 1 or any(c.isdigit() or c == "_" for c in word) or word in CONSTANTS


# Where a left factor may end with a name: 2x, x^ab, -ab, 1/ab (the last value of each).
_ENDS_WITH = frozenset({"mul", "div", "hadamard", "pow", "neg"})


def _last_name(node) -> Tree | None:
    """The name node a left factor ends with, or None (it ends with a bracket, a number, a call...)."""
    while isinstance(node, Tree):
        if node.data == "name":
            first = node.children[0] if node.children else None
            return node if isinstance(first, Token) and first.type == "NAME" else None
        if node.data not in _ENDS_WITH:
            return None
        values = _values(node.children)
        if not values:
            return None
        node = values[-1]
    return None


def _opening_group(node) -> Tree | None:
    """The bracket a right factor starts with: (x) or (x)^2."""
    if isinstance(node, Tree) and node.data == "group":
        return node
    if isinstance(node, Tree) and node.data == "pow":
        return _opening_group(node.children[0])
    return None


def _names_product(pieces: list[str], like: Token) -> tuple[str, list]:
    """x*y*... as a tree node's (data, children), each name a token at ``like``'s place."""
    node: Tree | None = None
    for piece in pieces:
        leaf = Tree("name", [Token("NAME", piece, like.start_pos, like.line, like.column)])
        node = leaf if node is None else Tree("mul", [node, leaf])
    assert node is not None
    return node.data, node.children


_COMPARISONS = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "\\geq": ">=", "\\ge": ">=", "\\leq": "<=",
                "\\le": "<="}


class _Builder:
    """Parse tree -> SymPy, one method per grammar alias (called with the node's children); only
    whitelisted constructors are called."""

    def __init__(self, variables: frozenset[str], limits: Limits, names: frozenset[str] | None,
                 matrices: dict | None = None, no_derivatives: bool = False):
        self.matrices = matrices or {}  # a matrix answer: each name's value on one random instance
        self.no_derivatives = no_derivatives  # sigma'(z) as 1: the key an answer that forgot it would match
        names = None if names is None else names | frozenset(self.matrices)
        self.variables = variables | (names or frozenset())
        self.limits = limits
        self.names = names
        self.splits: dict[int, list[sympy.Expr]] = {}  # id of a split word's product -> its factors
        self.notes: list[str] = []  # the reading rules that applied, echoed with a verdict

    def transform(self, tree: Tree):
        """The value of ``tree``: each node's method applied to its children's values, bottom-up and
        without recursion (a long sum is a deep tree); a node without a method stays a Tree. A plain
        loop, since lark's Transformer wraps every call (a third of the time of building)."""
        order: list = []
        pending: list = [tree]
        while pending:
            node = pending.pop()
            order.append(node)
            if isinstance(node, Tree):
                pending.extend(node.children)
        values: list = []
        methods = _METHODS[type(self)]
        for node in reversed(order):
            if not isinstance(node, Tree):
                values.append(node)
                continue
            size = len(node.children)
            args = values[len(values) - size:] if size else []
            if size:
                del values[-size:]
            method = methods.get(node.data)
            values.append(Tree(node.data, args) if method is None else method(self, *args))
        (result,) = values
        return result

    # -- leaves -------------------------------------------------------------------------------
    def number(self, token: Token) -> sympy.Expr:
        text = str(token)
        mantissa = text.lower().split("e")[0]
        if sum(c.isdigit() for c in mantissa) > self.limits.max_digits:
            raise LimitError(f"the number {text[:20]}... has more than {self.limits.max_digits} digits",
                             _column(token))
        if "e" in text.lower() and abs(int(text.lower().split("e")[1])) > self.limits.max_exponent:
            raise LimitError(f"the exponent of {text} is too large", _column(token))
        value = Fraction(text)  # decimals are read as the exact rational they denote
        if token.type == "AFTER_BRACKET":
            self.notes.append(f"a number after a closing bracket multiplies: ') {text}' is read as ')*{text}'")
        return sympy.Rational(value.numerator, value.denominator)

    def _word(self, text: str, column: int | None) -> sympy.Expr:
        if text in self.matrices:
            return self.matrices[text]
        if text == "T" and self.matrices and "T" not in self.variables:
            return TRANSPOSE
        if text in self.variables:
            return symbol(text)
        if text in CONSTANTS:
            return CONSTANTS[text]
        if text in RESERVED:
            raise ParseError(f"'{text}' is a function: write {text}(...)", column)
        if self.names is None:
            return symbol(text)
        pieces = split_name(text, self.names)
        if pieces is None:
            allowed = ", ".join(sorted(self.names)) or "none"
            raise ParseError(f"unknown name '{text}': the names here are {allowed}", column)
        factors = [symbol(p) if p in self.variables else CONSTANTS[p] for p in pieces]
        self.notes.append(f"'{text}' is not a name here: read as {'*'.join(pieces)}")
        product = sympy.Mul(*factors)
        self.splits[id(product)] = factors
        return product

    def name(self, token: Token) -> sympy.Expr:
        if token.type == "PI":
            return sympy.pi
        if token.type == "TOP":
            return self._word("T", _column(token))
        return self._word(str(token).removeprefix("\\"), _column(token))

    def subscript(self, base: Token, sub: Token) -> sympy.Expr:
        """LaTeX w_0 or w_{0}: the name w_0 or w0, whichever the problem has."""
        for candidate in (f"{base}_{sub}", f"{base}{sub}"):
            if self.names is None or candidate in self.names:
                return self._word(candidate, _column(base))
        return self._word(f"{base}{sub}", _column(base))

    # -- structure ------------------------------------------------------------------------------
    def group(self, *args):
        (inner,) = _values(args)
        return inner

    def abs(self, *args):
        (inner,) = _values(args)
        return sympy.Abs(inner)

    def call(self, func: Token, *args: sympy.Expr) -> sympy.Expr:
        return self._apply(func, _values(args))

    def indicator(self, one: Token, *args):
        """1(x >= y) -> Heaviside(x - y, 1) and 1(u > 0) -> Heaviside(u, 0): the inverse of how
        printing.indicator writes them; < and <= turn around (1(x < y) is 1(y > x))."""
        a, op, b = _values(args)
        op = _COMPARISONS[str(op)]
        condition = f"{people_text(a)} {op} {people_text(b)}"
        self.notes.append(f"1({condition}) is the indicator: 1 where {condition}, else 0")
        if op in ("<", "<="):
            a, b, op = b, a, op.replace("<", ">")
        at_zero = sympy.S.One if op == ">=" else sympy.S.Zero
        u = self.sub(a, b)
        if _is_matrix(u):
            return u.applyfunc(lambda e: sympy.Heaviside(e, at_zero))
        return sympy.Heaviside(u, at_zero)

    def calls(self, tree: Tree, text: str) -> None:
        """Every word right before a bracket, before building: name(...) is a product only when name
        is a declared variable (or, without a problem's names, a variable-like word: x, w0); a known
        function ending a run of names is split off (2xcos(x^2) is 2*x*cos(x^2)); any other word is an
        unknown function, refused with its name and the functions it may have meant."""
        stack = [tree]
        while stack:
            node = stack.pop()
            if not isinstance(node, Tree):
                continue
            stack.extend(node.children)
            values = _values(node.children)
            if node.data == "mul" and len(values) == 2:
                pairs = [(values[0], values[1])]
            elif node.data == "barg":
                pairs = list(zip(values, values[1:]))
            else:
                continue
            for left, right in pairs:
                name, group = _last_name(left), _opening_group(right)
                if name is None or group is None:
                    continue
                token = name.children[0]
                after = text[token.end_pos:].lstrip(" \t") if token.end_pos is not None else ""
                if after.startswith(("(", "\\left(")):  # no operator between the word and the bracket
                    self._word_before_bracket(name, group)

    def _word_before_bracket(self, name: Tree, group: Tree) -> None:
        token = name.children[0]
        word = str(token)
        if word in self.variables or word in self.matrices or word in CONSTANTS or (word == "T" and self.matrices):
            return  # a declared name (or the T of h^T in a matrix answer) times a bracket
        head: list[str] = []
        func = word if word in FUNCTIONS else None  # LaTeX cos(x), without its backslash
        if func is None and self.names is not None:
            for candidate in sorted(FUNCTIONS, key=len, reverse=True):
                if word.endswith(candidate) and len(word) > len(candidate) and candidate not in self.variables:
                    head = split_name(word[:-len(candidate)], self.names) or []
                    if head:
                        func = candidate
                        break
        if func is None:
            if self.names is not None and split_name(word, self.names) is not None:
                return  # xy(x+1): names times a bracket; the split is noted when the word is read
            if self.names is None and _variable_like(word):
                return
            raise ParseError(_unknown_function(word), _column(token))
        shift = len(word) - len(func)
        group.data = "call"
        group.children = [Token("FUNC", func, token.start_pos + shift, token.line, token.column + shift),
                          *group.children]
        if head:
            name.data, name.children = _names_product(head, token)
            self.notes.append(f"'{word}' before a bracket is read as {'*'.join(head)}*{func}(...)")
        else:
            name.data, name.children = "number", [Token("NUMBER", "1", token.start_pos, token.line, token.column)]
            self.notes.append(f"'{word}' before a bracket is read as the function {func}")

    def dcall(self, func: Token, *args):
        (arg,) = _values(args)
        name = _function_name(func)
        if name not in DERIVATIVES:
            raise ParseError(f"{name}' is not a derivative symgrad knows (sigma', tanh', relu')", _column(func))
        derivative = (lambda u: sympy.S.One) if self.no_derivatives else DERIVATIVES[name]
        return arg.applyfunc(derivative) if _is_matrix(arg) else derivative(arg)

    def _apply(self, func: Token, args: list) -> sympy.Expr:
        name = _function_name(func)
        if name == "diag":
            if len(args) != 1 or not _is_matrix(args[0]) or 1 not in args[0].shape:
                raise ShapeError("diag(...) takes one vector", _column(func))
            return sympy.diag(*args[0])
        if any(_is_matrix(a) for a in args):
            if len(args) != 1:
                raise ShapeError(f"{name}() of a matrix takes one argument", _column(func))
            constructor = FUNCTIONS[name][0]
            return args[0].applyfunc(constructor)
        constructor, least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            raise ParseError(f"{name}() takes {wanted} argument{'s' if least != 1 else ''}, not {len(args)}",
                             _column(func))
        return constructor(*args)

    def barg(self, *factors):
        return sympy.Mul(*_values(factors))

    def bare(self, func: Token, arg):
        result = self._apply(func, [arg])
        name = _function_name(func)
        self.notes.append(f"{name} without parentheses applies to what follows it: {people_text(result)}")
        return result

    def powcall(self, func: Token, *args):
        power, *rest = _values(args)
        return self._power(self._apply(func, rest), self.number(power) if isinstance(power, Token) else power,
                           func)

    powbare = powcall

    def sqrt(self, *args):
        (inner,) = _values(args)
        return sympy.sqrt(inner)

    def root(self, *args):
        n, inner = _values(args)
        if not (n.is_Integer and 2 <= n <= self.limits.max_exponent):
            raise ParseError(f"\\sqrt[{n}] needs a whole number from 2 to {self.limits.max_exponent}")
        return sympy.root(inner, n)

    # -- operators --------------------------------------------------------------------------------
    def _fit(self, a, b, what: str, ok: bool):
        if not ok:
            raise ShapeError(f"{what}: {_shape(a)} and {_shape(b)} do not fit")

    def add(self, a, b):
        if _is_matrix(a) and _is_matrix(b):
            self._fit(a, b, "a sum", a.shape == b.shape)
            return a + b
        if _is_matrix(a) or _is_matrix(b):  # 1 + z: a number and a vector add entry by entry
            m, c = (a, b) if _is_matrix(a) else (b, a)
            return m.applyfunc(lambda e: e + c)
        return sympy.Add(a, b)

    def sub(self, a, b):
        if _is_matrix(a) or _is_matrix(b):
            return self.add(a, self.neg(b))
        return sympy.Add(a, sympy.Mul(sympy.S.NegativeOne, b))

    def mul(self, *args):
        a, b = _values(args)
        if _is_matrix(a) and _is_matrix(b):
            self._fit(a, b, "a matrix product", a.cols == b.rows)
            return a * b
        if _is_matrix(a) or _is_matrix(b):
            return a * b
        return sympy.Mul(a, b)

    def hadamard(self, *args):
        a, b = _values(args)
        if _is_matrix(a) and _is_matrix(b):
            self._fit(a, b, "an entry-by-entry product", a.shape == b.shape)
            return a.multiply_elementwise(b)
        return self.mul(a, b)

    def div(self, *args):
        a, b = _values(args)
        if _is_matrix(b):
            raise ShapeError("cannot divide by a matrix")
        if not _surely_nonzero(b) and b.is_zero:
            raise ParseError("division by zero", None)
        if _is_matrix(a):
            return a / b
        return sympy.Mul(a, sympy.Pow(b, sympy.S.NegativeOne))

    def neg(self, a):
        if _is_matrix(a):
            return -a
        return sympy.Mul(sympy.S.NegativeOne, a)

    def pow(self, base, op: Token, exponent):
        if exponent is TRANSPOSE:
            if not _is_matrix(base):
                raise ShapeError("^T needs a matrix or a vector", _column(op))
            return base.T
        if _is_matrix(base) and not _is_matrix(exponent) and 1 in base.shape and exponent.is_number:
            note = "a power of a vector is taken entry by entry: a1^2 is a1 ⊙ a1"
            if note not in self.notes:
                self.notes.append(note)
            return base.applyfunc(lambda e: self._power(e, exponent, op))
        if _is_matrix(base) or _is_matrix(exponent):
            if not (_is_matrix(base) and exponent.is_Integer and base.rows == base.cols and exponent > 0):
                raise ShapeError("only a square matrix has whole-number powers", _column(op))
            return base**exponent
        if id(base) in self.splits:  # xe^x is x*e^x: the power takes the last letter of a split word
            *head, last = self.splits[id(base)]
            return sympy.Mul(*head, self._power(last, exponent, op))
        return self._power(base, exponent, op)

    def _power(self, base, exponent, op: Token):
        limits = self.limits
        if exponent.is_Number and abs(exponent) > limits.max_power:
            raise LimitError(f"the exponent {exponent} is too large (at most {limits.max_power})", _column(op))
        if exponent.is_number and not exponent.is_Number:
            size = exponent.evalf(15)
            if size.is_real and abs(size) > limits.max_power:
                raise LimitError(f"the exponent {people_text(exponent)} is too large", _column(op))
        # the number SymPy would compute at once: a rational base, or the coefficient of a product, which an
        # integer power distributes over ((3x)^1000 is 3^1000 x^1000, and ((3x)^1000)^1000 far more)
        coefficient = base if base.is_number else (base.as_coeff_Mul()[0] if base.is_Mul else None)
        if coefficient is not None and coefficient != 0 and exponent.is_Number and abs(exponent) > 64:
            size = abs(sympy.log(abs(coefficient), 2).evalf(15))  # bits of coefficient^n, or of its inverse
            if abs(float(exponent)) * max(float(size), 1) > limits.max_bits:
                raise LimitError("this power makes too large a number", _column(op))
        if exponent.is_Number and exponent.is_negative and base.is_zero:  # the cheap tests first
            raise ParseError("division by zero: 0 to a negative power", _column(op))
        return sympy.Pow(base, exponent)


class _WrittenBuilder(_Builder):
    """The same reading with every sum and product kept as written (written.WrittenAdd/WrittenMul, in
    the order typed; brackets kept around a product, a sum inside a sum is written in line as written.plus
    does): what an output echoes of a person's expression. Only scalars:
    matrices are read as _Builder reads them. Read after the canonical reading has accepted the text,
    so its checks (limits, division by zero) have been made."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open: set[int] = set()  # ids of sums and products built here and not bracketed: a chain extends them

    def _chain(self, kind, a, b):
        items = [*(a.args if isinstance(a, kind) and id(a) in self._open else (a,)), b]
        out = (plus if kind is WrittenAdd else times)(*items)
        self._open.add(id(out))
        return out

    def group(self, *args):
        (inner,) = _values(args)
        self._open.discard(id(inner))
        return inner

    def add(self, a, b):
        if _is_matrix(a) or _is_matrix(b):
            return super().add(a, b)
        return self._chain(WrittenAdd, a, b)

    def sub(self, a, b):
        if _is_matrix(a) or _is_matrix(b):
            return super().sub(a, b)
        return self._chain(WrittenAdd, a, -b if b.is_Number else times(sympy.S.NegativeOne, b))

    def mul(self, *args):
        a, b = _values(args)
        if _is_matrix(a) or _is_matrix(b):
            return super().mul(a, b)
        return self._chain(WrittenMul, a, b)

    def barg(self, *factors):
        return times(*_values(factors))

    def div(self, *args):
        a, b = _values(args)
        if _is_matrix(a) or _is_matrix(b):
            return super().div(a, b)
        below = sympy.Pow(b, sympy.S.NegativeOne, evaluate=False)
        return below if a == 1 else self._chain(WrittenMul, a, below)

    def neg(self, a):
        if _is_matrix(a):
            return super().neg(a)
        return -a if a.is_Number else times(sympy.S.NegativeOne, a)

    def _power(self, base, exponent, op: Token):
        return sympy.Pow(base, exponent, evaluate=False)


# Each builder's methods by the grammar alias they build (the names of the tree's nodes).
_METHODS = {kind: {name: getattr(kind, name) for name in dir(kind)
                   if callable(getattr(kind, name)) and not name.startswith("_") and name not in ("transform", "calls")}
            for kind in (_Builder, _WrittenBuilder)}


def _check_depth(tree: Tree, limits: Limits) -> None:
    """Reject deep nesting before SymPy recurses into it; sums and products may be long, not deep."""
    flat = {"add", "sub", "mul", "div", "barg"}
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        here = depth if node.data in flat else depth + 1
        if here > limits.max_depth:
            raise LimitError(f"the expression is nested more than {limits.max_depth} levels deep")
        stack.extend((child, here) for child in node.children)


_PRETTY = {
    "NUMBER": "a number", "NAME": "a name", "FUNC": "a function", "FNAME": "a function", "LPAR": "'('",
    "RPAR": "')'", "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "POW": "'^'",
    "CARET": "'^'", "COMMA": "','", "LBRACE": "'{'", "RBRACE": "'}'", "VBAR": "'|'",
    "RIGHT_PAREN": "'\\right)'",
}


def _expected(names: Iterable[str]) -> str:
    wanted = sorted({_PRETTY[n] for n in names if n in _PRETTY})
    if not wanted:
        return ""
    shown = [w for w in ("a number", "a name", "a function", "'('") if w in wanted] or wanted
    return f"; expected {' or '.join(shown[:4])}"


def _decimal_comma(text: str, pos: int, column: int | None) -> ParseError | None:
    """0,5 typed for 0.5: a comma between digits where no list of arguments is open."""
    if not (0 < pos < len(text) - 1 and text[pos] == "," and text[pos - 1].isdigit() and text[pos + 1].isdigit()):
        return None
    whole = re.search(r"[\d.]*$", text[:pos]).group()
    fraction = re.match(r"\d*", text[pos + 1:]).group()
    return ParseError(f"'{whole},{fraction}' has a decimal comma: use a decimal point: {whole}.{fraction}", column)


def _translate(err: UnexpectedInput, text: str) -> ParseError:
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        if comma := _decimal_comma(text, err.pos_in_stream, err.column):
            return comma
        if char in "<>":
            return ParseError("a comparison is read only in an indicator such as 1(x > 0) or 1(x >= y)", err.column)
        if char == "\\" and (m := re.match(r"\\operatorname\s*\{([^{}]*)\}", text[err.pos_in_stream:])):
            return ParseError(_unknown_function(m.group(1).replace("\\_", "_").strip()), err.column)
        if char == "\\":
            command = "\\" + "".join(c for c in text[err.pos_in_stream + 1:err.pos_in_stream + 20]
                                     if c.isalpha()).strip()
            return ParseError(f"unknown LaTeX command '{command}'", err.column)
        if char == "!":
            return ParseError("factorials are not supported", err.column)
        return ParseError(f"unexpected character '{char}'", err.column)
    at_end = isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END")
    ending = re.search(r"(?:^|[^A-Za-z0-9_\\])\\?([A-Za-z]+)\s*$", text) if at_end else None
    if ending and ending.group(1) in FUNCTIONS:
        name = ending.group(1)
        return ParseError(f"'{name}' needs an argument: write {name}(x) or {name} x", ending.start(1) + 1)
    if isinstance(err, UnexpectedEOF):
        return ParseError("unexpected end of input" + _expected(err.expected), len(text) + 1)
    if isinstance(err, UnexpectedToken):
        token = err.token
        if token.start_pos is not None and (comma := _decimal_comma(text, token.start_pos, err.column)):
            return comma
        if token.type == "CMP":
            return ParseError("a comparison is read only in an indicator such as 1(x > 0) or 1(x >= y)", err.column)
        previous = err.token_history[-1] if getattr(err, "token_history", None) else None
        if previous is not None and previous.type in ("FNAME", "FUNC"):
            name = _function_name(previous)
            return ParseError(f"'{name}' needs an argument: write {name}(x) or {name} x", _column(previous))
        if token.type == "$END":
            return ParseError("unexpected end of input" + _expected(err.expected), len(text.rstrip()) + 1)
        if token.type == "NUMBER" and err.expected and "NUMBER" not in err.expected:
            return ParseError(f"unexpected number '{token}': write '*' to multiply by a number on the right",
                              err.column)
        return ParseError(f"unexpected '{token}'" + _expected(err.expected), err.column)
    return ParseError(str(err).splitlines()[0], getattr(err, "column", None))


def _prepare(text: str, limits: Limits) -> str:
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > limits.max_length:
        raise LimitError(f"the expression is longer than {limits.max_length} characters")
    for column, char in enumerate(text, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") and char not in "\t":
            raise ParseError(f"invisible control character U+{ord(char):04X}", column)
    text = text.translate(_UNICODE)
    if not text.strip():
        raise ParseError("the expression is empty")
    depth = 0
    for column, char in enumerate(text, start=1):
        depth += (char in "({[") - (char in ")}]")
        if depth > limits.max_depth:
            raise LimitError(f"parentheses nested more than {limits.max_depth} deep", column)
    return text


# What students write around an answer: a leading f'(x) =, y' =, dy/dx =, d/dx f =, \frac{dy}{dx} =
# or a bare =, and a trailing = or full stop. An expression never holds '=', so none of this is ambiguous.
_LABEL = re.compile(r"""^\s*(?P<label>
      [A-Za-zα-ωΑ-Ω_][A-Za-z0-9_α-ωΑ-Ω]*'+[^=]*                                     # f'(x), y', sigma'(z)
    | [d∂]\s*[A-Za-zα-ωΑ-Ω_][A-Za-z0-9_]*\s*/\s*[d∂]\s*[A-Za-zα-ωΑ-Ω_][A-Za-z0-9_]*\s*   # dy/dx, ∂f/∂x
    | [d∂]\s*/\s*[d∂]\s*[A-Za-zα-ωΑ-Ω_][A-Za-z0-9_]*[^=]*                              # d/dx f, d/dx (x^2)
    | \\[dt]?frac\s*\{\s*(?:d|\\partial)[^{}]*\}\s*\{[^{}]*\}[^=]*                    # \frac{dy}{dx}, \frac{d}{dx} f
    )?\s*=(?!=)""", re.X)
_TRAILING = re.compile(r"(?:=|(?<![\d.])\.)\s*$")  # 2x = and 2x. (but 2. is the number 2)

# An exponent that is a number followed at once by a name: 2e^2x is 2*e^2*x, not 2*e^(2x).
_EXPONENT_RUN = re.compile(r"(?P<base>[A-Za-z0-9_.]+|\))\s*(?:\^|\*\*)\s*(?P<n>\d+(?:\.\d+)?)"
                           r"(?P<next>[A-Za-zα-ωΑ-Ω_][A-Za-z0-9_α-ωΑ-Ω]*)(?P<call>\s*\()?")


def _blank(text: str, start: int, end: int) -> str:
    """Text with [start, end) made spaces: what is stripped keeps every later column where it was."""
    return text[:start] + " " * (end - start) + text[end:]


def _answer_text(text: str) -> tuple[str, list[str]]:
    """The expression inside what a student typed around it, and the notes saying what was left out."""
    notes = []
    if m := _LABEL.match(text):
        label = (m.group("label") or "").strip()
        notes.append(f"read the answer after '{label} ='" if label else "read the answer after '='")
        text = _blank(text, 0, m.end())
    if m := _TRAILING.search(text):
        notes.append(f"read the answer without the trailing '{m.group().strip()}'")
        text = _blank(text, m.start(), m.end())
    if not text.strip():
        raise ParseError("the expression is empty" + (f" ({notes[0]})" if notes else ""))
    for m in _EXPONENT_RUN.finditer(text):
        base, n, following = m.group("base"), m.group("n"), m.group("next")
        if m.group("call") or following in FUNCTIONS or re.match(r"[eE][-+]?\d", following):
            continue  # x^2 sin(x), and 2e3 is a number
        base = "(...)" if base == ")" else base
        notes.append(f"{base}^{n}{following} is read as {base}^{n}*{following}: the exponent is {n} alone "
                     f"(write {base}^({n}{following}) for the power {n}{following})")
    return text, notes


def _tree(text: str, limits: Limits, latex: bool) -> Tree:
    try:
        tree = _parser("latex.lark" if latex else "expr.lark").parse(text)
    except UnexpectedInput as err:
        raise _translate(err, text) from None
    _check_depth(tree, limits)
    return tree


def parse_tree(text: str, limits: Limits = DEFAULT_LIMITS, latex: bool = False) -> Tree:
    """The checked lark parse tree of ``text`` (for printers that keep the user's own order)."""
    text = _prepare(text, limits)
    tree = _tree(text, limits, latex)
    _Builder(frozenset(), limits, None).calls(tree, text)  # an unknown function is refused here too
    return tree


def read(
    text: str,
    *,
    names: Iterable[str] | None = None,
    variables: Iterable[str] = (),
    latex: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    keep_shape: bool = True,
    matrices: dict | None = None,
    no_derivatives: bool = False,
    written: bool = False,
) -> tuple[sympy.Expr, list[str]]:
    """parse(), also returning the reading rules that applied (to echo with a verdict).

    ``written`` gives the expression as the person wrote it (sums and products in their order and
    brackets, see _WrittenBuilder), for outputs that echo it; the mathematics reads the canonical one.

    ``keep_shape`` keeps 2(x+1) and -(a+b) as written (staging follows the author's shape); a
    check does not need it, and SymPy clears its cache whenever the setting changes. Readings
    without matrices are cached: the same text is read once (SymPy expressions are immutable).
    """
    if written:  # the canonical reading first: it refuses what cannot be read, with its message
        read(text, names=names, variables=variables, latex=latex, limits=limits, keep_shape=keep_shape,
             matrices=matrices, no_derivatives=no_derivatives)
    if not matrices and isinstance(text, str):
        expr, notes = _read_cached(text, None if names is None else frozenset(names), frozenset(variables), latex,
                                   limits, keep_shape, no_derivatives, written)
        return expr, list(notes)
    return _read(text, names, variables, latex, limits, keep_shape, matrices, no_derivatives, written)


@lru_cache(maxsize=4096)
def _read_cached(text, names, variables, latex, limits, keep_shape, no_derivatives, written=False):
    expr, notes = _read(text, names, variables, latex, limits, keep_shape, None, no_derivatives, written)
    return expr, tuple(notes)


# A plain decimal, perhaps negative (-0.39, 233): the commonest answer, read without the grammar.
_PLAIN_NUMBER = re.compile(r"[ \t]*(-?)[ \t]*(\d+\.?\d*|\.\d+)[ \t]*")


def _plain_number(text: str, limits: Limits) -> sympy.Rational | None:
    """The value the grammar and the builder would give a plain decimal (the exact rational it denotes,
    with no reading note), or None for any other text (or one the builder would refuse)."""
    m = _PLAIN_NUMBER.fullmatch(text)
    if m is None or sum(c.isdigit() for c in m.group(2)) > limits.max_digits:
        return None
    value = Fraction(m.group(2))
    number = sympy.Rational(value.numerator, value.denominator)
    return -number if m.group(1) else number


# The checked parse trees of the latest readings: the written reading of a text the canonical reading has
# just read builds from the same tree (the builders do not change a tree once calls() has resolved it).
_TREES: dict[tuple, Tree] = {}
_TREES_KEPT = 4096


def _read(text, names, variables, latex, limits, keep_shape, matrices, no_derivatives, written=False):
    text, notes = _answer_text(_prepare(text, limits))
    if not notes and not matrices and (number := _plain_number(text, limits)) is not None:
        return number, []
    builder = (_WrittenBuilder if written else _Builder)(
        frozenset(variables), limits, None if names is None else frozenset(names), matrices, no_derivatives)
    key = (text, builder.names, builder.variables, latex, limits)
    tree = _TREES.get(key) if written and not matrices else None
    if tree is None:
        tree = _tree(text, limits, latex)
        builder.notes.extend(notes)
        builder.calls(tree, text)
        if not matrices:
            if len(_TREES) >= _TREES_KEPT:
                _TREES.pop(next(iter(_TREES)))
            _TREES[key] = tree
    return _build(builder, tree, keep_shape), builder.notes


def _build(builder: _Builder, tree: Tree, keep_shape: bool = True) -> sympy.Expr:
    try:
        if keep_shape:
            with distribute(False):
                result = builder.transform(tree)
        else:
            result = builder.transform(tree)
    except ParseError:
        raise
    except Exception as err:  # lark wraps errors raised in callbacks
        inner = getattr(err, "orig_exc", err)
        if isinstance(inner, ParseError):
            raise inner from None
        raise ParseError(f"cannot read the expression: {inner}") from None
    if result is TRANSPOSE:
        raise ParseError("'T' is not a name here")
    if not _is_matrix(result) and result.has(sympy.zoo, sympy.nan):
        raise ParseError("the expression is undefined (division by zero)")
    return result


def parse(
    text: str,
    *,
    variables: Iterable[str] = (),
    limits: Limits = DEFAULT_LIMITS,
    names: Iterable[str] | None = None,
    latex: bool = False,
) -> sympy.Expr:
    """Read one expression into SymPy.

    ``variables`` are names that shadow constants (``e``). With ``names``, only those names (and
    ``e``, ``pi``) may appear, and a word that is not one is split into them (``xy`` is x*y).
    ``latex`` selects the LaTeX grammar.
    """
    return read(text, names=names, variables=variables, latex=latex, limits=limits)[0]


def as_written(text: str, *, names: Iterable[str] | None = None, latex: bool = False) -> sympy.Expr:
    """``text`` as the person wrote it: the same expression as parse() gives, its sums and products in the
    order typed (for echoing it: a title, a table's head, "read as")."""
    return read(text, names=names, latex=latex, written=True)[0]
