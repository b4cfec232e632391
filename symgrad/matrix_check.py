"""Matrix answers (W^T d, d h^T, (W^T d) ⊙ sigma'(z), diag(...)): evaluated on random instances of
distinct sizes against the key, so a transpose, a product that does not fit, a sign or a missing
activation derivative is named."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import sympy

from .check import TIME_LIMIT, Reading, Verdict, _is_latex, _OutOfTime, _seed, _time_limit
from .errors import SymgradError
from .parsing.text import read


@dataclass(frozen=True)
class MatrixContext:
    """A matrix problem: the shape of each given quantity (in named dimensions), definitions of the
    derived ones in order (``h = sigma(V x)``), and the sizes to try (distinct, so a transpose shows)."""

    shapes: Mapping[str, tuple[str, str]]  # name -> (rows, cols), each a dimension name or a number
    definitions: tuple[tuple[str, str], ...] = ()
    derivatives: tuple[str, ...] = ()  # definitions that are activation derivatives (Omega, Lambda)
    sizes: tuple[Mapping[str, int], ...] = ({"d0": 3, "d1": 4, "d2": 2}, {"d0": 2, "d1": 3, "d2": 4})


def _instance(ctx: MatrixContext, sizes: Mapping[str, int], rng: random.Random) -> dict[str, sympy.Matrix]:
    def size(d: str) -> int:
        return int(d) if d.isdigit() else sizes[d]

    return {name: sympy.Matrix(size(r), size(c), lambda i, j: sympy.Float(round(rng.uniform(-1, 1), 4), 30))
            for name, (r, c) in ctx.shapes.items()}


def _derive(ctx: MatrixContext, base: dict, no_derivatives: bool = False,
            dropped: tuple[str, ...] = ()) -> dict[str, sympy.Matrix]:
    """The defined quantities in order; the ``dropped`` derivative matrices (Omega) are identities."""
    values = dict(base)
    for name, definition in ctx.definitions:
        value = sympy.ImmutableMatrix(read(definition, names=[], matrices=values, keep_shape=False,
                                           no_derivatives=no_derivatives)[0])
        if name in dropped:
            value = sympy.ImmutableMatrix(sympy.eye(value.rows))
        values[name] = value
    return values


_DERIVATIVE = re.compile(r"(\w+)'\((\w+)\)")  # tanh'(z1) in an Omega's definition


def _activation_slips(ctx: MatrixContext, expected: str, base: dict) -> list[tuple[sympy.Matrix, str, str]]:
    """The key with one layer's activation derivative written wrongly: the function itself where its
    derivative belongs (tanh(z1) for tanh'(z1)), or another activation's derivative (sigmoid'(z1) on a tanh
    layer); each as (its value, the message, the diagnosis)."""
    from .gates import FUNCTIONS

    others = [f.name for f in FUNCTIONS if f.activation]
    out = []
    for name, definition in ctx.definitions:
        m = _DERIVATIVE.search(definition)
        if name not in ctx.derivatives or m is None:
            continue
        act, z = m.groups()
        swaps = [(f"{act}({z})", f"the derivative of {act} is {act}', not {act}: the function was left where its "
                  "derivative belongs", "function for derivative")]
        swaps += [(f"{other}'({z})", f"the layer's activation is {act}, so its derivative is {act}', not {other}'",
                   "wrong activation derivative") for other in others if other != act]
        for replacement, message, diagnosis in swaps:
            slipped = replace(ctx, definitions=tuple((n, d.replace(m.group(0), replacement) if n == name else d)
                                                     for n, d in ctx.definitions))
            try:
                out.append((_matrix_value(expected, _derive(slipped, base)), message, diagnosis))
            except SymgradError:
                continue
    return out


MISSING = ("the activation's derivative is missing: multiply entry by entry by sigma'(z)",
           "missing activation derivative")
_MISTAKES: dict[tuple, list[tuple[sympy.Matrix, str, str]]] = {}


def _mistakes(ident: tuple, expected: str, ctx: MatrixContext, base: dict, values: dict
              ) -> list[tuple[sympy.Matrix, str, str]]:
    """The key's values with each named mistake made, on one instance, in the order they are diagnosed: a
    missing activation derivative (all or one Omega left out), then the activation slips. Worked out when
    a first wrong answer needs them, once per key and instance."""
    found = _MISTAKES.get(ident)
    if found is None:
        found = []
        for drop in [ctx.derivatives, *((d,) for d in ctx.derivatives)]:
            try:
                found.append((_matrix_value(expected, _derive(ctx, base, len(drop) > 1 or not drop, drop),
                                            no_derivatives=True), *MISSING))
            except SymgradError:
                continue
        found.append((_matrix_value(expected, values, no_derivatives=True), *MISSING))
        found += _activation_slips(ctx, expected, base)
        if len(_MISTAKES) > 4096:
            _MISTAKES.clear()
        _MISTAKES[ident] = found
    return found


def _matrix_value(text: str, values: dict, no_derivatives: bool = False, notes: list | None = None) -> sympy.Matrix:
    value, read_notes = read(text, names=[], matrices=values, latex=_is_latex(text), keep_shape=False,
                             no_derivatives=no_derivatives)
    if notes is not None:
        notes.extend(read_notes)
    return value if isinstance(value, sympy.MatrixBase) else sympy.Matrix([[value]])


_PREPARED: dict[tuple, list[tuple[tuple, Mapping[str, int], dict, dict, sympy.Matrix]]] = {}


def _prepared(expected: str, ctx: MatrixContext) -> list[tuple[tuple, Mapping[str, int], dict, dict, sympy.Matrix]]:
    """The key side of a check, the same for every answer to it (its instances are drawn from a seed made of
    the key): per size, the random given quantities, every defined one, and the key's value. Kept per
    process, so a class's answers to one key read the definitions once."""
    ident = (expected, tuple(ctx.shapes.items()), ctx.definitions, ctx.derivatives,
             tuple(tuple(s.items()) for s in ctx.sizes))
    found = _PREPARED.get(ident)
    if found is None:
        rng = random.Random(_seed(expected, ",".join(ctx.shapes)))
        found = []
        for sizes in ctx.sizes:
            base = _instance(ctx, sizes, rng)
            values = _derive(ctx, base)
            try:
                key = _matrix_value(expected, values)
            except SymgradError as err:
                raise SymgradError(f"the key cannot be read: {err}") from None
            found.append(((*ident, len(found)), sizes, base, values, key))
        if len(_PREPARED) > 4096:
            _PREPARED.clear()
        _PREPARED[ident] = found
    return found


def _close(a: sympy.Matrix, k: sympy.Matrix) -> bool:
    return a.shape == k.shape and all(abs(complex(x - y)) <= 1e-20 * max(1.0, abs(complex(y)))
                                      for x, y in zip(_evalf(a), _evalf(k)))


_EVALF: dict[int, tuple[sympy.Matrix, sympy.Matrix]] = {}


def _evalf(m: sympy.Matrix) -> sympy.Matrix:
    """m.evalf(30), worked out once per matrix object: a key's value, its negative and its named
    mistakes are compared with every answer to the key, and an answer's value with each of them."""
    known = _EVALF.get(id(m))
    if known is not None and known[0] is m:
        return known[1]
    if len(_EVALF) > 4096:
        _EVALF.clear()
    value = m.evalf(30)
    _EVALF[id(m)] = (m, value)  # the matrix is kept with its value, so that its id is not reused
    return value


_NEGATED: dict[int, tuple[sympy.Matrix, sympy.Matrix]] = {}


def _negated(key: sympy.Matrix) -> sympy.Matrix:
    """-key, one object per key (so that its value is worked out once, see _evalf)."""
    known = _NEGATED.get(id(key))
    if known is None or known[0] is not key:
        if len(_NEGATED) > 4096:
            _NEGATED.clear()
        known = _NEGATED[id(key)] = (key, -key)
    return known[1]


_WORD_O = re.compile(r"(?<=[\w)\]'])\s+o\s+(?=[\w(\\])")  # W2^T d2 o (1 - a1^2): a matrix answer has no name o


def _spelled_hadamard(answer: str) -> tuple[str, tuple[str, ...]]:
    """The answer with a lone letter o between two factors read as ⊙, and the note that says so."""
    if _is_latex(answer) or not _WORD_O.search(answer):
        return answer, ()
    return _WORD_O.sub(" ⊙ ", answer), ("o between two factors is read as ⊙, the entry-by-entry product",)


def preview_matrix(answer: str, ctx: MatrixContext) -> tuple[str, tuple[str, ...]]:
    """How a matrix answer is read, before it is checked: its LaTeX and the reading rules that applied.
    Raises ParseError (with the column) or a shape error, as the check would."""
    from .parsing.tex import text_to_latex

    answer, spelled = _spelled_hadamard(answer)
    values = _derive(ctx, _instance(ctx, ctx.sizes[0], random.Random(0)))
    notes = read(answer, names=[], matrices=values, latex=_is_latex(answer), keep_shape=False)[1]
    return (answer if _is_latex(answer) else text_to_latex(answer)), (*spelled, *notes)


def check_matrix(expected: str, answer: str, ctx: MatrixContext, *, time_limit: float = TIME_LIMIT) -> Verdict:
    """A matrix answer (W^T d, d h^T, (W^T d) ⊙ sigma'(z), diag(...)) against the key, on random instances
    of distinct sizes; shape mismatches and a missing activation derivative are named."""
    from .parsing.text import ShapeError

    answer, spelled = _spelled_hadamard(answer)
    defined = dict(ctx.definitions)
    if defined.get(answer.strip()) == expected.strip():  # d1 where the key is d1's definition
        return Verdict("incorrect", f"this is the quantity asked for ({answer.strip()}): write it in the "
                       "quantities before it", "quantity asked for", Reading(sympy.Symbol(answer.strip())))
    try:
        with _time_limit(time_limit):
            reading = None
            for ident, sizes, base, values, key in _prepared(expected, ctx):
                notes: list[str] = []
                try:
                    value = _matrix_value(answer, values, notes=notes)
                except ShapeError as err:
                    return Verdict("incorrect", f"the shapes do not fit: {err.problem}", "shape mismatch")
                if reading is None:  # the reading rules that applied, echoed with the verdict (a1^2 entry by entry)
                    reading = Reading(sympy.Symbol(answer.strip()), (*spelled, *notes))
                if value.shape != key.shape:
                    if value.shape == key.shape[::-1] and _close(value.T, key):
                        return Verdict("incorrect", f"your answer is {value.rows}×{value.cols} but the key is "
                                       f"{key.rows}×{key.cols}: it is transposed", "transposed", reading)
                    return Verdict("incorrect", f"your answer is {value.rows}×{value.cols} but the key is "
                                   f"{key.rows}×{key.cols}", "shape mismatch", reading)
                if not _close(value, key):
                    if _close(value, _negated(key)):
                        return Verdict("incorrect", "the sign is wrong", "sign error", reading)
                    for wrong, message, diagnosis in _mistakes(ident, expected, ctx, base, values):
                        if _close(value, wrong):
                            return Verdict("incorrect", message, diagnosis, reading)
                    return Verdict("incorrect", "your answer differs from the key on a random instance "
                                   f"({', '.join(f'{k} = {v}' for k, v in sizes.items())})", "differs", reading)
            return Verdict("correct", f"correct (agrees with the key on {len(ctx.sizes)} random instances)",
                           None, reading)
    except _OutOfTime:
        return Verdict("undecided", f"the check reached its time limit ({time_limit:g} s)")
    except SymgradError as err:
        if str(err).startswith("the key cannot be read"):
            raise
        return Verdict("invalid", str(err))
    except RecursionError:
        return Verdict("invalid", "the answer is nested too deeply to read")
