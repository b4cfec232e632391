"""Moodle XML: per problem a category, per variant and gradeable item a question.

Built on ``questions.py``: a stem shows the problem's statement and data (``given``) and the one
sentence that asks for the item (``ask``), nothing else. A number is a ``numerical`` question with the
key's tolerance, a vector or matrix a Cloze (``multianswer``) question with one NUMERICAL blank per
entry laid out as the matrix, a formula a ``multichoice`` question among formulas (the right one and
the checked distractors). What Moodle cannot grade is named through ``warn``, never dropped silently.
Variant ``i`` is the one student ``00i`` gets from ``symgrad variants --variants N`` with the same seed;
a fixed problem (the seed bank's) is the same for everyone and gives its questions once.
The format's rules (what Moodle's import reads) are in the README's Moodle section and the tests.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from ..printing import latex
from .bank import Problem, variant
from .cohort import numbered
from .distractors import distractors, feedback
from .questions import Question, entry_items, prose_html, questions

CATEGORY = "$course$/top/symgrad/{}"  # "Get category from file" files each problem's questions here
PENALTY = "0.3333333"  # Moodle's own default, one of its grade options: a third off per wrong try
MIN_DISTRACTORS = 2  # a multiple-choice question among fewer than three formulas is a guess


def _math(tex: str) -> str:
    """Inline math in HTML: MathJax's delimiters, the LaTeX escaped (a matrix's & as &amp;)."""
    return rf"\({html.escape(tex, quote=False)}\)"


# --- building the questions ------------------------------------------------------------------------

def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {**({"format": fmt} if fmt else {}), **attrs})
    ET.SubElement(node, "text").text = value
    return node


def _number(value: float) -> str:
    """A plain decimal Moodle reads (its numerical answers and Cloze's NUMBER): repr, never '+' or 'inf'."""
    return repr(float(value))


def _head(quiz: ET.Element, qtype: str, name: str, stem: str, answer: str, item: str) -> ET.Element:
    """The fields every question type reads; tagged with its item, so that a random question can draw
    one item's variants (a random question filtered by the tag grad.W1 within the problem's category)."""
    question = ET.SubElement(quiz, "question", {"type": qtype})
    _text(question, "name", name)
    _text(question, "questiontext", stem, "html")
    _text(question, "generalfeedback", f"<p>The answer: {answer}</p>", "html")
    if qtype != "multianswer":  # a Cloze question's mark is the sum of its blanks' weights
        ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "penalty").text = PENALTY
    ET.SubElement(question, "hidden").text = "0"
    _text(ET.SubElement(question, "tags"), "tag", item)
    return question


def _stem(q: Question, extra: str = "") -> str:
    return f"<p>{prose_html(q.given)}</p><p>{prose_html(q.ask)}{extra}</p>"


def _numerical(quiz: ET.Element, name: str, q: Question) -> None:
    value = float(q.numbers[0, 0])
    question = _head(quiz, "numerical", name, _stem(q), _math(q.answer), q.item)
    right = _text(question, "answer", _number(value), fraction="100")  # first: Moodle grades the first match
    ET.SubElement(right, "tolerance").text = _number(q.bound(value))
    _text(right, "feedback", "Correct.", "html")
    for tag, setting in (("unitgradingtype", "0"), ("unitpenalty", "0.1"), ("showunits", "3"), ("unitsleft", "0")):
        ET.SubElement(question, tag).text = setting


def cloze_blank(value: float, tolerance: float) -> str:
    """One Cloze NUMERICAL blank, {1:NUMERICAL:=value:tolerance}: digits, '.', '-', 'e' only, so nothing
    in it needs Cloze's escaping (}, #, ~)."""
    return f"{{1:NUMERICAL:={_number(value)}:{_number(tolerance)}}}"


def _cloze(quiz: ET.Element, name: str, q: Question) -> None:
    m = q.numbers
    entries = entry_items(q)
    rows = "".join(
        "<tr>" + "".join(f'<td style="padding: 2px 6px;">{cloze_blank(v, q.bound(v))}</td>'
                         for _, _, v in entries[i * m.cols:(i + 1) * m.cols]) + "</tr>"
        for i in range(m.rows))
    shape = f"a {m.rows}×{m.cols} matrix" if m.cols > 1 else f"a vector of {m.rows} entries"
    table = ('<table style="border-collapse: collapse; border-left: 2px solid; border-right: 2px solid;">'
             f"{rows}</table>")
    _head(quiz, "multianswer", name, _stem(q, f" It is {shape}: give each entry as a decimal.") + table,
          _math(q.answer), q.item)


def _multichoice(quiz: ET.Element, name: str, q: Question, wrong: list) -> None:
    question = _head(quiz, "multichoice", name, _stem(q), _math(q.answer), q.item)
    ET.SubElement(question, "single").text = "true"
    ET.SubElement(question, "shuffleanswers").text = "true"
    ET.SubElement(question, "answernumbering").text = "abc"
    _text(question, "correctfeedback", "Correct.", "html")
    _text(question, "partiallycorrectfeedback", "", "html")
    _text(question, "incorrectfeedback", "", "html")
    right = _text(question, "answer", _math(q.answer), "html", fraction="100")
    _text(right, "feedback", "Correct.", "html")
    for mistake, expr in wrong:
        answer = _text(question, "answer", _math(latex(expr)), "html", fraction="0")
        _text(answer, "feedback", f"Not quite: {feedback(mistake)}.", "html")


def moodle_xml(problems: list[Problem], variants: int, seed: int = 0,
               warn: Callable[[str], None] = lambda message: None) -> str:
    """The quiz file: per problem a category and its questions, each item left out named through ``warn``."""
    quiz = ET.Element("quiz")
    for problem in problems:
        category = ET.Element("question", {"type": "category"})
        _text(category, "category", CATEGORY.format(problem.id))
        _text(category, "info", f"symgrad problem {problem.id}: {html.escape(problem.title or '')}", "html")
        made: list[ET.Element] = []
        skipped: dict[str, str] = {}  # item -> why, once for all variants
        few: dict[str, list[str]] = {}  # formula item -> the variants it has too few distractors in
        for student in numbered(variants if problem.randomized else 1):  # a fixed problem: the same for all
            found, cannot = questions(variant(problem, seed, student))
            for s in cannot:
                skipped.setdefault(s.item, s.reason)
            holder = ET.Element("quiz")
            for q in found:
                name = f"{problem.id} variant {student} {q.item}" if problem.randomized else f"{problem.id} {q.item}"
                if q.kind == "array" and q.numbers.shape != (1, 1):
                    _cloze(holder, name, q)
                elif q.kind in ("number", "array"):  # a one-output network's delta is a number
                    _numerical(holder, name, q)
                else:
                    wrong = distractors(q.key)
                    if len(wrong) < MIN_DISTRACTORS:
                        few.setdefault(q.item, []).append(student)
                        continue
                    _multichoice(holder, name, q, wrong)
            made += list(holder)
        for why in dict.fromkeys(skipped.values()):  # one line per reason, its items in the key's order
            items = [item for item, reason in skipped.items() if reason == why]
            warn(f"moodle: {problem.id}: {', '.join(items)} left out: {why}")
        for item, students in few.items():
            warn(f"moodle: {problem.id}: {item} left out of variant(s) {', '.join(students)}: fewer than "
                 f"{MIN_DISTRACTORS} distractors for a multiple-choice question")
        if not made:
            why = "every item is left out (above)" if skipped or few else \
                f"a {problem.kind} problem has no item Moodle can grade (it is answered in words or on paper)"
            warn(f"moodle: {problem.id}: not exported, no category: {why}")
            continue
        quiz.append(category)
        quiz.extend(made)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _serialize(quiz) + "\n"


# --- writing: text in CDATA where escaping would change it, as Moodle's own export does ------------

def _cdata(text: str) -> str:
    if not re.search(r"[<>&]", text):
        return text
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _serialize(node: ET.Element, depth: int = 0) -> str:
    pad = "  " * depth
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in node.attrib.items())
    if len(node):
        inner = "\n".join(_serialize(child, depth + 1) for child in node)
        return f"{pad}<{node.tag}{attrs}>\n{inner}\n{pad}</{node.tag}>"
    return f"{pad}<{node.tag}{attrs}>{_cdata(node.text or '')}</{node.tag}>"


def write(problems: list[Problem], out: Path, *, variants: int, seed: int, warn) -> list[Path]:
    out.write_text(moodle_xml(problems, variants, seed, warn), encoding="utf-8")
    return [out]
