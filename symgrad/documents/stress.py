"""Stress test of a bank, as R/exams does for its exercises, checked by our own engine: many variants
of each problem, each solved, rendered and numerically checked, with the failures' seeds; the size of
each problem's variant space and the draws its constraints rejected, by constraint."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ..errors import SymgradError
from ..printing import format_number
from .bank import Problem, variant
from .keys import problem_keys
from .variants import Space, variant_space
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
