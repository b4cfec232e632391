"""The seed documents are printable as they are: no line runs into the margin, no character is
missing from a font, and no page comes out blank (issue 11, item 4)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from symgrad.documents.bank import load_bank
from symgrad.documents.render import layout_problems, write

DOCUMENTS = ("worksheet", "solutions", "answers")


@pytest.fixture(scope="module")
def seed_documents(tmp_path_factory) -> tuple[Path, list[str]]:
    """The seed bank's three PDFs (built once) and the layout problems reported while building them."""
    if not (shutil.which("latexmk") or shutil.which("pdflatex")):
        if os.environ.get("CI"):
            pytest.fail("TeX Live is missing in CI: .ci/setup should have installed it")
        pytest.skip("TeX Live is not installed (bash .ci/setup installs it as root)")
    out = tmp_path_factory.mktemp("pages")
    reported: list[str] = []
    write(load_bank(), out, pdf=True, report=reported.append)
    return out, reported


def test_every_document_keeps_its_log_and_no_other_auxiliary_file(seed_documents):
    out, _ = seed_documents
    for name in DOCUMENTS:
        assert (out / f"{name}.pdf").exists() and (out / f"{name}.log").exists(), name
    assert not [p.name for p in out.iterdir() if p.suffix in (".aux", ".fls", ".fdb_latexmk")]


def test_no_line_is_wider_than_the_page_and_no_character_is_missing(seed_documents):
    out, reported = seed_documents
    problems = [line for name in DOCUMENTS for line in layout_problems(out / f"{name}.log")]
    assert not problems, "\n" + "\n".join(problems)
    assert reported == problems  # what building reports is what the logs hold


def test_every_page_shows_something(seed_documents):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out, _ = seed_documents
    for name in DOCUMENTS:
        subprocess.run(["pdftoppm", "-r", "70", "-gray", str(out / f"{name}.pdf"), str(out / name)], check=True)
        pages = sorted(out.glob(f"{name}-*.pgm"))
        assert pages, name
        for page in pages:  # above the page number: a short last page is fine, an empty one is not
            assert _inked(page) >= 20, f"{page.name} is blank"


def _inked(pgm: Path) -> int:
    """How many pixels of a page, above its bottom tenth (the page number), are dark (pdftoppm -gray's
    binary PGM)."""
    data = pgm.read_bytes()
    fields, start = [], 0
    while len(fields) < 4:  # magic, width, height, maxval, separated by whitespace (no comments from poppler)
        end = start
        while data[end:end + 1].isspace():
            end += 1
        start = end
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[start:end])
        start = end
    pixels = data[start + 1:]
    width, height = int(fields[1]), int(fields[2])
    assert fields[0] == b"P5" and len(pixels) == width * height, pgm
    return sum(1 for value in pixels[:width * (height * 9 // 10)] if value < 128)


# -- the log reader, on logs written for the purpose --------------------------------------------------
def test_layout_problems_names_the_problem_of_each_line(tmp_path):
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\begin{document}\n% symgrad-problem: first\n"
                                      "fine\n% symgrad-problem: second\nwide\n\\end{document}\n")
    (tmp_path / "doc.log").write_text(
        "This is pdfTeX\n"
        "Overfull \\hbox (0.5pt too wide) in paragraph at lines 4--4\n"  # under a point: invisible
        "Overfull \\hbox (12.25pt too wide) in paragraph at lines 6--6\n"
        "Overfull \\hbox (418.869pt too wide) detected at line 4\n"
        "symgrad-problem: second\n"
        "Missing character: There is no ^^A in font msbm10!\n"
    )
    assert layout_problems(tmp_path / "doc.log") == [
        "doc.tex in problem 'second' (line 6): a line 12.2 pt too wide for the page (Overfull \\hbox)",
        "doc.tex in problem 'first' (line 4): a line 418.9 pt too wide for the page (Overfull \\hbox)",
        "doc.tex in problem 'second': the font msbm10 has no character ^^A (Missing character)",
    ]
    assert layout_problems(tmp_path / "missing.log") == []


# -- derivations wider than the page are broken ------------------------------------------------------
def test_long_derivation_rows_fit_the_page(tmp_path):
    import sympy
    from sympy import Derivative, Matrix, exp, sin

    from symgrad.documents.render import build_pdf
    from symgrad.steps.core import Derivation, Step

    if not (shutil.which("latexmk") or shutil.which("pdflatex")):
        pytest.skip("TeX Live is not installed")
    x = sympy.Symbol("x")
    a, w = sympy.symbols("a1:9"), sympy.symbols("w1:9")
    units = sum(wi * sin(x * wi) * exp(wi) for wi in w)  # a long sum under d/dx, and as the result
    z = sum(ai * wi for ai, wi in zip(a, w))  # an eight-entry gradient
    steps = (
        Step("sum rule", Derivative(units, x), sum(Derivative(wi * sin(x * wi) * exp(wi), x) for wi in w)),
        Step("substitution", Derivative(sympy.Symbol("f"), x), sympy.expand(units.diff(x))),
        Step("gradient: the vector of partial derivatives", Matrix([[Derivative(z, v) for v in (*a, *w)]]),
             Matrix([[*w, *a]])),
        Step("e^(-x)/(1 + e^(-x)) = 1 - σ(x)", exp(-x) / (1 + exp(-x)), 1 - 1 / (1 + exp(-x))),
    )
    body = Derivation("long rows", steps, units, (x, *a, *w), partial=True).latex()
    tex = tmp_path / "long.tex"
    tex.write_text("\\documentclass[11pt]{article}\n\\usepackage{amsmath,amssymb}\n"  # the documents' page
                   "\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n\\begin{enumerate}\n\\item rows\n"
                   f"{body}\\end{{enumerate}}\n\\end{{document}}\n")
    reported: list[str] = []
    build_pdf(tex, reported.append)
    assert not reported, "\n".join(reported)
    assert r"\textasciicircum" not in body and r"\frac{e^{-x}}{1 + e^{-x}} = 1 - \sigma" in body  # the rule as math
