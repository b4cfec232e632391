"""Stress test of a bank, as R/exams does for its exercises, checked by our own engine: many variants
of each problem, each solved, rendered and numerically checked, with the failures' seeds; the size of
each problem's variant space and the draws its constraints rejected, by constraint."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import SymgradError
from ..printing import format_number
from .bank import Problem, _constraints, judge, variant
from .keys import problem_keys
from .variants import (
    EXACT_LIMIT,
    SAMPLES,
    TRIES,
    Space,
    _family_expressions,
    _Script,
    concretize,
    is_random,
    rng_for,
)
from .views import view


@dataclass
class Report:
    problem: str
    variants: int = 0
    distinct: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (student id that reproduces it, why)
    low: float | None = None
    high: float | None = None
    seconds: float = 0.0
    space: Space | None = None  # distinct variants the problem can make (counted, or estimated)
    rejected: Counter = field(default_factory=Counter)  # constraint -> draws it rejected

    def line(self) -> str:
        span = "symbolic" if self.low is None else f"{format_number(self.low)} to {format_number(self.high)}"
        each = 1000 * self.seconds / max(1, self.variants)
        space = "?" if self.space is None else str(self.space)
        why = ", ".join(f"{name} {n}" for name, n in sorted(self.rejected.items(), key=lambda kv: (-kv[1], kv[0])))
        return (f"{self.problem:24} {self.variants:6d} variants  {self.distinct:6d} distinct  space {space:>15}  "
                f"{len(self.failures):4d} failures  answers {span:>22}  {each:7.1f} ms each  "
                f"rejected {sum(self.rejected.values())}" + (f" ({why})" if why else ""))


def _one(problem: Problem) -> list[float]:
    """Solve and render one variant, run its numeric check; its numeric answers."""
    view(problem)  # builds every solution (derivations check themselves)
    if problem.kind == "staged" and problem.point:
        result = problem.solution().check(samples=1)
        if not result.ok:
            raise SymgradError(f"finite differences disagree (relative error {result.max_rel_error:.1e})")
    numbers = []
    for k in problem_keys(problem).values():
        if k.array is not None:
            numbers += [float(e) for e in k.array]
        elif not isinstance(k.expected, str) and k.expected.is_number:
            numbers.append(float(k.expected))
    return numbers


def stress(problems: list[Problem], n: int, seed: int = 0) -> list[Report]:
    reports = []
    for problem in problems:
        report = Report(problem.id)
        seen = set()
        accepted = 0
        start = time.perf_counter()
        for i in range(n):
            student = f"{i:04d}"
            try:
                v = variant(problem, seed, student, report.rejected)
                accepted += 1
                seen.add(repr(sorted((k, str(val)) for k, val in v.data.items())))
                numbers = _one(v)
            except SymgradError as err:
                report.failures.append((student, str(err)))
                if "no variant meets its constraints" in str(err):
                    break  # it would say the same for every student
                continue
            except Exception as err:  # noqa: BLE001 - a stress test reports what breaks
                report.failures.append((student, f"{type(err).__name__}: {err}"))
                continue
            report.variants += 1
            if numbers:
                report.low = min(numbers) if report.low is None else min(report.low, *numbers)
                report.high = max(numbers) if report.high is None else max(report.high, *numbers)
        report.distinct = len(seen)
        report.seconds = time.perf_counter() - start
        try:  # counted where it is small, else estimated from this run's share of accepted draws
            report.space = variant_space(problem.raw, problem.file,
                                         drawn=(accepted, accepted + sum(report.rejected.values())))
        except SymgradError as err:
            report.failures.append(("-", f"variant space: {err}"))
        reports.append(report)
    return reports


def variant_space(raw: Mapping | None, path: str = "", at_least: int | None = None,
                  drawn: tuple[int, int] | None = None) -> Space:
    """How many distinct variants a problem's YAML makes: 1 without random fields; counted exactly where
    the product of its spec sizes (params, numbers, family expressions) is at most EXACT_LIMIT, each draw
    checked against the constraints; else that product times the share of draws meeting the constraints,
    from ``drawn`` = (accepted, tried) when the caller has drawn (a stress test) or from SAMPLES draws.
    With ``at_least``, a space that is plainly larger (the product is TRIES times it: a problem that
    rejects more often than that could not be drawn) is not sampled, and sampling stops once the space
    is known to hold at least that many."""
    if raw is None or not is_random(raw):
        return Space(1)
    pid = str(raw.get("id"))
    constraints = _constraints(raw, path)
    plain = {k: v for k, v in raw.items() if k != "family"}
    script = _Script()
    concretize(plain, script)
    sizes = script.sizes
    family = _family_expressions(raw["family"], f"problem '{pid}': family") if "family" in raw else [None]
    product = len(family) if isinstance(family, list) else family
    for n in sizes:
        product *= n
    if at_least is not None and product >= at_least * TRIES:
        return Space(product, exact=False)
    if product <= EXACT_LIMIT and isinstance(family, list):
        import itertools

        seen = set()
        for choices in itertools.product(*(range(n) for n in sizes)):
            base = concretize(plain, _Script(choices))
            for expression in family:
                concrete = base if expression is None else {**base, "expression": expression}
                if judge(concrete, path, 0, constraints)[1] is None:
                    seen.add(repr(sorted((k, repr(v)) for k, v in concrete.items())))
        return Space(len(seen))
    if drawn is None:
        rng = rng_for("variant space", "", pid)
        accepted = tried = 0
        while tried < SAMPLES:
            accepted += judge(concretize(raw, rng), path, 0, constraints)[1] is None
            tried += 1
            if at_least is not None and product * accepted >= at_least * SAMPLES:
                break  # at least at_least even if every draw still to come failed
        drawn = (accepted, tried)
    accepted, tried = drawn
    return Space(product * max(accepted, 0.5) / max(tried, 1), exact=False)


def too_few_variants(problems, n: int) -> list[str]:
    """A warning for each problem that makes fewer than ``n`` distinct variants (a class of n students, or
    n variants exported): "only 12 distinct variants of v-multivariate (20 asked)"; a problem without
    random fields makes 1."""
    messages = []
    for problem in problems:
        space = variant_space(problem.raw, problem.file, at_least=n)
        if space < n:
            why = " (it draws nothing at random)" if problem.raw is None else f" ({n} asked)"
            messages.append(f"only {space} distinct variant{'' if space == 1 else 's'} of {problem.id}{why}")
    return messages
