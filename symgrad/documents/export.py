"""Exports that import into the systems courses use: Moodle XML (numerical and multiple-choice
questions, one per variant in a category per problem) and PrairieLearn question folders whose
server.py calls symgrad to generate a variant and to grade."""

from __future__ import annotations

import html
import json
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
                if isinstance(key.expected, str):
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


SERVER = '''"""PrairieLearn question {pid}, written by symgrad: symgrad draws the variant and grades the answers."""

from symgrad.grade import verdict_for
from symgrad.documents.keys import problem_keys
from symgrad.documents.bank import load_problem, variant

PROBLEM = load_problem({pid!r}, {bank!r})


def generate(data):
    mine = variant(PROBLEM, 0, str(data["variant_seed"]))
    data["params"]["student"] = str(data["variant_seed"])
    data["params"]["items"] = [item for item, key in problem_keys(mine).items()]
    for item, key in problem_keys(mine).items():
        data["correct_answers"][item] = key.expected if isinstance(key.expected, str) else str(key.expected)


def grade(data):
    mine = variant(PROBLEM, 0, data["params"]["student"])
    for item, key in problem_keys(mine).items():
        answer = data["submitted_answers"].get(item, "")
        verdict = verdict_for(key, str(answer))
        data["partial_scores"][item] = {{"score": 1.0 if verdict.verdict == "correct" else 0.0,
                                         "feedback": verdict.message}}
    scores = [p["score"] for p in data["partial_scores"].values()]
    data["score"] = sum(scores) / len(scores) if scores else 0.0
'''


def prairielearn(problems: list[Problem], out: Path) -> list[Path]:
    """One question folder per problem: info.json, question.html, server.py."""
    written = []
    for problem in problems:
        folder = out / problem.id
        folder.mkdir(parents=True, exist_ok=True)
        info = {"uuid": str(uuid.uuid5(NAMESPACE, problem.id)), "title": problem.title, "topic": "Backpropagation",
                "tags": ["symgrad", problem.kind], "type": "v3"}
        items = list(problem_keys(problem))
        inputs = "".join(f'<pl-string-input answers-name="{html.escape(i)}" label="{html.escape(i)}">'
                         f"</pl-string-input>\n" for i in items)
        statement, _ = _html_of(problem)
        files = {
            "info.json": json.dumps(info, indent=2) + "\n",
            "question.html": f"<pl-question-panel>\n{statement}\n</pl-question-panel>\n{inputs}",
            "server.py": SERVER.format(pid=problem.id, bank=[str(Path(problem.file).resolve())]
                                       if Path(problem.file).is_file() else []),
        }
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
    return written


def question_count(xml_text: str) -> dict[str, int]:
    root = ET.fromstring(xml_text)
    counts: dict[str, int] = {}
    for q in root.iter("question"):
        counts[q.get("type")] = counts.get(q.get("type"), 0) + 1
    return counts

