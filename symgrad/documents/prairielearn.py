"""PrairieLearn question folders whose server.py calls symgrad to generate a variant and to grade."""

from __future__ import annotations

import html
import json
import uuid
from pathlib import Path

from .bank import Problem
from .keys import problem_keys
from .moodle import NAMESPACE, _html_of

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


def write(problems: list[Problem], out: Path, *, variants: int, seed: int, warn) -> list[Path]:
    return prairielearn(problems, out)
