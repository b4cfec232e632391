"""Documents from a bank: Jinja2 (LaTeX-safe delimiters) over the problem views, and PDFs via latexmk.

The .tex is deterministic: the same bank gives byte-identical files. A TeX error is reported
with the problem it came from, found through the ``% symgrad-problem: ID`` line before it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2

from ..errors import SymgradError
from .bank import Problem
from .views import view

DOCUMENTS = {
    "worksheet": ("worksheet.tex.j2", "Worksheet"),
    "solutions": ("solutions.tex.j2", "Solutions"),
    "answers": ("answers.tex.j2", "Answer key"),
}
TEX_INSTALL = ("install TeX Live from Debian: sudo apt-get install texlive-latex-base "
               "texlive-latex-recommended texlive-pictures latexmk (or run bash .ci/setup as root)")


class TexError(SymgradError):
    """LaTeX could not build a PDF: the message names the file, the problem and TeX's complaint."""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja2 for LaTeX: \\VAR{...}, \\BLOCK{...}, \\#{...}; nothing undefined passes silently."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("symgrad.templates"))),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["mathcell"] = lambda cell: f"${cell}$" if cell else ""
    return env


def render(problems: Iterable[Problem], title: str = "Backpropagation and the chain rule") -> dict[str, str]:
    """The worksheet, solutions and answer key of ``problems`` as LaTeX sources, by document name."""
    from ..printing import tex_text

    views = [view(p) for p in problems]
    env = environment()
    heading = tex_text(title)
    return {
        name: env.get_template(template).render(problems=views, heading=heading, subheading=subtitle)
        for name, (template, subtitle) in DOCUMENTS.items()
    }


def write(problems: list[Problem], out: Path, *, pdf: bool = False, title: str | None = None) -> list[Path]:
    """Write DIR/worksheet.tex, solutions.tex, answers.tex (and their PDFs with ``pdf``)."""
    out.mkdir(parents=True, exist_ok=True)
    sources = render(problems, title) if title else render(problems)
    written = []
    for name, text in sources.items():
        path = out / f"{name}.tex"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if pdf:
        for path in list(written):
            written.append(build_pdf(path))
    return written


def build_pdf(tex: Path) -> Path:
    """tex -> pdf with latexmk (pdflatex twice without it), shell escape off."""
    if shutil.which("latexmk"):
        command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                   "-no-shell-escape", "-quiet", tex.name]
        runs = [command]
    elif shutil.which("pdflatex"):
        command = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                   "-file-line-error", tex.name]
        runs = [command, command]
    else:
        raise TexError(f"cannot build {tex.with_suffix('.pdf').name}: TeX is not installed. "
                       f"The .tex files are written in {tex.parent}; {TEX_INSTALL}")
    for run in runs:
        result = subprocess.run(run, cwd=tex.parent, capture_output=True, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, timeout=300)
        if result.returncode != 0:
            raise TexError(_explain(tex))
    if shutil.which("latexmk"):
        subprocess.run(["latexmk", "-c", tex.name], cwd=tex.parent, capture_output=True, stdin=subprocess.DEVNULL)
    return tex.with_suffix(".pdf")


def _explain(tex: Path) -> str:
    """TeX's first error, with the problem whose marker comes before the line it names."""
    log = tex.with_suffix(".log")
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    match = re.search(rf"^\S*{re.escape(tex.name)}:(\d+): (.*)$", text, re.MULTILINE)
    if match is None:
        match = re.search(r"^! (.*)$", text, re.MULTILINE)
        reason = match.group(1) if match else "LaTeX failed"
        return f"{tex.name}: {reason} (see {log})"
    line, reason = int(match.group(1)), match.group(2)
    problem = None
    for number, source_line in enumerate(tex.read_text(encoding="utf-8").splitlines(), start=1):
        if number > line:
            break
        if source_line.startswith("% symgrad-problem: "):
            problem = source_line.split(": ", 1)[1]
    where = f" in problem '{problem}'" if problem else ""
    return f"{tex.name}: LaTeX error{where} (line {line}): {reason} (see {log})"
