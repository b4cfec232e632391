"""The problem bank: YAML files under problems/, loaded into validated Problem records.

A mistake in a bank file is a BankError naming the file, the problem id and the field, for
example ``problems/seed.yaml: problem 'neuron': field 'point': no value for input x1``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import sympy
import yaml

from ..errors import SymgradError
from ..parsing import is_program, parse, parse_program
from ..parsing.tex import prose_to_latex
from ..steps import IDENTITIES
from .variants import TRIES, VariantError, concretize, constraint_of, is_random, meets_constraints, rng_for


class BankError(SymgradError):
    """A problem bank that cannot be used: the message names the file, the problem and the field."""


@dataclass(frozen=True)
class Problem:
    """One exercise: what it asks (kind and parts) about which data (expression, program, point)."""

    id: str
    title: str
    kind: str
    parts: tuple[str, ...]
    data: Mapping[str, Any] = field(repr=False)
    intro: str = ""
    file: str = ""
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)  # a randomized problem's YAML
    seeds: tuple[str, ...] = ()  # the seed parts it covers, as "002 §2.2(a)"
    symbols: Mapping[str, str] = field(default_factory=dict, repr=False)  # our name -> the question's name
    corrections: Mapping[str, str] = field(default_factory=dict, repr=False)  # part -> footnote on a seed slip

    @property
    def randomized(self) -> bool:
        return self.raw is not None

    @property
    def point(self) -> dict[str, sympy.Expr] | None:
        return self.data.get("point")

    @property
    def network(self):
        """The Network of a network or symmetry problem."""
        return network_of(self.data)

    def instance(self):
        """The network's numbers (W, b, x, y): its own (weights:, b:, x:, y: in the bank) or a nice draw
        from its seed (a variant draws the seed per student). Drawn once per problem."""
        return self._instance

    @cached_property
    def _instance(self):
        from ..nets import nice_instance

        net = self.network
        weights, bias, x, y = nice_instance(net, self.data.get("seed", 0))
        weights = self.data.get("weights", weights)
        bias = self.data.get("b", bias)
        if "x" in self.data:
            x = sympy.Matrix(self.data["x"])
        if "y" in self.data:
            y = sympy.Matrix(self.data["y"])
        return weights, bias, x, y

    def trace(self):
        """Both passes of a network problem on its instance, in 30-digit floats (a worksheet shows four
        digits, and exact sigmoids of sums grow without need). Run once per problem: the variant's
        constraints, its solutions and its key read the same passes."""
        return self._trace

    @cached_property
    def _trace(self):
        from ..nets import run

        weights, bias, x, y = self.instance()
        floats = lambda m: None if m is None else sympy.Matrix(m).applyfunc(lambda e: sympy.Float(e, 30))  # noqa: E731
        return run(self.network, [floats(w) for w in weights], [floats(b) for b in bias], floats(x), floats(y))

    def solution(self):
        """The solved staged problem: its graph, and both passes at its point if it has one.
        (Solves are cached: the worksheet, the key and a stress test ask for the same one.)"""
        from ..solve import solve

        data = self.data
        return solve(data.get("program") or data["expression"], data.get("point"),
                     names=data.get("names", "letters"), granularity=data.get("granularity"))


# -- field checkers: each returns the normalised value or raises ValueError with the reason ---------
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected non-empty text")
    return value.strip()


def _identifier(value: Any) -> str:
    value = _text(value)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value):
        raise ValueError(f"'{value}' is not a valid id (letters, digits, - and _)")
    return value


def _expression(value: Any) -> str:
    text = _text(value)
    parse(text)  # a ParseError says where
    return text


def _program(value: Any) -> str:
    text = _text(value)
    if not is_program(text):
        raise ValueError("expected lines of the form 'name = expression'")
    parse_program(text)
    return text


def _point(value: Any) -> dict[str, sympy.Expr]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("expected a mapping of input names to numbers, like {x: -2, y: 5}")
    point = {}
    for name, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float, str)):
            raise ValueError(f"the value of {name} must be a number like -2, 0.5 or 1/3")
        parsed = parse(str(number))  # 0.5 is the exact 1/2, as on a worksheet
        if parsed.free_symbols:
            raise ValueError(f"the value of {name} must be a number, not '{number}'")
        point[str(name)] = parsed
    return point


def _names(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError("expected a name or a list of names")
    return items


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, not {value!r}")
        return value

    return check


def _whole_numbers(value: Any) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                                           for n in value):
        raise ValueError("expected a list of positive whole numbers, like [8, 10, 10, 3]")
    return value


def _number(value: Any) -> sympy.Expr:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a number like 0.5 or 1/10")
    parsed = parse(str(value))
    if parsed.free_symbols:
        raise ValueError(f"expected a number, not '{value}'")
    return parsed


def _numbers(value: Any) -> list[sympy.Expr]:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a list of numbers")
    return [_number(v) for v in value]


def _matrices(value: Any) -> list:
    """One matrix per layer, each a list of rows of numbers (null for a layer without one)."""
    if not isinstance(value, list) or not value:
        raise ValueError("expected one matrix per layer, each a list of rows like [[1, -2], [0.5, 3]]")
    out = []
    for m in value:
        if m is None:
            out.append(None)
            continue
        rows = m if isinstance(m, list) and m and isinstance(m[0], list) else [[v] for v in (m or [])]
        if not rows or len({len(r) for r in rows}) != 1:
            raise ValueError("expected one matrix per layer, each a list of rows of equal length")
        out.append(sympy.Matrix([_numbers(r) for r in rows]))
    return out


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 1000:
        raise ValueError("expected a whole number from 0 to 1000")
    return value


def _draw_seed(value: Any) -> int:
    """The seed a network's instance is drawn from (a variant draws it per student)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ValueError("expected a whole number from 0 to 2147483647")
    return value


def _activations(value: Any) -> list[str]:
    from ..nets import OUTPUTS

    items = _names(value)
    for a in items:
        if a not in OUTPUTS:
            raise ValueError(f"unknown activation '{a}' (known: {', '.join(OUTPUTS)})")
    return items


def _biases(value: Any) -> bool | list[bool]:
    if isinstance(value, bool) or (isinstance(value, list) and value and all(isinstance(v, bool) for v in value)):
        return value
    raise ValueError("expected true, false, or a list of one true/false per layer")


def _layers(value: Any) -> list:
    from ..nets import parse_layer

    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of layers like 'Conv2d(in_channels=3, out_channels=16, kernel_size=3)'")
    return [parse_layer(v) for v in value]


def _loss(value: Any) -> str:
    from ..nets import LOSSES

    return _choice(*LOSSES)(value)


@dataclass(frozen=True)
class Kind:
    """What a problem kind needs: its fields (checker, required) and the parts it can ask for."""

    fields: Mapping[str, tuple[Callable[[Any], Any], bool]]
    parts: tuple[str, ...]
    needs_point: tuple[str, ...] = ()  # parts that only make sense at a point


_STYLE = (_choice("letters", "indexed", "descriptive"), False)
_GRAIN = (_choice("fine", "coarse"), False)


def _questions(value: Any) -> tuple:
    """A concept problem's questions: each {ask, answer, summary, seeds?, compute?, space?} (seedparts.py)."""
    from .seedparts import questions

    return questions(value, SEED_LABEL)


KINDS: dict[str, Kind] = {
    "staged": Kind(
        {"expression": (_expression, False), "program": (_program, False), "point": (_point, False),
         "names": _STYLE, "granularity": _GRAIN, "function": (_identifier, False)},
        ("graph", "code", "forward", "backward", "values", "gradient", "steps"),
        needs_point=("forward", "backward", "values"),
    ),
    "chain": Kind({"program": (_program, True), "wrt": (_names, True), "point": (_point, False)}, ("derivative",)),
    "multivariate": Kind({"program": (_program, True), "wrt": (_names, True), "point": (_point, False)},
                         ("derivative",)),
    "gradients": Kind({"expression": (_expression, True), "point": (_point, False), "function": (_identifier, False)},
                      ("partials", "gradient", "interpretation"), needs_point=("interpretation",)),
    "identity": Kind({"name": (_choice(*IDENTITIES), True)}, ("derivation",)),
    "derivative": Kind({"expression": (_expression, True), "wrt": (_names, False)}, ("derivative",)),
    "network": Kind(
        {"sizes": (_whole_numbers, True), "activations": (_activations, True), "loss": (_loss, False),
         "biases": (_biases, False), "seed": (_draw_seed, False), "learning_rate": (_number, False),
         "x": (_numbers, False), "y": (_numbers, False), "weights": (_matrices, False), "b": (_matrices, False),
         "figure": (_flag, False)},
        ("total", "model", "params", "shapes", "formulas", "forward", "backward", "step", "output-gradients",
         "zero-init", "neurons", "matrices"),
    ),
    "symmetry": Kind(
        {"sizes": (_whole_numbers, True), "activations": (_activations, True), "loss": (_loss, False),
         "biases": (_biases, False), "init": (_number, True), "steps": (_count, False),
         "learning_rate": (_number, False), "seed": (_draw_seed, False), "x": (_numbers, False),
         "y": (_numbers, False)},
        ("hidden", "random"),
    ),
    "counts": Kind({"sizes": (_whole_numbers, True)}, ("weights", "with-biases")),
    "cnn": Kind({"input": (_whole_numbers, True), "layers": (_layers, True)}, ("shapes", "params")),
    "hadamard": Kind({"a": (_numbers, True), "b": (_numbers, True)}, ("product",)),
    # the seeds' conceptual parts (model answers), the Jacobian chain rule and the multivariate chain rule
    # as a sum over paths: see seedparts.py and seedviews.py
    "concept": Kind({"questions": (_questions, True)}, tuple(f"q{i}" for i in range(1, 13))),
    "jacobian": Kind({"inner": (_program, True), "outer": (_program, True)}, ("rule", "jacobians", "product")),
    "paths": Kind({"program": (_program, True), "wrt": (_names, True), "point": (_point, False)},
                  ("rule", "graph", "derivative")),
}
COMMON = {"id", "title", "kind", "parts", "intro", "constraints", "seeds", "symbols", "corrections"}
SEED_LABEL = re.compile(r"^00[0-4] (§\d(\.\d)?\([a-h]\)|\(\d{1,2}\))$")


def _seeds(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and SEED_LABEL.match(i) for i in items):
        raise ValueError("expected seed labels like \"002 §2.2(a)\" or \"003 (7)\"")
    return tuple(items)


def _symbols(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and
                                                 re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\^(\(\d+\)|\d+))?", v)
                                                 for k, v in value.items()):
        raise ValueError("expected a mapping from our names to the question's, like {sigmoid: s, W1: V, W2: W^(1)}")
    return dict(value)


def _corrections(value: Any, parts: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("expected a mapping from a part to the footnote that corrects the seed")
    for part in value:
        if part not in parts:
            raise ValueError(f"'{part}' is not one of this problem's parts ({', '.join(parts)})")
        prose_to_latex(value[part])
    return dict(value)


def _fail(path: str, pid: str | None, field_name: str | None, reason: str) -> BankError:
    where = f"{path}: problem '{pid}'" if pid else path
    return BankError(f"{where}: field '{field_name}': {reason}" if field_name else f"{where}: {reason}")


def _inputs(data: Mapping[str, Any]) -> list[str]:
    if "program" in data:
        return list(parse_program(data["program"]).inputs)
    return sorted(s.name for s in parse(data["expression"]).free_symbols)


def _check_problem(raw: Any, path: str, index: int) -> Problem:
    if not isinstance(raw, Mapping):
        raise _fail(path, None, None, f"problem {index + 1} is not a mapping of fields")
    try:
        pid = _identifier(raw.get("id"))
    except ValueError as err:
        raise _fail(path, f"#{index + 1}", "id", str(err)) from None
    kind_name = raw.get("kind")
    if kind_name not in KINDS:
        raise _fail(path, pid, "kind", f"expected one of {', '.join(KINDS)}, not {kind_name!r}")
    kind = KINDS[kind_name]
    unknown = set(raw) - COMMON - set(kind.fields)
    if unknown:
        allowed = ", ".join(sorted(COMMON | set(kind.fields)))
        raise _fail(path, pid, sorted(unknown)[0], f"not a field of a {kind_name} problem (fields: {allowed})")
    data: dict[str, Any] = {}
    for name, (check, required) in kind.fields.items():
        if name not in raw:
            if required:
                raise _fail(path, pid, name, f"missing: a {kind_name} problem needs it")
            continue
        try:
            data[name] = check(raw[name])
        except (ValueError, SymgradError) as err:
            raise _fail(path, pid, name, str(err)) from None
    try:
        title = _text(raw.get("title"))
    except ValueError as err:
        raise _fail(path, pid, "title", str(err)) from None
    intro = raw.get("intro", "")
    if not isinstance(intro, str):
        raise _fail(path, pid, "intro", "expected text")
    try:
        prose_to_latex(intro)  # every $...$ span must read as an expression
    except SymgradError as err:
        raise _fail(path, pid, "intro", f"in a $...$ span: {err}") from None
    parts = raw.get("parts")
    if not isinstance(parts, list) or not parts:
        raise _fail(path, pid, "parts", f"expected a list of parts from: {', '.join(kind.parts)}")
    for part in parts:
        if part not in kind.parts:
            raise _fail(path, pid, "parts", f"'{part}' is not a part of a {kind_name} problem "
                        f"(parts: {', '.join(kind.parts)})")
        if part in kind.needs_point and "point" not in data:
            raise _fail(path, pid, "point", f"the part '{part}' needs a point")
    _check_consistency(data, kind_name, path, pid)
    extras: dict[str, Any] = {}
    for name, check in (("seeds", _seeds), ("symbols", _symbols),
                        ("corrections", lambda v: _corrections(v, tuple(parts)))):
        if name in raw:
            try:
                extras[name] = check(raw[name])
            except (ValueError, SymgradError) as err:
                raise _fail(path, pid, name, str(err)) from None
    return Problem(pid, title, kind_name, tuple(parts), data, intro.strip(), path, **extras)


def _check_consistency(data: dict[str, Any], kind: str, path: str, pid: str) -> None:
    if kind in ("network", "symmetry"):
        try:
            net = network_of(data)
        except SymgradError as err:
            raise _fail(path, pid, "sizes", str(err)) from None
        wanted = {"weights": [(n, m) for m, n in zip(net.sizes, net.sizes[1:])],
                  "b": [(n, 1) if has else None for n, has in zip(net.sizes[1:], net.biases)],
                  "x": [(net.sizes[0],)], "y": [(net.sizes[-1],)]}
        for name, shapes in wanted.items():
            if name not in data:
                continue
            given = [len(data[name])] if name in ("x", "y") else data[name]
            got = [(g,) for g in given] if name in ("x", "y") else [None if g is None else g.shape for g in given]
            if got != shapes:
                show = lambda s: ", ".join("none" if t is None else "×".join(map(str, t)) for t in s)  # noqa: E731
                raise _fail(path, pid, name, f"expected {show(shapes)} for this network, not {show(got)}")
    if kind == "cnn":
        from ..nets import trace_shapes

        try:
            trace_shapes(data["input"], data["layers"])
        except SymgradError as err:
            raise _fail(path, pid, "layers", str(err)) from None
    if kind == "hadamard" and len(data["a"]) != len(data["b"]):
        raise _fail(path, pid, "b", f"a has {len(data['a'])} entries and b has {len(data['b'])}")
    if kind == "staged" and ("expression" in data) == ("program" in data):
        raise _fail(path, pid, "expression", "a staged problem needs exactly one of expression and program")
    if "point" in data or "wrt" in data:
        inputs = _inputs(data)
        if "point" in data:
            missing = [n for n in inputs if n not in data["point"]]
            extra = [n for n in data["point"] if n not in inputs]
            if missing:
                raise _fail(path, pid, "point", f"no value for input {', '.join(missing)}")
            if extra:
                raise _fail(path, pid, "point", f"'{extra[0]}' is not an input (inputs: {', '.join(inputs)})")
        for name in data.get("wrt", []):
            if name not in inputs:
                raise _fail(path, pid, "wrt", f"'{name}' is not an input (inputs: {', '.join(inputs)})")


def network_of(data: Mapping[str, Any]):
    """The Network a network or symmetry problem describes."""
    from ..nets import Network

    layers = len(data["sizes"]) - 1
    biases = data.get("biases", True)
    biases = (biases,) * layers if isinstance(biases, bool) else tuple(biases)
    return Network(tuple(data["sizes"]), tuple(data["activations"]), data.get("loss", "squared"), biases)


def load_problem(problem_id: str, bank: Iterable[str | Path] = ()) -> Problem:
    """One problem of a bank (the seed bank by default) by its id."""
    return load_bank(bank, [problem_id])[0]


def load_file(path: str | Path, label: str | None = None) -> list[Problem]:
    """The problems of one YAML bank file: a list, or a mapping with a 'problems' list."""
    label = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise BankError(f"{label}: cannot read it: {err.strerror}") from None
    return load_text(text, label)


def load_text(text: str, label: str) -> list[Problem]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or "not valid YAML"
        raise BankError(f"{label}: not valid YAML{where}: {reason}") from None
    if isinstance(raw, Mapping):
        raw = raw.get("problems")
    if not isinstance(raw, list):
        raise BankError(f"{label}: expected a list of problems (or 'problems:' with a list)")
    return [_load_item(item, label, i) for i, item in enumerate(raw)]


def _load_item(item: Any, path: str, index: int) -> Problem:
    """A fixed problem as it is; a randomized one as its default variant (seed 0, no student)."""
    if isinstance(item, Mapping) and is_random(item):
        return draw_problem(item, path, index, 0, "")
    return _check_problem(item, path, index)


def draw_problem(raw: Mapping, path: str, index: int, seed: int | str, student: str,
                 rejected: Counter | None = None) -> Problem:
    """The variant of a randomized problem for (seed, student): drawn, checked, and redrawn until it
    meets its constraints; a problem no draw can satisfy says so instead of looping. Each rejected
    draw is counted in ``rejected`` under the constraint it failed (variants.constraint_of)."""
    pid = str(raw.get("id"))
    constraints = _constraints(raw, path)
    rng = rng_for(seed, student, pid)
    last = ""
    for _ in range(TRIES):
        try:
            concrete = concretize(raw, rng)
        except VariantError as err:  # a malformed spec: the same for every draw
            raise BankError(f"{path}: {err}") from None
        problem, reason = judge(concrete, path, index, constraints)
        if reason is None:
            kept = replace(problem, raw=raw)
            kept.__dict__.update({k: v for k, v in vars(problem).items() if k.startswith("_")})  # its passes
            return kept
        if rejected is not None:
            rejected[constraint_of(reason)] += 1
        last = reason
    raise BankError(f"{path}: problem '{pid}': no variant meets its constraints in {TRIES} draws "
                    f"(the last one failed because: {last})")


def _constraints(raw: Mapping, path: str) -> Mapping:
    constraints = raw.get("constraints", {}) or {}
    if not isinstance(constraints, Mapping) or set(constraints) - {"nice", "distinct"}:
        raise _fail(path, str(raw.get("id")), "constraints", "expected a mapping with nice and/or distinct "
                    "(true or false)")
    return constraints


def judge(concrete: Mapping, path: str, index: int, constraints: Mapping) -> tuple[Problem | None, str | None]:
    """One concrete draw checked as a problem and against the constraints: (the problem, None) when it is
    a good variant, else (the problem or None, why not)."""
    problem = None
    try:
        problem = _check_problem(concrete, path, index)
        return problem, meets_constraints(problem, constraints)
    except VariantError:
        raise
    except SymgradError as err:  # a draw that divides by zero, leaves the domain, ...
        return problem, str(err) or type(err).__name__


def variant(problem: Problem, seed: int | str, student: str, rejected: Counter | None = None) -> Problem:
    """This problem as the student ``student`` sees it (a fixed problem is the same for everyone)."""
    if problem.raw is None:
        return problem
    return draw_problem(problem.raw, problem.file, 0, seed, student, rejected)


SEED_FILES = ("seeds.yaml", "seeds_networks.yaml", "seeds_concepts.yaml")  # computing first, then the why


def seed_bank_files() -> list[tuple[str, Any]]:
    """The seed bank shipped with symgrad (problems/seeds*.yaml), as (label, resource): the scalar exercises,
    the networks, then the conceptual questions, each file in its own order. Other files there
    (variants.yaml) are banks to name on the command line."""
    bank = files("symgrad.bank")
    found = {p.name: p for p in bank.iterdir() if p.name.startswith("seeds") and p.name.endswith(".yaml")}
    order = [n for n in SEED_FILES if n in found] + sorted(set(found) - set(SEED_FILES))
    return [(f"problems/{name}", found[name]) for name in order]


def load_bank(paths: Iterable[str | Path] = (), only: Iterable[str] | None = None) -> list[Problem]:
    """Problems from the given files (or the seed bank), checked, ids unique, optionally some ids only."""
    problems: list[Problem] = []
    paths = list(paths)
    if paths:
        for p in paths:
            problems += load_file(p)
    else:
        for label, resource in seed_bank_files():
            problems += load_text(resource.read_text(encoding="utf-8"), label)
    seen: dict[str, str] = {}
    for p in problems:
        if p.id in seen:
            raise BankError(f"{p.file}: problem '{p.id}': field 'id': already used in {seen[p.id]}")
        seen[p.id] = p.file
    if only is not None:
        wanted = list(only)
        missing = [i for i in wanted if i not in seen]
        if missing:
            raise BankError(f"--only: no problem '{missing[0]}' in the bank (ids: {', '.join(seen)})")
        problems = [p for p in problems if p.id in wanted]
    return problems
