"""What the scalar views share: a question's own symbols in every formula of its solution (s for the
sigmoid where the question says s), and the footnotes where a problem corrects a slip of its seed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..parsing.tex import prose_to_latex
from ..passes import Value
from ..steps import Derivation
from .bank import Problem
from .layout import Block, PartView, exact_and_number, number


@dataclass
class Correction(Block):
    """A footnote on a seed slip that this problem corrects: a text block, marked as a correction."""


def correction_blocks(problem: Problem, part: str) -> list[Block]:
    """The footnote the bank's ``corrections`` field gives for this part, if any."""
    note = problem.corrections.get(part)
    if not note:
        return []
    return [Correction("text", [r"{\footnotesize\textsuperscript{\dag}\,\textit{Correction to the seed.} "
                                + prose_to_latex(note) + "}"])]


def noted(problem: Problem, part: str, view: PartView) -> PartView:
    """The part's view with the correction footnote, if the bank gives one, at the end of its solution."""
    view.solution.extend(correction_blocks(problem, part))
    return view


def derivation_block(d: Derivation, names: Mapping[str, str]) -> Block:
    """A derivation as the solutions show it, in the question's own symbols (s for the sigmoid)."""
    return Block("derivation", d.latex(names=names))


def value_cell(value: Value | None, names: Mapping[str, str]) -> str:
    """A value in a table, in the question's symbols: sigma(1) ≈ 0.7311 reads s(1) ≈ 0.7311."""
    return exact_and_number(value, names)


def answer_number(value: Value | None, names: Mapping[str, str]) -> str:
    """An answer as the seeds round it, in the question's symbols."""
    return number(value, names=names)
