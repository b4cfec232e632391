"""What the scalar views share: a question's own symbols in every formula of its solution (s for the
sigmoid where the question says s), and the footnotes where a problem corrects a slip of its seed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..parsing.tex import prose_to_latex, text_to_latex
from ..passes import Value
from ..printing import latex_name, tex_text
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


def note_latex(note: str, variables: Iterable[str]) -> str:
    """An engine's note (plain text, as the CLI prints it) for a document: a point's values (x = 1), the
    problem's variables and a change of size (-2ε) set in math, the rest escaped as text."""
    names = sorted(set(variables), key=len, reverse=True)
    pattern = re.compile(r"(?P<ind>\b1\((\w+) (>=|>) (\w+)\))"
                         r"|(?P<eq>\b[A-Za-z]\w*\s*=\s*-?\d[\d./]*)|(?P<eps>-?(?:\([\d./]+\)|\d[\d.]*)?ε)"
                         + (r"|(?P<var>\b(?:" + "|".join(map(re.escape, names)) + r")\b)" if names else ""))
    out, last = [], 0
    for m in pattern.finditer(note):
        out.append(tex_text(note[last:m.start()]))
        if m.group("ind"):  # the indicator 1(x >= y), as the printer writes it
            a, op, b = m.group(2), {">=": r"\geq", ">": ">"}[m.group(3)], m.group(4)
            out.append(rf"$\mathbf{{1}}\left({latex_name(a)} {op} {latex_name(b)}\right)$")
        elif m.lastgroup == "eq":
            name, value = (s.strip() for s in m.group(0).split("="))
            out.append(f"${latex_name(name)} = {text_to_latex(value)}$")
        elif m.lastgroup == "eps":
            factor = m.group(0)[:-1]
            out.append(f"${'-' if factor == '-' else text_to_latex(factor) if factor else ''}\\varepsilon$")
        else:
            out.append(f"${latex_name(m.group(0))}$")
        last = m.end()
    return "".join(out) + tex_text(note[last:])
