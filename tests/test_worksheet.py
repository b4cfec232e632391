"""The problem bank and the worksheets: loading errors, escaping, determinism, PDFs, an installed wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from symgrad.documents.bank import BankError, load_bank, load_text
from symgrad.documents.render import TexError, build_pdf

ROOT = Path(__file__).resolve().parent.parent
HAVE_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None


def needs_tex():
    if not HAVE_TEX:
        if os.environ.get("CI"):
            pytest.fail("TeX Live or poppler-utils is missing in CI: .ci/setup should have installed them")
        pytest.skip("TeX Live is not installed (bash .ci/setup installs it as root)")


def symgrad(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, cwd=cwd, env=env)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace("\u2212", "-")  # pdftotext writes a minus sign as U+2212


@pytest.fixture(scope="module")
def seed_pdfs(tmp_path_factory):
    needs_tex()
    out = tmp_path_factory.mktemp("seed")
    r = symgrad("worksheet", "--out", str(out), "--pdf")
    assert r.returncode == 0, r.stderr
    return out


# -- the seed bank ----------------------------------------------------------------------------------
def test_seed_bank_holds_the_seed_exercises():
    ids = [p.id for p in load_bank()]
    assert ids == [
        "grad-xy", "grad-sum", "grad-max", "tanh-sigmoid", "staged-xyz", "neuron", "neuron-code",
        "sigmoid-ratio", "chain-composition", "chain-multivariate", "chain-two-paths", "preactivation",
        "sigmoid-derivative", "relu-derivative", "chain-many-paths", "graph-tanh-units", "jacobian-chain",
        "net-one-hidden", "net-constant-init", "net-output-gradients", "net-zero-init", "net-zero-symmetry",
        "net-phi", "net-figure", "net-l-layers", "hadamard", "param-count", "cnn-shapes",
        "concept-backprop-benefit", "concept-symmetry", "concept-graph-gradients", "concept-matrix-input",
        "concept-zero-init", "concept-layer-equations", "concept-model-intuition",
    ]


def test_same_bank_gives_byte_identical_tex(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out, seed in ((a, "1"), (b, "2")):
        r = symgrad("worksheet", "--out", str(out), env={**os.environ, "PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr
    for name in ("worksheet.tex", "solutions.tex", "answers.tex"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_only_selects_problems(tmp_path):
    r = symgrad("worksheet", "--out", str(tmp_path), "--only", "staged-xyz,grad-max")
    assert r.returncode == 0, r.stderr
    tex = (tmp_path / "solutions.tex").read_text()
    assert re.findall(r"% symgrad-problem: (\S+)", tex) == ["grad-max", "staged-xyz"]
    r = symgrad("worksheet", "--out", str(tmp_path), "--only", "nope")
    assert r.returncode == 2 and "no problem 'nope'" in r.stderr


# -- the PDFs ---------------------------------------------------------------------------------------
def test_pdfs_compile(seed_pdfs):
    for name in ("worksheet", "solutions", "answers"):
        assert (seed_pdfs / f"{name}.pdf").stat().st_size > 10_000


def test_solutions_show_the_seed_answers(seed_pdfs):
    text = pdf_text(seed_pdfs / "solutions.pdf")
    # 004 §2: f = -14 with gradients -3, -4, 3; the graph and tables carry the intermediate -12
    assert "-14" in text and "-12" in text
    answers = pdf_text(seed_pdfs / "answers.pdf")
    assert "f = -14" in answers
    assert re.search(r"= -3\s+∂x", answers) and re.search(r"= -4\s+∂y", answers) and re.search(r"=3\s+∂z", answers)
    # 004 §4: the neuron's 0.73 and its five gradients as the seed rounds them, each beside its input
    # (a bare "0.20" would also be found inside "-0.20")
    assert re.search(r"f = σ \(1\) ≈ 0\.73", answers)
    for number, name in (("-0.20", "w0"), ("-0.39", "w1"), ("0.20", "w2"), ("0.39", "x0"), ("-0.59", "x1")):
        assert re.search(rf"= {re.escape(number)}\s+∂{name}\b", answers), (number, name)
    # 003 (1): 8(5x^3 - x - 1)(15x^2 - 1), the chain's order outer'(inner)·inner' (the seed writes the same
    # product as 8(15x^2 - 1)(5x^3 - x - 1)); 001 (a): 4x^3 + 2x
    assert "= 8 5x3 - x - 1 15x2 - 1" in answers  # pdftotext drops the parentheses
    assert "4x3 + 2x" in answers
    # the network exercises: counts (210 and 233, both stated), the CNN's corrected count, a Hadamard product
    assert re.search(r"= 210(?!\d)", text) and re.search(r"= 233(?!\d)", text)
    assert "805 371 904" in text and re.search(r"\b5770\b", text)
    key = pdf_text(seed_pdfs / "answers.pdf")
    assert "1. 448 (fully connected: 805 371 904)" in key and "3. 4640 (fully connected: 471 888 000)" in key


def test_worksheet_shows_none_of_the_answers(seed_pdfs):
    text = pdf_text(seed_pdfs / "worksheet.pdf")
    scalar = text.split("Forward and backward pass of a one-hidden-layer network")[0]  # the scalar exercises
    for answer in ("-14", "-12", "0.73", "-0.59", "-0.39", "1.55", "2.06", "336", "4x3 + 2x"):
        assert not re.search(rf"(?<![\d.]){re.escape(answer)}(?!\d)", scalar), answer
    for answer in ("Solution", "233", "805 371 904", "rows stay identical", "Every row"):
        assert answer not in text, answer
    # but it does give the data: the point, and the functions
    assert "x = -2, y = 5" in text and "w0 = 2, w1 = -3" in text


def test_hostile_titles_are_escaped(tmp_path):
    needs_tex()
    bank = tmp_path / "hostile.yaml"
    bank.write_text(
        "- id: hostile\n"
        "  title: 'Weird & 100% $money$ #1 _under_ {brace} ~tilde^ \\textbf{x} \\end{document} <b> | a'\n"
        "  intro: 'Costs 5$ & more: $x y$ # and \\\\input{/etc/passwd}'\n"
        "  kind: gradients\n  expression: x y\n  parts: [partials]\n"
    )
    r = symgrad("worksheet", str(bank), "--out", str(tmp_path / "out"), "--pdf")
    assert r.returncode == 2 and "intro" in r.stderr  # an odd $ opens a math span that is not an expression
    bank.write_text(bank.read_text().replace("Costs 5$ & more: $x y$", "Costs five & more: $x y$"))
    r = symgrad("worksheet", str(bank), "--out", str(tmp_path / "out"), "--pdf")
    assert r.returncode == 0, r.stderr
    text = " ".join(pdf_text(tmp_path / "out" / "worksheet.pdf").split())
    # every character printed as itself: nothing ran as a command (OT1 draws _ ~ ^ as accents/rules)
    # and < > | as themselves, not the ¡ ¿ and dash of the OT1 text fonts
    for piece in ("Weird & 100% $money$ #1", "{brace}", "\\textbf{x} \\end{document}", "\\input{/etc/passwd}",
                  "<b> | a"):
        assert piece in text, piece
    tex = (tmp_path / "out" / "worksheet.tex").read_text()
    assert r"Weird \& 100\% \$money\$ \#1 \_under\_ \{brace\} \textasciitilde{}tilde\textasciicircum{}" in tex


def test_tex_errors_name_the_problem(tmp_path):
    needs_tex()
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\n% symgrad-problem: first\nfine\n"
                   "% symgrad-problem: second\n\\undefinedcommand\n\\end{document}\n")
    with pytest.raises(TexError, match=r"broken.tex: LaTeX error in problem 'second' \(line 5\): Undefined control"):
        build_pdf(tex)


def test_without_tex_the_tex_is_written_and_the_message_says_how_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir)}
    r = symgrad("worksheet", "--out", str(tmp_path / "out"), "--pdf", env=env)
    assert r.returncode == 2
    assert "TeX is not installed" in r.stderr and "apt-get install texlive-latex-base" in r.stderr
    assert (tmp_path / "out" / "solutions.tex").exists()


# -- bank mistakes ----------------------------------------------------------------------------------
GOOD = "- id: p1\n  title: T\n  kind: staged\n  expression: x y\n  point: {x: 1, y: 2}\n  parts: [forward]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: p1\n  title: T\n  parts: [forward]\n", "b.yaml: problem 'p1': field 'kind': expected one of staged"),
        (GOOD.replace("x y", "x +"), "b.yaml: problem 'p1': field 'expression': column 4: unexpected end of input"),
        (GOOD.replace("{x: 1, y: 2}", "{x: 1}"), "field 'point': no value for input y"),
        (GOOD.replace("{x: 1, y: 2}", "{x: 1, y: 2, q: 3}"), "field 'point': 'q' is not an input"),
        (GOOD.replace("{x: 1, y: 2}", "{x: 1, y: two}"), "field 'point': the value of y must be a number"),
        (GOOD.replace("[forward]", "[forwards]"), "field 'parts': 'forwards' is not a part of a staged problem"),
        (GOOD.replace("  point: {x: 1, y: 2}\n", ""), "field 'point': the part 'forward' needs a point"),
        (GOOD.replace("  title: T\n", ""), "field 'title': expected non-empty text"),
        (GOOD + "  colour: red\n", "field 'colour': not a field of a staged problem"),
        (GOOD + GOOD, "problem 'p1': field 'id': already used in b.yaml"),
        (GOOD.replace("id: p1", "id: 'bad id'"), "field 'id': 'bad id' is not a valid id"),
        ("- id: [unclosed\n", "b.yaml: not valid YAML at line"),
        ("just text", "b.yaml: expected a list of problems"),
        ("- id: c\n  title: T\n  kind: chain\n  program: 'g = x^2'\n  parts: [derivative]\n", "field 'wrt': missing"),
        ("- id: c\n  title: T\n  kind: chain\n  program: 'g = x^2'\n  wrt: y\n  parts: [derivative]\n",
         "field 'wrt': 'y' is not an input"),
        (GOOD.replace("title: T", "title: T\n  intro: 'see $x +$'"), "field 'intro': in a $...$ span"),
    ],
)
def test_malformed_bank_entries_give_the_promised_error(tmp_path, text, message):
    bank = tmp_path / "b.yaml"
    bank.write_text(text)
    with pytest.raises(BankError) as info:
        load_bank([bank])
    assert message in str(info.value).replace(str(tmp_path) + "/", "")
    r = symgrad("worksheet", str(bank), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_load_text_accepts_a_problems_mapping():
    problems = load_text("problems:\n" + "\n".join("  " + line for line in GOOD.splitlines()), "x.yaml")
    assert [p.id for p in problems] == ["p1"] and problems[0].point == {"x": 1, "y": 2}


def test_decimal_points_are_exact():
    (problem,) = load_text(GOOD.replace("{x: 1, y: 2}", "{x: 0.5, y: '1/3'}"), "x.yaml")
    assert str(problem.point["x"]) == "1/2" and str(problem.point["y"]) == "1/3"


def test_render_is_deterministic_across_processes():
    # within one process solves are cached, so render(p) == render(p) would hold whatever happens;
    # two interpreters with different hash seeds must agree on every byte
    script = ("import hashlib; from symgrad.documents.bank import load_bank; "
              "from symgrad.documents.render import render; "
              "print({n: hashlib.sha256(t.encode()).hexdigest() for n, t in render(load_bank()).items()})")
    digests = []
    for seed in ("0", "12345"):
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": seed})
        assert r.returncode == 0, r.stderr[-2000:]
        digests.append(r.stdout)
    assert digests[0] == digests[1]


# -- an installed wheel finds its templates and the seed bank ---------------------------------------
def test_an_installed_wheel_builds_a_worksheet(tmp_path):
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the wheel's dependencies (sympy, lark, jinja2, PyYAML) from this environment, symgrad from the wheel
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("symgrad-*.whl"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([str(python), "-c", "import symgrad; print(symgrad.__file__)"], capture_output=True,
                       text=True, cwd=elsewhere)
    assert r.stdout.startswith(site), (r.stdout, r.stderr)
    r = subprocess.run([str(python), "-m", "symgrad", "worksheet", "--out", "out", "--only", "staged-xyz"],
                       capture_output=True, text=True, cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert "% symgrad-problem: staged-xyz" in (elsewhere / "out" / "solutions.tex").read_text()
