"""The PrairieLearn export works the way PrairieLearn runs it: server.py in the question folder with only
serverFilesCourse and PrairieLearn's packages (SymPy, mpmath; no lark, PyYAML or Jinja2) importable,
question.html rendered by Mustache over the data generate filled, elements grading before server.py's
grade. Each variant seed shows its own variant's numbers and is graded against that same variant."""

import json
import os
import re
import subprocess
import sys
import uuid
from html import unescape
from pathlib import Path

import chevron
import pytest
import sympy

from symgrad.documents.bank import load_bank, load_problem, variant
from symgrad.documents.keys import problem_keys
from symgrad.documents.prairielearn import write
from symgrad.printing import latex

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "problems" / "variants.yaml"
N = 4
SEED = 3
VARIANT_SEEDS = (12, 4_000_000_001, 2**32 - 2, 77_777_779)  # PrairieLearn's seeds are below 2**32; % 4 = 0, 1, 2, 3
INFO_FIELDS = {"uuid", "type", "title", "topic", "tags", "authors", "gradingMethod", "singleVariant",
               "showCorrectAnswer", "partialCredit", "dependencies", "preferences", "externalGradingOptions",
               "workspaceOptions", "sharingSets", "sharePublicly", "shareSourcePublicly", "comment"}

RUNNER = r'''
import json, os, runpy, sys
question, server_files, packages = sys.argv[1:4]
sys.path[:0] = [question, server_files, packages]  # as PrairieLearn's zygote sets it, PL's own library aside
os.chdir(question)
missing = []
for name in ("yaml", "jinja2", "graphviz", "tqdm"):
    try:
        __import__(name)
    except ImportError:
        missing.append(name)
server = runpy.run_path(os.path.join(question, "server.py"))
import lark, symgrad
print(json.dumps({"missing": missing, "lark": lark.__file__, "symgrad": symgrad.__file__}), flush=True)
for line in sys.stdin:
    call = json.loads(line)
    data = call["data"]
    if call["fn"] in server:
        server[call["fn"]](data)
    loaded = sorted(m for m in sys.modules if m.startswith("symgrad.documents") or m in ("yaml", "jinja2"))
    print(json.dumps({"data": data, "loaded": loaded}, allow_nan=False), flush=True)
'''


class Server:
    """server.py of one question in a Python that has only the question folder, serverFilesCourse and
    SymPy + mpmath (symlinked from this venv) on its path."""

    def __init__(self, question: Path, course: Path, packages: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", RUNNER, str(question), str(course / "serverFilesCourse"),
             str(packages)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.hello = json.loads(self.process.stdout.readline() or "null")
        assert self.hello, self.process.stderr.read()

    def call(self, fn: str, data: dict) -> dict:
        self.process.stdin.write(json.dumps({"fn": fn, "data": data}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, self.process.stderr.read()
        answer = json.loads(line)
        assert answer["loaded"] == [], answer["loaded"]  # grading never loads the documents layer or YAML
        return answer["data"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    r = subprocess.run([sys.executable, "-m", "symgrad", "export", "prairielearn", str(BANK), "--variants", str(N),
                        "--seed", str(SEED), "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "copy questions/* and serverFilesCourse/*" in r.stderr
    warnings = []
    write(load_bank([], ["net-output-gradients"]), out, variants=N, seed=SEED, warn=warnings.append)
    assert warnings == []
    return out


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """A folder with only SymPy and mpmath: what PrairieLearn's image is sure to have of symgrad's needs."""
    folder = tmp_path_factory.mktemp("pl-python")
    for name in ("sympy", "mpmath"):
        module = __import__(name)
        (folder / name).symlink_to(Path(module.__file__).parent)
    return folder


def generated(server: Server, seed: int) -> dict:
    data = {"params": {}, "correct_answers": {}, "variant_seed": seed, "preferences": {},
            "options": {"question_path": "/course/questions/q",
                        "server_files_course_path": "/course/serverFilesCourse"}}
    out = server.call("generate", data)
    assert set(out) == set(data) and {k: out[k] for k in ("variant_seed", "options")} == \
        {k: data[k] for k in ("variant_seed", "options")}  # generate changes only params and correct_answers
    return out


def elements(page: str) -> dict[str, dict[str, str]]:
    """answers-name -> the attributes (and the tag) of each input element."""
    found = {}
    for tag, attrs in re.findall(r"<(pl-number-input|pl-string-input)\b([^>]*)>", page):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        assert a["answers-name"] not in found and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", a["answers-name"])
        found[a["answers-name"]] = {**a, "tag": tag}
    return found


def submit(server: Server, data: dict, page: str, answers: dict) -> dict:
    """parse, the elements' grading (as pl-number-input and pl-string-input grade), then grade."""
    inputs = elements(page)
    data = {**data, "submitted_answers": answers, "raw_submitted_answers": {k: str(v) for k, v in answers.items()},
            "format_errors": {}, "partial_scores": {}, "score": 0.0, "feedback": {}, "gradable": True}
    data = server.call("parse", data)
    if data["format_errors"]:
        return data
    for name, a in inputs.items():
        true, sub = data["correct_answers"][name], data["submitted_answers"][name]
        if a["tag"] == "pl-number-input":
            ok = abs(sub - true) <= float(a["atol"]) + float(a["rtol"]) * abs(true)
        else:
            ok = sub == true
        data["partial_scores"][name] = {"score": float(ok), "weight": 1}
    data["score"] = sum(p["score"] for p in data["partial_scores"].values()) / len(data["partial_scores"])
    return server.call("grade", data)


def render(page: str, data: dict) -> str:
    return chevron.render(page, data)


def test_info_json_has_what_prairielearn_requires(course):
    uuids = set()
    for info_file in sorted((course / "questions").glob("*/info.json")):
        info = json.loads(info_file.read_text(encoding="utf-8"))
        assert {"uuid", "type", "title", "topic"} <= set(info) <= INFO_FIELDS, info
        assert info["type"] == "v3" and info["title"] and info["topic"] == "Backpropagation"
        uuids.add(str(uuid.UUID(info["uuid"])))
    assert len(uuids) == len(list((course / "questions").iterdir())) == 9


def test_nothing_names_the_exporting_machine(course):
    here = [str(course), str(ROOT), sys.prefix, str(Path.home())]
    for path in course.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [h for h in here if h in text], path
    assert not list(course.rglob("*.pyc"))
    assert (course / "serverFilesCourse" / "lark" / "LICENSE").is_file()
    assert (course / "serverFilesCourse" / "symgrad" / "parsing").glob("*.lark")


def test_staged_question_shows_its_variant_and_grades_it(course, packages):
    problem = load_problem("v-staged-xyz", [BANK])
    folder = course / "questions" / problem.id
    page = (folder / "question.html").read_text(encoding="utf-8")
    server = Server(folder, course, packages)
    try:
        assert server.hello["missing"] == ["yaml", "jinja2", "graphviz", "tqdm"]
        assert server.hello["lark"].startswith(str(course / "serverFilesCourse" / "lark"))
        assert server.hello["symgrad"].startswith(str(course / "serverFilesCourse" / "symgrad"))
        shown = set()
        for seed in VARIANT_SEEDS:
            mine = variant(problem, SEED, f"{seed % N:03d}")
            data = generated(server, seed)
            html = render(page, data)
            point = [f"{latex(sympy.Symbol(n))} = {latex(v)}" for n, v in mine.point.items()]
            assert all(f"\\({p}\\)" in html for p in point), (point, data["params"]["given"])
            shown.add(tuple(point))
            keys = problem_keys(mine)
            assert data["correct_answers"]["grad_x"] == float(keys["grad.x"].expected)
            assert data["correct_answers"]["value_f"] == float(keys["value.f"].expected)
            assert "value_x" not in data["correct_answers"]  # the stem gives the inputs' values
            figure = re.search(r'<pl-figure file-name="(graph-\d+\.svg)"', html)
            svg = (folder / "clientFilesQuestion" / figure.group(1)).read_text(encoding="utf-8")
            assert "<svg" in svg and "data " not in svg and "grad " not in svg  # the graph, not its values
            assert set(elements(html)) == set(data["correct_answers"])
            assert elements(html)["gradient_x"]["tag"] == "pl-string-input"
            assert elements(html)["grad_x"]["tag"] == "pl-number-input"

            right = submit(server, data, html, dict(data["correct_answers"]))
            assert right["score"] == 1.0 and right["format_errors"] == {}
            assert all(p["score"] == 1.0 for p in right["partial_scores"].values())

            wrong = dict(data["correct_answers"])
            wrong["gradient_x"] = f"-({wrong['gradient_x']})"
            number = next(n for n in ("grad_x", "grad_y", "grad_z") if wrong[n] != 0)
            wrong[number] = -wrong[number]
            graded = submit(server, data, html, wrong)
            assert graded["score"] == pytest.approx(1 - 2 / len(wrong))
            assert graded["partial_scores"]["gradient_x"]["score"] == 0.0
            assert "sign" in graded["feedback"]["gradient_x"] and "sign" in graded["feedback"][number]
            assert {n for n, f in graded["feedback"].items() if not f.startswith("correct")} == {"gradient_x", number}
            after = render(page, graded)
            assert graded["feedback"]["gradient_x"] in after and graded["feedback"][number] in after

            unreadable = submit(server, data, html, {**data["correct_answers"], "gradient_y": "z +* 1"})
            assert "gradient_y" in unreadable["format_errors"]  # shown, and no attempt is used
        assert len(shown) > 1
    finally:
        server.close()


def test_network_question_shows_its_instance_and_grades_it(course, packages):
    problem = load_problem("v-network", [BANK])
    folder = course / "questions" / problem.id
    page = (folder / "question.html").read_text(encoding="utf-8")
    server = Server(folder, course, packages)
    try:
        for seed in VARIANT_SEEDS[:3]:
            mine = variant(problem, SEED, f"{seed % N:03d}")
            data = generated(server, seed)
            html = render(page, data)
            weights, _, x, _ = mine.instance()
            rows = [" & ".join(latex(e) for e in m.row(i)) for m in weights for i in range(m.rows)]
            text = unescape(html)  # the display math is HTML-escaped (&amp; for &); the browser decodes it
            assert all(f"{r}\\\\" in text or f"{r}\\end{{bmatrix}}" in text for r in rows), rows
            assert "x = \\begin{bmatrix}" + "\\\\".join(latex(e) for e in x) + "\\end{bmatrix}" in text
            grad_w1 = problem_keys(mine)["grad.W1"].array
            assert [data["correct_answers"][f"grad_W1_{i + 1}_{j + 1}"] for i in range(grad_w1.rows)
                    for j in range(grad_w1.cols)] == pytest.approx([float(e) for e in grad_w1])
            assert elements(html)["grad_x"]["tag"] == "pl-string-input"  # the matrix formula, checked by symgrad
            assert data["correct_answers"]["grad_x"] == "W1^T d1"

            right = submit(server, data, html, dict(data["correct_answers"]))
            assert right["score"] == 1.0

            wrong = {**data["correct_answers"], "grad_x": "-W1^T d1"}
            wrong["grad_W1_1_1"] = -wrong["grad_W1_1_1"]
            graded = submit(server, data, html, wrong)
            assert graded["score"] < 1 and graded["partial_scores"]["grad_x"]["score"] == 0.0
            assert graded["feedback"]["grad_x"] == graded["feedback"]["grad_W1_1_1"] == "the sign is wrong"
    finally:
        server.close()


def test_prairielearn_server_generates_and_grades(course, packages):
    """A formula-only question and a matrix-formula one (not randomized: one variant for every seed)."""
    for pid, item in (("v-chain", "derivative_x"), ("net-output-gradients", "grad_W1")):
        folder = course / "questions" / pid
        page = (folder / "question.html").read_text(encoding="utf-8")
        server = Server(folder, course, packages)
        try:
            for seed in VARIANT_SEEDS[:2]:
                data = generated(server, seed)
                html = render(page, data)
                assert elements(html)[item]["tag"] == "pl-string-input"
                assert submit(server, data, html, dict(data["correct_answers"]))["score"] == 1.0
                answers = {**data["correct_answers"], item: f"-({data['correct_answers'][item]})"}
                graded = submit(server, data, html, answers)
                assert graded["score"] < 1 and "sign" in graded["feedback"][item]
        finally:
            server.close()
    one = json.loads((course / "questions" / "net-output-gradients" / "variants.json").read_text(encoding="utf-8"))
    assert len(one) == 1 and os.path.getsize(course / "questions" / "v-chain" / "variants.json") > 0
