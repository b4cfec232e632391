"""Expression or staged program -> Graph: ordered stages, one gate each, shared subexpressions once.

Staging walks the SymPy tree once, bottom-up, and asks the gate table for each node's gate;
granularity decides how far composite gates are split (fine: every primitive, as the seed's
sigmoid circuit; coarse: sigmoid and dot products whole, as the seed's pseudocode). Names are
given afterwards by naming.py, so the shape of a graph never depends on its names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import sympy
from sympy import Expr, S, Symbol
from sympy.printing.str import StrPrinter

from .errors import StagingError
from .gates import FUNCTION_GATES, gate
from .naming import assign_names
from .parsing import Assignment, Program, natural_key, symbol
from .parsing.program import check_name
from .printing import text as people_text
from .written import put

Granularity = Literal["fine", "coarse"]
GRANULARITIES = ("fine", "coarse")

Ref = int | str  # a stage number while staging, or an input's name


@dataclass(frozen=True)
class Stage:
    """One named intermediate variable: ``name = expr``, computed by gate ``op`` from ``args``."""

    name: str
    op: str
    args: tuple[str, ...]
    params: tuple[Expr, ...]
    expr: Expr  # the definition in the symbols of args, e.g. g*z
    shown: Expr | None = field(default=None, compare=False)  # the author's line as written, when it is this stage

    @property
    def written(self) -> Expr:
        """The definition as outputs print it: the author's own line (num·invden) where there is one."""
        return self.expr if self.shown is None else self.shown

    @property
    def label(self) -> str:
        """The text on this gate in a graph picture ("+", "*-1", "exp", "1/x", ...)."""
        return gate(self.op).label(self.params)


@dataclass(frozen=True)
class Graph:
    """A computation as ordered stages; every arg of a stage is an input or an earlier stage."""

    inputs: tuple[str, ...]
    stages: tuple[Stage, ...]
    output: str
    symbols: Mapping[str, Symbol] = field(repr=False)  # every node's name -> its SymPy symbol
    source: Expr = field(repr=False)  # the whole computation in the inputs alone
    shown: Expr | None = field(default=None, repr=False, compare=False)  # the source as the author wrote it

    @property
    def written(self) -> Expr:
        """The whole computation as outputs print it: in the author's order where it came from text."""
        return self.source if self.shown is None else self.shown

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)

    def sym(self, name: str) -> Symbol:
        return self.symbols[name]

    def consumers(self) -> dict[str, tuple[str, ...]]:
        """For each node, the stages that read it, in stage order (fan-out shows here)."""
        readers: dict[str, list[str]] = {n: [] for n in (*self.inputs, *(s.name for s in self.stages))}
        for s in self.stages:
            for a in dict.fromkeys(s.args):
                readers[a].append(s.name)
        return {n: tuple(r) for n, r in readers.items()}


@dataclass(frozen=True)
class RawStage:
    """A stage before naming: arguments are stage numbers or input names."""

    op: str
    args: tuple[Ref, ...]
    params: tuple[Expr, ...]
    name: str | None = None  # a name the user gave (staged programs)


class _Stager:
    """Builds RawStages bottom-up from SymPy trees, sharing equal subtrees (a DAG, not a tree)."""

    def __init__(self, granularity: Granularity, known: Mapping[Symbol, Ref]):
        if granularity not in GRANULARITIES:
            raise StagingError(f"granularity must be one of {', '.join(GRANULARITIES)}, not '{granularity}'")
        self.fine = granularity == "fine"
        self.stages: list[RawStage] = []
        self.memo: dict[Expr, Ref] = dict(known)
        self.keys: dict[tuple, int] = {}
        # facts about each distinct subexpression, computed once: a deep network's loss is a DAG whose
        # tree (every path written out) is exponentially larger, so nothing may walk the tree
        self.variable: dict[Expr, bool] = {}

    # -- helpers ---------------------------------------------------------------
    def emit(self, op: str, args: tuple[Ref, ...], params: tuple = ()) -> int:
        key = (op, args, params)
        if key in self.keys:  # the same gate on the same nodes is the same value
            return self.keys[key]
        self.stages.append(RawStage(op, args, tuple(sympy.Integer(p) if isinstance(p, int) else p for p in params)))
        self.keys[key] = len(self.stages) - 1
        return self.keys[key]

    def chain(self, op: str, refs: list[Ref], params: tuple) -> Ref:
        """Combine refs with a binary gate (fine) or one n-ary gate (coarse)."""
        if len(refs) == 1:
            return refs[0]
        if not self.fine:
            return self.emit(op, tuple(refs), params)
        acc = refs[0]
        for r in refs[1:]:
            acc = self.emit(op, (acc, r), params)
        return acc

    @staticmethod
    def ordered(terms) -> list[Expr]:
        """Compound terms before plain names, as the seeds write h + x and g * z."""
        return sorted(terms, key=lambda t: 0 if not t.is_Symbol else 1)

    # -- the walk --------------------------------------------------------------
    def node(self, expr: Expr) -> Ref:
        """The ref of the stage (or input) computing expr; expr must depend on some input."""
        if expr in self.memo:
            return self.memo[expr]
        if expr.is_Symbol:
            self.memo[expr] = expr.name
            return expr.name
        handler = self.HANDLERS.get(type(expr).__name__)
        if handler is None:
            handler = _Stager._function if type(expr) in FUNCTION_GATES else None
        if handler is None:
            raise StagingError(
                f"cannot stage '{expr.func.__name__}' in {people_text(expr)}: no gate for it"
            )
        ref = handler(self, expr)
        self.memo[expr] = ref
        return ref

    def constant(self, expr: Expr) -> bool:
        """No free symbol in expr (as ``not expr.free_symbols``), each distinct node visited once."""
        return not _has_variable(expr, self.variable)

    @staticmethod
    def order_key(pair: tuple[Expr, Expr]) -> tuple[Expr, Expr]:
        """The two factors of a product as ``sorted(pair, key=natural_key(str(.)))`` orders them,
        without printing a compound factor when its first characters decide against a name: the
        printed text of a deep network's activation is as long as its tree, which grows as a power
        of the width."""
        swap = _head_order(*pair)
        if swap is None:
            return tuple(sorted(pair, key=lambda a: natural_key(str(a))))  # type: ignore[return-value]
        return (pair[1], pair[0]) if swap else pair

    def _add(self, expr: Expr) -> Ref:
        const = sum((t for t in expr.args if self.constant(t)), S.Zero)
        terms = [t for t in expr.args if not self.constant(t)]
        if len(terms) > 1 and all(t.could_extract_minus_sign() for t in terms) and const == 0:
            return self.emit("neg", (self.node(-expr),))  # -(a + b) stays one negation
        if not self.fine and self._is_dot(terms):
            return self._dot(terms, const)
        positive = [t for t in terms if not t.could_extract_minus_sign()]
        negative = [-t for t in terms if t.could_extract_minus_sign()]
        if positive:
            acc = self.chain("add", [self.node(t) for t in self.ordered(positive)], (S.Zero,))
        else:
            acc = self.emit("neg", (self.node(negative.pop(0)),))
        for t in negative:
            acc = self.emit("sub", (acc, self.node(t)))
        if const != 0:
            acc = self.emit("add", (acc,), (const,))
        return acc

    def _is_dot(self, terms: list[Expr]) -> bool:
        products = [t for t in terms if t.is_Mul and len(t.args) == 2 and not any(self.constant(a) for a in t.args)]
        singles = [t for t in terms if not t.is_Mul and not t.could_extract_minus_sign()]
        return len(products) >= 2 and len(products) + len(singles) == len(terms)

    def _dot(self, terms: list[Expr], const: Expr) -> Ref:
        products = [t for t in terms if t.is_Mul]
        singles = [t for t in terms if not t.is_Mul]
        args: list[Ref] = []
        for p in products:
            left, right = self.order_key(p.args)
            args += [self.node(left), self.node(right)]
        args += [self.node(s) for s in singles]
        return self.emit("dot", tuple(args), (len(products), const))

    def _mul(self, expr: Expr) -> Ref:
        coeff = sympy.Mul(*(a for a in expr.args if self.constant(a)))
        factors = [a for a in expr.args if not self.constant(a)]
        if coeff == -1:
            rest = sympy.Mul(*factors)
            return self.emit("neg", (self.node(rest),))
        # x * (1/y): the numerator first, then reciprocals, as the seed writes num * invden
        def is_reciprocal(f: Expr) -> bool:
            return f.is_Pow and f.exp == -1

        ordered = self.ordered([f for f in factors if not is_reciprocal(f)])
        ordered += [f for f in factors if is_reciprocal(f)]
        acc = self.chain("mul", [self.node(f) for f in ordered], (S.One,))
        if coeff != 1:
            acc = self.emit("mul", (acc,), (coeff,))
        return acc

    def _pow(self, expr: Expr) -> Ref:
        base, exponent = expr.args
        if self.constant(exponent):
            if not self.fine and exponent == -1 and self._sigmoid_arg(base) is not None:
                return self.emit("sigmoid", (self.node(self._sigmoid_arg(base)),))
            if exponent == -1:
                return self.emit("reciprocal", (self.node(base),))
            if exponent == S.Half:
                return self.emit("sqrt", (self.node(base),))
            return self.emit("pow", (self.node(base),), (exponent,))
        if self.constant(base):
            return self.emit("cpow", (self.node(exponent),), (base,))
        return self.emit("powv", (self.node(base), self.node(exponent)))

    @staticmethod
    def _sigmoid_arg(base: Expr) -> Expr | None:
        """u when base is 1 + exp(-u), so 1/base is the sigmoid s(u) (coarse staging)."""
        if base.is_Add and len(base.args) == 2 and S.One in base.args:
            other = base.args[0] if base.args[1] == 1 else base.args[1]
            if isinstance(other, sympy.exp):
                return -other.args[0]
        return None

    def _function(self, expr: Expr) -> Ref:
        op = FUNCTION_GATES[type(expr)]
        if op == "sigmoid" and self.fine:  # every primitive: *-1, exp, +1, 1/x
            inner = self.node(expr.args[0])
            t = Symbol(f"_stage{inner}") if isinstance(inner, int) else Symbol(inner)
            self.memo.setdefault(t, inner)
            return self.node(1 / (1 + sympy.exp(-t)))
        if op in ("max", "min"):
            if op == "max" and len(expr.args) == 2 and S.Zero in expr.args:
                other = [a for a in expr.args if a != 0][0]
                return self.emit("relu", (self.node(other),))
            variable = [a for a in expr.args if not self.constant(a)]
            consts = tuple(a for a in expr.args if self.constant(a))
            return self.emit(op, tuple(self.node(a) for a in variable), consts)
        if any(not self.constant(a) for a in expr.args[1:]):  # elu(x, a): the slope a is the gate's constant
            raise StagingError(f"{op}: every argument after the first must be a number, not "
                               f"{people_text(expr.args[1])}")
        return self.emit(op, (self.node(expr.args[0]),), tuple(expr.args[1:]))

    HANDLERS = {"Add": _add, "Mul": _mul, "Pow": _pow}


_WALKED = (sympy.Add, sympy.Mul, sympy.Pow, sympy.Function)  # nodes whose free symbols are their args'


def _has_variable(expr: Expr, memo: dict[Expr, bool]) -> bool:
    found = memo.get(expr)
    if found is None:
        if isinstance(expr, _WALKED):
            found = any(_has_variable(a, memo) for a in expr.args)
        else:
            found = bool(expr.free_symbols)
        memo[expr] = found
    return found


def _head(expr: Expr) -> str | None:
    """The first characters of str(expr), when its top node alone fixes them; else None."""
    if expr.is_Symbol:
        return str(expr)
    if expr.is_Pow and expr.exp == -1 and expr.base.is_Add:
        return "1/("  # StrPrinter: 1/(...) for a sum's reciprocal
    if isinstance(expr, sympy.Function) and not hasattr(expr, "_sympystr"):
        for cls in type(expr).__mro__:  # the printer method SymPy's StrPrinter dispatches to
            method = f"_print_{cls.__name__}"
            if hasattr(StrPrinter, method):
                return f"{type(expr).__name__}(" if method == "_print_Function" else None
    return None


def _head_order(first: Expr, second: Expr) -> bool | None:
    """Whether natural_key(str(second)) < natural_key(str(first)), when the heads decide it (one
    factor is a symbol, whose whole text is its name); None when they do not."""
    if first.is_Symbol == second.is_Symbol:
        return None
    h1, h2 = _head(first), _head(second)
    if h1 is None or h2 is None:
        return None
    name, head = (h1, h2) if first.is_Symbol else (h2, h1)
    word = natural_key(name)[0]  # the name up to its first digit: a whole chunk of its key
    if not word or not head:
        return None
    if head[0].isdigit():
        compound_first = True  # the compound's key starts with '' and a name's never does
    elif any(c.isdigit() for c in head):
        return None
    else:
        for a, b in zip(word, head):  # the compound's first chunk starts with head
            if a != b:
                compound_first = b < a
                break
        else:
            if len(word) >= len(head):
                return None
            compound_first = False  # the name's chunk is a proper prefix of the compound's
    return compound_first == first.is_Symbol


def _scan(expr: Expr) -> tuple[set[Symbol], bool]:
    """expr's free symbols, and whether it holds zoo, nan or oo, visiting each distinct node once."""
    symbols: set[Symbol] = set()
    infinite = False
    seen: set[int] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, _WALKED):
            stack.extend(e.args)
        elif e.is_Atom:
            if e.is_Symbol:
                symbols.add(e)
            infinite = infinite or e in (sympy.zoo, sympy.nan, sympy.oo)  # as expr.has(zoo, nan, oo)
        else:
            symbols |= e.free_symbols
            infinite = infinite or e.has(sympy.zoo, sympy.nan, sympy.oo)
    return symbols, infinite


def _inputs_of(expr: Expr, free: set[Symbol] | None = None) -> dict[str, Symbol]:
    symbols = sorted(expr.free_symbols if free is None else free, key=lambda s: natural_key(s.name))
    names: dict[str, Symbol] = {}
    for s in symbols:
        check_name(s.name)  # names become variables of the generated code
        if s.name in names:
            raise StagingError(f"two different symbols are both named '{s.name}'")
        names[s.name] = s
    return names


def stage_expression(
    expr: Expr,
    *,
    names: str = "letters",
    granularity: Granularity = "fine",
    output: str = "f",
) -> Graph:
    """Split a SymPy expression into a Graph of named stages."""
    if not isinstance(expr, Expr):  # text goes through parse(): never sympify a user's string
        raise StagingError(f"expected a SymPy expression, got {type(expr).__name__}: use symgrad.parse for text")
    free, infinite = _scan(expr)
    if infinite:
        raise StagingError(f"{expr!s} is not a finite scalar expression")
    inputs = _inputs_of(expr, free)
    if not inputs:
        raise StagingError(f"{people_text(expr)} has no variables to differentiate with respect to")
    stager = _Stager(granularity, {})
    ref = stager.node(expr)
    raw = list(stager.stages)
    if isinstance(ref, str):  # the expression is a bare input: one identity stage
        raw.append(RawStage("id", (ref,), ()))
        ref = len(raw) - 1
    while output in inputs:  # f(x, f) is unusual but must not clash
        output += "_out"
    return _finish(raw, inputs, ref, expr, names, fixed={ref: output})


def stage_program(
    program: Program,
    *,
    names: str = "letters",
    granularity: Granularity = "coarse",
) -> Graph:
    """Stage a program line by line; each line's result keeps its given name."""
    inputs = {n: symbol(n) for n in program.inputs}
    known: dict[Symbol, Ref] = {sym: name for name, sym in inputs.items()}
    stager = _Stager(granularity, known)
    fixed: dict[int, str] = {}
    full: dict[Symbol, Expr] = {}
    written: dict[Symbol, Expr] = {}  # each name's full expression as the author wrote it
    lines: dict[int, Assignment] = {}
    for line in program.assignments:
        ref = stager.node(line.expr) if line.expr.free_symbols else None
        if ref is None:
            stager.stages.append(RawStage("const", (), (line.expr,)))
            ref = len(stager.stages) - 1
        elif isinstance(ref, str) or ref in fixed:  # an alias of an earlier node
            stager.stages.append(RawStage("id", (ref if isinstance(ref, str) else fixed[ref],), ()))
            ref = len(stager.stages) - 1
        fixed[ref] = line.name
        lines[ref] = line
        stager.memo[symbol(line.name)] = ref
        full[symbol(line.name)] = line.expr.xreplace(full)
        written[symbol(line.name)] = put(line.shown if line.shown is not None else line.expr, written)
    output_ref = next(r for r, n in fixed.items() if n == program.output)
    source = full[symbol(program.output)]
    graph = _finish(stager.stages, inputs, output_ref, source, names, fixed=fixed)
    # a line that is one stage prints as the author wrote it
    stages = tuple(replace(s, shown=lines[i].shown) if i in lines and lines[i].expr == s.expr else s
                   for i, s in enumerate(graph.stages))
    return replace(graph, stages=stages, shown=written[symbol(program.output)])


def _finish(raw, inputs, output_ref, source, names, fixed) -> Graph:
    stage_names = assign_names(raw, list(inputs), fixed, style=names)
    symbols: dict[str, Symbol] = dict(inputs)
    for n in stage_names:
        symbols[n] = symbol(n)

    def name_of(ref: Ref) -> str:
        return ref if isinstance(ref, str) else stage_names[ref]

    stages = []
    for i, r in enumerate(raw):
        args = tuple(name_of(a) for a in r.args)
        expr = gate(r.op).build([symbols[a] for a in args], r.params)
        stages.append(Stage(stage_names[i], r.op, args, r.params, expr))
    return Graph(tuple(inputs), tuple(stages), stage_names[output_ref], symbols, source)
