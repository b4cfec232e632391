"""Moodle XML: numerical and multiple-choice questions, one per variant in a category per problem."""

from __future__ import annotations

import html
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from ..printing import latex
from .bank import Problem, variant
from .distractors import distractors, feedback
from .keys import Key, problem_keys
from .views import view

NAMESPACE = uuid.UUID("6f1c2e4a-7d1b-4c8e-9a55-3b0d2f6e8a10")  # symgrad's: question uuids are stable


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(node, "text").text = value
    return node


def _math(tex: str) -> str:
    return rf"\({tex}\)"


def _html_of(problem: Problem) -> tuple[str, str]:
    """The statement with its questions, and the solutions, as HTML with MathJax delimiters."""
    v = view(problem)
    statement = _mathjax(v.statement)
    questions = "".join(f"<p>({p.label}) {_mathjax(p.question)}</p>" for p in v.parts)
    solution = "".join(f"<p>({p.label}) " + ", ".join(_math(a) for a in p.answer) + "</p>" for p in v.parts)
    return f"<p>{html.escape(statement)}</p>{questions}", solution


def _mathjax(tex: str) -> str:
    """Worksheet prose as HTML: text escaped, $...$ as MathJax's \\(...\\)."""
    pieces = re.split(r"\$([^$]*)\$", tex)
    return "".join(_math(html.escape(p, quote=False)) if i % 2 else html.escape(p, quote=False)
                   for i, p in enumerate(pieces))


def _tolerance(key: Key) -> float:
    decimals = getattr(key.context, "tolerance", None)
    if decimals is not None and decimals.decimals is not None:
        return 0.5 * 10 ** -decimals.decimals
    return 1e-9


def moodle_xml(problems: list[Problem], variants: int, seed: int = 0) -> str:
    """A Moodle XML quiz: per problem a category, per variant and gradable item a question."""
    quiz = ET.Element("quiz")
    for problem in problems:
        category = ET.SubElement(quiz, "question", {"type": "category"})
        _text(category, "category", f"$course$/symgrad/{problem.id}")
        for number in range(1, variants + 1):
            student = f"{number:03d}"
            mine = variant(problem, seed, student)
            statement, solution = _html_of(mine)
            for item, key in problem_keys(mine).items():
                if isinstance(key.expected, str) or key.array is not None:
                    continue  # matrix answers need symgrad's checker: PrairieLearn, not Moodle
                numeric = key.expected.is_number
                question = ET.SubElement(quiz, "question", {"type": "numerical" if numeric else "multichoice"})
                _text(question, "name", f"{problem.id} variant {student} {item}")
                ask = f"{statement}<p>Your answer for <b>{html.escape(item)}</b>:</p>"
                _text(question, "questiontext", ask, "html")
                _text(question, "generalfeedback", solution, "html")
                ET.SubElement(question, "defaultgrade").text = "1"
                ET.SubElement(question, "penalty").text = "0.3333333"
                ET.SubElement(question, "hidden").text = "0"
                if numeric:
                    answer = _text(question, "answer", repr(float(key.expected)))
                    answer.set("fraction", "100")
                    ET.SubElement(answer, "tolerance").text = repr(_tolerance(key))
                    _text(answer, "feedback", "Correct.")
                    units = ET.SubElement(question, "unitgradingtype")
                    units.text = "0"
                else:
                    ET.SubElement(question, "single").text = "true"
                    ET.SubElement(question, "shuffleanswers").text = "true"
                    ET.SubElement(question, "answernumbering").text = "abc"
                    right = _text(question, "answer", _math(latex(key.expected)), "html")
                    right.set("fraction", "100")
                    _text(right, "feedback", "Correct.")
                    for mistake, wrong in distractors(key):
                        answer = _text(question, "answer", _math(latex(wrong)), "html")
                        answer.set("fraction", "0")
                        _text(answer, "feedback", f"Not quite: {feedback(mistake)}.")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def write(problems: list[Problem], out: Path, *, variants: int, seed: int, warn) -> list[Path]:
    out.write_text(moodle_xml(problems, variants, seed), encoding="utf-8")
    return [out]


def question_count(xml_text: str) -> dict[str, int]:
    root = ET.fromstring(xml_text)
    counts: dict[str, int] = {}
    for q in root.iter("question"):
        counts[q.get("type")] = counts.get(q.get("type"), 0) + 1
    return counts

