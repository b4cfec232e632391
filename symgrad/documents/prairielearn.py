"""A PrairieLearn course folder: one v3 question per problem, its variants drawn at export.

    COURSE/questions/<problem id>/info.json, question.html, server.py, variants.json,
                                  clientFilesQuestion/graph-<k>.svg (a staged problem's computation graph)
    COURSE/serverFilesCourse/symgrad/, lark/   (what server.py imports; PrairieLearn puts this folder on
                                                sys.path, and its image has SymPy but not lark or PyYAML)

``generate`` picks variant ``variant_seed % N`` of the N in variants.json and fills ``params`` (the stem,
each ask and tolerance as pre-formatted text and HTML: question.html is a Mustache template over them)
and ``correct_answers`` of that same variant. Numbers are pl-number-input (one per entry of a vector or
matrix, laid out as the matrix) with the key's own tolerance; formulas are pl-string-input, checked in
``grade`` by symgrad's checker from the variant's key line, its message shown as feedback. Nothing in the
folder names the machine that exported it.
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from ..matrix_check import MatrixContext
from .bank import Problem, variant
from .keys import key_line, problem_keys
from .questions import GIVEN, Question, _ask, entry_items, prose_html, questions
from .views import view

UUIDS = uuid.UUID("6f1d3c1e-5b8a-4e0b-9a57-3c2b7d0e9a41")  # question uuids: uuid5(UUIDS, problem id), stable
TOPIC = "Backpropagation"
COPY_STEP = ("copy questions/* and serverFilesCourse/* of {out} into your course repository's questions/ and "
             "serverFilesCourse/ (nothing to copy if {out} is the course itself), then sync the course")

SERVER = '''"""PrairieLearn question {pid}, written by `symgrad export prairielearn`.

variants.json holds the variants drawn at export: what question.html shows (params), the correct answers
and symgrad's key line of each item. Formulas are checked by symgrad (serverFilesCourse/symgrad, with
serverFilesCourse/lark); numbers are graded by pl-number-input, and a wrong one gets symgrad's diagnosis
as feedback.
"""

import copy
import json
import os
from functools import lru_cache

from symgrad.keyfile import find_key, key_from_line, verdict_for

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "variants.json"), encoding="utf-8") as _file:
    VARIANTS = json.load(_file)


def _variant(data):
    seed = data["variant_seed"]
    return (int(seed, 36) if isinstance(seed, str) else int(seed)) % len(VARIANTS)


def generate(data):
    k = _variant(data)
    data["params"].update(copy.deepcopy(VARIANTS[k]["params"]))
    data["correct_answers"].update(copy.deepcopy(VARIANTS[k]["correct_answers"]))


@lru_cache(maxsize=256)
def _verdict(k, name, answer):
    entry = VARIANTS[k]["inputs"][name]
    key = find_key({{entry["item"]: key_from_line(VARIANTS[k]["keys"][entry["item"]])}}, entry["part"])
    return verdict_for(key, answer)


def parse(data):
    """An answer symgrad cannot read is a format error: it is shown, and it does not use up an attempt."""
    k = _variant(data)
    for name, entry in VARIANTS[k]["inputs"].items():
        answer = data["submitted_answers"].get(name)
        if entry["kind"] == "formula" and isinstance(answer, str) and name not in data["format_errors"]:
            verdict = _verdict(k, name, answer)
            if verdict.verdict == "invalid":
                data["format_errors"][name] = verdict.message


def grade(data):
    """Formulas by symgrad's checker; numbers keep pl-number-input's score, a wrong one gets symgrad's
    diagnosis. PrairieLearn scored the question before this runs, so the score is computed again."""
    k = _variant(data)
    for name, entry in VARIANTS[k]["inputs"].items():
        answer = data["submitted_answers"].get(name)
        if entry["kind"] == "formula" and isinstance(answer, str):
            verdict = _verdict(k, name, answer)
            score = 1.0 if verdict.verdict == "correct" else 0.0
            data["partial_scores"][name] = {{"score": score, "weight": 1, "feedback": verdict.message}}
            data["feedback"][name] = verdict.message
        elif entry["kind"] == "number" and isinstance(answer, (int, float)) and not isinstance(answer, bool):
            part = data["partial_scores"].get(name) or {{}}
            if (part.get("score") or 0) < 1:
                verdict = _verdict(k, name, repr(float(answer)))
                if verdict.verdict != "correct":
                    data["feedback"][name] = verdict.message
    parts = data["partial_scores"].values()
    total = sum(p.get("weight", 1) for p in parts)
    if total:  # what prairielearn.set_weighted_score_data does
        data["score"] = sum((p.get("score") or 0) * p.get("weight", 1) for p in parts) / total
'''


@dataclass
class Block:
    """One asked item in question.html: its input names are fixed, its text comes from params."""

    id: str  # params.show.<id> shows it
    kind: str  # number, array or formula
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (input name, entry label) row by row
    rows: int = 1
    cols: int = 1


def _safe(item: str) -> str:
    """An answers-name: letters, digits and _ (grad.W1[2,1] -> grad_W1_2_1)."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", item).strip("_") or "item"
    return name if name[0].isalpha() else f"q_{name}"


def _number(x: float) -> str:
    return repr(float(x))


def _all_questions(problem: Problem) -> list[Question]:
    """Every item as a question, the matrix formulas too: PrairieLearn checks them with symgrad."""
    out, skipped = questions(problem)
    if skipped:
        keys = problem_keys(problem)
        given = out[0].given if out else GIVEN.get(problem.kind, lambda p, s: s)(problem, view(problem).statement)
        for s in skipped:
            key = keys[s.item]
            out.append(Question(problem.id, s.item, given, _ask(problem, s.item, key), "matrix-formula", key,
                                str(key.expected)))
    return out


def _help(q: Question) -> str:
    if q.kind == "matrix-formula":
        ctx: MatrixContext = q.key.context
        names = [*ctx.shapes, *(n for n, _ in ctx.definitions if n not in ctx.shapes)]
        return (f"A matrix formula in {', '.join(names)} (a0 is x, d1 is δ⁽¹⁾, Omega1 is diag of the activation's "
                "derivative at z1); A^T transposes, ⊙ or .* multiplies entry by entry.")
    if q.variables:
        return f"A formula in {', '.join(q.variables)}, for example 2*x*cos(x^2)."
    return "A formula, for example 2*x*cos(x^2)."


def _graph(problem: Problem) -> str | None:
    """The computation graph of a staged problem as SVG, without values (the passes are the question)."""
    from ..draw import graph_dot, have_graphviz

    if problem.kind != "staged" or not have_graphviz():
        return None
    shown = SimpleNamespace(graph=problem.solution().graph, passes=None)
    return graph_dot(shown).pipe(format="svg").decode("utf-8")


def _variant_data(mine: Problem, k: int, blocks: dict[tuple, Block]) -> dict:
    """One variant: what question.html shows, the correct answers and the key lines; new blocks go into
    ``blocks`` (keyed by item, kind and shape, so an item that is a formula in one variant and a number
    in another gets an input of each kind)."""
    student = f"{k:03d}"
    qs = _all_questions(mine)
    params: dict = {"given": prose_html(qs[0].given) if qs else "", "show": {}, "ask": {}, "help": {}, "atol": {}}
    correct: dict = {}
    keys: dict = {}
    inputs: dict = {}
    for q in qs:
        kind = {"matrix-formula": "formula"}.get(q.kind, q.kind)
        shape = q.numbers.shape if kind == "array" else (1, 1)
        signature = (q.item, kind, shape)
        if signature not in blocks:
            # one input name per item (only one of its blocks shows in a variant); one show key per block
            name = _safe(q.item)
            taken = {b.id for b in blocks.values()}
            block = Block(name if name not in taken else f"{name}_{kind}_{shape[0]}x{shape[1]}", kind,
                          rows=shape[0], cols=shape[1])
            if kind == "array":
                block.inputs = [(f"{name}_{label.replace(',', '_')}", label) for _, label, _ in entry_items(q)]
            else:
                block.inputs = [(name, "")]
            blocks[signature] = block
        block = blocks[signature]
        name = block.inputs[0][0]
        params["show"][block.id] = True
        params["ask"][block.id] = prose_html(q.ask)
        keys[q.item] = key_line(student, mine, q.item, q.key)
        if kind == "formula":
            params["help"][block.id] = _help(q)
            correct[name] = keys[q.item]["expected"]
            inputs[name] = {"item": q.item, "part": q.item, "kind": "formula"}
        elif kind == "number":
            value = float(q.numbers[0, 0])
            params["atol"][name] = _number(q.bound(value))
            correct[name] = int(value) if value.is_integer() and abs(value) < 2**53 else value
            inputs[name] = {"item": q.item, "part": q.item, "kind": "number"}
        else:
            for (name, _), (part, _, value) in zip(block.inputs, entry_items(q), strict=True):
                params["atol"][name] = _number(q.bound(value))
                correct[name] = value
                inputs[name] = {"item": q.item, "part": part, "kind": "number"}
    return {"params": params, "correct_answers": correct, "keys": keys, "inputs": inputs}


def _feedback(name: str, label: str = "") -> str:
    prefix = f"({html.escape(label)}): " if label else ""
    return (f'{{{{#feedback.{name}}}}}<pl-submission-panel><p class="symgrad-feedback">{prefix}'
            f"{{{{feedback.{name}}}}}</p></pl-submission-panel>{{{{/feedback.{name}}}}}\n")


def _number_input(name: str, extra: str = "") -> str:
    return (f'<pl-number-input answers-name="{name}" comparison="relabs" rtol="0" atol="{{{{params.atol.{name}}}}}"'
            f'{extra}></pl-number-input>')


def _block_html(b: Block) -> str:
    name = b.inputs[0][0]
    lines = [f"{{{{#params.show.{b.id}}}}}", '<div class="symgrad-item mb-3">',
             f"<p>{{{{{{params.ask.{b.id}}}}}}}</p>"]
    if b.kind == "number":
        lines.append(_number_input(name, ' size="12"'))
        lines.append(_feedback(name).rstrip())
    elif b.kind == "formula":
        lines.append(f'<pl-string-input answers-name="{name}" remove-leading-trailing="true" size="40" '
                     f'placeholder="formula" show-help-text="false"></pl-string-input>')
        lines.append(f'<pl-question-panel><p class="small text-muted">{{{{params.help.{b.id}}}}}</p>'
                     f"</pl-question-panel>")
        lines.append(_feedback(name).rstrip())
    else:
        rows = []
        for i in range(b.rows):
            cells = [_number_input(n, f' display="inline" size="8" placeholder="({lab})" aria-label="entry ({lab})" '
                                      'show-help-text="false"') for n, lab in b.inputs[i * b.cols:(i + 1) * b.cols]]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        lines.append('<table class="symgrad-matrix"><tbody>' + "".join(rows) + "</tbody></table>")
        lines += [_feedback(n, lab).rstrip() for n, lab in b.inputs]
    lines += ["</div>", f"{{{{/params.show.{b.id}}}}}"]
    return "\n".join(lines) + "\n"


def question_html(blocks: list[Block], graph: bool) -> str:
    """The Mustache template over params (mustache.js renders it before the elements are read)."""
    figure = ('{{#params.graph}}<pl-figure file-name="{{params.graph}}" alt="The computation graph of f: one node '
              'per stage, inputs on the left"></pl-figure>{{/params.graph}}\n') if graph else ""
    return ("<pl-question-panel>\n<p>{{{params.given}}}</p>\n" + figure + "</pl-question-panel>\n\n"
            + "\n".join(_block_html(b) for b in blocks))


def vendor(out: Path) -> list[Path]:
    """serverFilesCourse/symgrad and serverFilesCourse/lark (with its license): what server.py imports."""
    import lark

    import symgrad

    target = out / "serverFilesCourse"
    written = []
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in (symgrad, lark):
        source = Path(package.__file__).parent
        dest = target / package.__name__
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=ignore)
        written.append(dest)
    for f in importlib.metadata.distribution("lark").files or ():
        if "LICEN" in f.name.upper():
            shutil.copyfile(f.locate(), target / "lark" / "LICENSE")
    return written


def write(problems: list[Problem], out: Path, *, variants: int, seed: int, warn) -> list[Path]:
    """The course folder ``out``: a question per problem with ``variants`` variants (one for a fixed
    problem) drawn with ``seed``, and serverFilesCourse; the paths written."""
    if variants < 1:
        raise ValueError("--variants must be at least 1")
    written: list[Path] = []
    for problem in problems:
        if not problem_keys(problem):
            warn(f"PrairieLearn: problem '{problem.id}' has nothing to grade ({problem.kind}); not exported")
            continue
        folder = out / "questions" / problem.id
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "clientFilesQuestion").mkdir(parents=True)
        blocks: dict[tuple, Block] = {}
        drawn, graphs = [], {}
        for k in range(variants if problem.randomized else 1):
            mine = variant(problem, seed, f"{k:03d}")
            data = _variant_data(mine, k, blocks)
            svg = _graph(mine)
            if svg is not None:
                name = graphs.setdefault(svg, f"graph-{len(graphs) + 1}.svg")
                data["params"]["graph"] = name
            drawn.append(data)
        if problem.kind == "staged" and not graphs:
            warn(f"PrairieLearn: problem '{problem.id}': no computation graph (Graphviz's dot is not installed)")
        for svg, name in graphs.items():
            (folder / "clientFilesQuestion" / name).write_text(svg, encoding="utf-8")
            written.append(folder / "clientFilesQuestion" / name)
        info = {"uuid": str(uuid.uuid5(UUIDS, problem.id)), "type": "v3", "title": problem.title, "topic": TOPIC,
                "tags": ["symgrad", problem.kind], "partialCredit": True}
        files = {
            "info.json": json.dumps(info, indent=2) + "\n",
            "question.html": question_html(list(blocks.values()), bool(graphs)),
            "server.py": SERVER.format(pid=problem.id),
            "variants.json": json.dumps(drawn, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
        }
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
    written += vendor(out)
    print(f"symgrad: PrairieLearn: {COPY_STEP.format(out=out)}", file=sys.stderr)
    return written
