"""Documents from a bank: Jinja2 (LaTeX-safe delimiters) over the problem views, and PDFs via latexmk.

The .tex is deterministic: the same bank gives byte-identical files. A TeX error is reported
with the problem it came from, found through the ``% symgrad-problem: ID`` line before it; so is
what a PDF shows broken (a line running into the margin, a character the font lacks), read from
TeX's log, which is kept next to the PDF.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
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
    env.filters["mathcell"] = mathcell
    env.filters["answerline"] = lambda line: text_of(line) if text_of(line) is not None else rf"$\displaystyle {line}$"
    env.globals["columns"] = columns
    env.globals["fitted"] = fitted
    return env


TABLE_WIDTH = 430.0  # pt: a little less than the text width of a numbered part (473 pt)


def text_of(cell: str) -> str | None:
    """The text of a cell that is one \\text{...} (set in text mode, where it can wrap), else None."""
    if not cell.startswith("\\text{") or not cell.endswith("}"):
        return None
    depth = 0
    for i, char in enumerate(cell[5:], start=5):
        depth += {"{": 1, "}": -1}.get(char, 0) if cell[i - 1] != "\\" else 0
        if depth == 0:
            return cell[6:-1] if i == len(cell) - 1 else None
    return None


def mathcell(cell: str) -> str:
    """A table cell: math in $...$, a cell of text as text."""
    if not cell:
        return ""
    text = text_of(cell)
    return text if text is not None else f"${cell}$"


def columns(table: dict) -> str:
    """The column spec of a table: l columns, but when the table would be wider than the page its
    widest column of text becomes a tabularx X column (ragged right) that wraps."""
    from ..steps.core import tex_width

    def width(cell: str) -> float:
        text = text_of(cell)
        return 5.6 * len(text) if text is not None else tex_width(cell)

    head, rows = (table[k] if isinstance(table, dict) else getattr(table, k) for k in ("head", "rows"))
    count = len(head)
    widths = [max((width(row[i]) for row in rows if i < len(row)), default=0.0) for i in range(count)]
    if sum(widths) + 12.0 * count <= TABLE_WIDTH:
        return "l" * count
    texts = [i for i in range(count) if any(i < len(row) and text_of(row[i]) is not None for row in rows)]
    if not texts:
        return "l" * count
    wide = max(texts, key=lambda i: widths[i])
    wrapping = r">{\raggedright\arraybackslash\hangindent=1em\hangafter=1}X"
    return "".join(wrapping if i == wide else "l" for i in range(count))


GRAPH_SPAN = 15.5  # cm: the widest a computation graph's columns may spread (the text is 16.6 cm)
GRAPH_STRETCH, GRAPH_HEIGHT = 1.25, 9.0  # rows stretched up to 1.25 times while the drawing stays under 9 cm
PT = 1 / 28.45  # cm
SLOT_SCALE = 0.9  # the wires' labels are \footnotesize (8/10.95), estimated generously


def fitted(graph):
    """The layout's drawing made readable in print: columns spread so that every wire between
    neighbouring columns is long enough for its labels (value above, gradient below), within
    GRAPH_SPAN (columns with room to spare give it to the crowded ones); rows stretched a little;
    each wire's labels placed where it is furthest from its neighbours (edges become dicts with
    a ``pos``). The order and rows of the nodes stay the layout's."""
    from dataclasses import replace

    from ..steps.core import tex_width

    xs = sorted({round(n.x, 6) for n in graph.nodes}) or [0.0]
    column = {n.name: xs.index(round(n.x, 6)) for n in graph.nodes}
    where = {n.name: n for n in graph.nodes}

    def half(node) -> float:  # half the width of a node, in cm
        width = tex_width(node.label.replace("$", "")) * PT if node.label else 0.0
        if node.kind == "gate":
            return max(0.4, 0.6 * width + 0.05)
        return 0.5 * width + 2 * PT if node.kind == "input" else 0.0

    def label(edge) -> float:
        if graph.mode == "blank":
            return 0.9 + 2 * PT  # the dotted slot to write in
        if graph.mode != "filled":
            return 0.0
        return max(tex_width(edge.value), tex_width(edge.grad)) * SLOT_SCALE * PT + 2 * PT

    gaps = [b - a for a, b in zip(xs, xs[1:])]
    need = [min(g, 1.0) for g in gaps]  # columns joined by no wire keep apart too
    for e in graph.edges:
        if e.src not in where or e.dst not in where or column[e.dst] != column[e.src] + 1:
            continue
        # sideways, not along the wire: wires meeting at a gate need the room to hold their labels apart
        i = column[e.src]
        need[i] = max(need[i], half(where[e.src]) + half(where[e.dst]) + label(e) + 0.2)
    wanted = [max(g, n) for g, n in zip(gaps, need)]
    span = max(GRAPH_SPAN, sum(gaps))
    if sum(wanted) > span:
        slack = sum(w - n for w, n in zip(wanted, need))
        if sum(need) < span and slack > 0:
            k = (span - sum(need)) / slack
            wanted = [n + (w - n) * k for w, n in zip(wanted, need)]
        else:  # too crowded even at the least: spread evenly by need (some labels will touch)
            wanted = [n * span / sum(need) for n in need]
    moved = [xs[0]]
    for g in wanted:
        moved.append(moved[-1] + g)
    # rows a little further apart, too, as long as the drawing stays short enough for a page
    ys = [n.y for n in graph.nodes]
    height = max(ys) - min(ys)
    stretch = min(GRAPH_STRETCH, max(1.0, GRAPH_HEIGHT / height)) if height > 0 else 1.0
    nodes = [replace(n, x=round(moved[column[n.name]], 3), y=round(n.y * stretch, 3)) for n in graph.nodes]
    # labels where a wire is furthest from its neighbours: wires meeting at a gate are closest at the
    # gate, wires leaving one node closest at that node
    fan_in = {name: sum(e.dst == name for e in graph.edges) for name in where}
    fan_out = {name: sum(e.src == name for e in graph.edges) for name in where}
    edges = [{"src": e.src, "dst": e.dst, "value": e.value, "grad": e.grad,
              "pos": 0.5 + 0.1 * ((fan_out.get(e.src, 0) > 1) - (fan_in.get(e.dst, 0) > 1))}
             for e in graph.edges]
    return replace(graph, nodes=nodes, edges=edges)


DEFAULT_TITLE = "Backpropagation and the chain rule"


def render(problems: Iterable[Problem], title: str = DEFAULT_TITLE) -> dict[str, str]:
    """The worksheet, solutions and answer key of ``problems`` as LaTeX sources, by document name."""
    from ..printing import tex_text

    return render_views([view(p) for p in problems], tex_text(title))


def render_views(views: list, heading: str) -> dict[str, str]:
    """The documents of problem views already made (``heading`` already LaTeX), by document name."""
    env = environment()
    return {
        name: env.get_template(template).render(problems=views, heading=heading, subheading=subtitle)
        for name, (template, subtitle) in DOCUMENTS.items()
    }


def warn(message: str) -> None:
    """A layout problem on stderr, as the command line prints it."""
    print(f"symgrad: warning: {message}", file=sys.stderr)


def write(problems: list[Problem], out: Path, *, pdf: bool = False, title: str | None = None,
          report: Callable[[str], None] | None = warn) -> list[Path]:
    """Write DIR/worksheet.tex, solutions.tex, answers.tex (and their PDFs with ``pdf``; layout
    problems go to ``report``: by default warnings on stderr, None to say nothing)."""
    out.mkdir(parents=True, exist_ok=True)
    sources = render(problems, title) if title else render(problems)
    written = []
    for name, text in sources.items():
        path = out / f"{name}.tex"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if pdf:
        for path in list(written):
            written.append(build_pdf(path, report))
    return written


def build_pdf(tex: Path, report: Callable[[str], None] | None = warn, fmt: Path | None = None) -> Path:
    """tex -> pdf with latexmk (pdflatex twice without it), shell escape off.

    TeX's log stays next to the PDF (the other auxiliary files are removed), and every problem
    ``layout_problems`` finds in it is passed to ``report`` (by default: a warning on stderr).
    ``fmt`` is a format from ``preamble_format`` whose preamble is this document's: TeX starts
    from it instead of loading the packages; should that fail, the document is built without it.
    """
    if fmt is not None:
        try:
            return _build_pdf(tex, report, fmt)
        except TexError:
            pass  # the same error without the format is the one to report
    return _build_pdf(tex, report, None)


def _build_pdf(tex: Path, report: Callable[[str], None] | None, fmt: Path | None) -> Path:
    with_fmt = [f"-fmt={fmt}"] if fmt is not None else []
    if shutil.which("latexmk"):
        command = ["latexmk", "-pdf", "-e", RERUN_ONLY_FOR_REFERENCES, "-interaction=nonstopmode", "-halt-on-error",
                   "-file-line-error", "-no-shell-escape", "-quiet", tex.name]
        if fmt is not None:  # latexmk runs this through the shell
            command[1:1] = [f"-pdflatex=pdflatex {shlex.quote(with_fmt[0])} %O %S"]
        runs = [command]
    elif shutil.which("pdflatex"):
        command = ["pdflatex", *with_fmt, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                   "-file-line-error", tex.name]
        runs = [command, command]
    else:
        raise TexError(f"cannot build {tex.with_suffix('.pdf').name}: TeX is not installed. "
                       f"The .tex files are written in {tex.parent}; {TEX_INSTALL}")
    env = {**os.environ, "max_print_line": "10000"}  # one log line per message, however long
    for run in runs:
        result = subprocess.run(run, cwd=tex.parent, capture_output=True, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, timeout=300, env=env)
        if result.returncode != 0:
            raise TexError(_explain(tex))
    for suffix in AUXILIARY:
        tex.with_suffix(suffix).unlink(missing_ok=True)
    if report is not None:
        for problem in layout_problems(tex.with_suffix(".log")):
            report(problem)
    return tex.with_suffix(".pdf")


AUXILIARY = (".aux", ".fls", ".fdb_latexmk", ".out", ".toc")
# LaTeX writes the page count to the .aux (\gdef\@abspage@last{N}); latexmk 4.79 reruns pdflatex when it
# changes, which is every document of more than one page. The documents never print it, so only what
# they do use (references) may ask for a second run.
RERUN_ONLY_FOR_REFERENCES = "$hash_calc_ignore_pattern{aux} = q/abspage@last/;"
BEGIN, END = "\\begin{document}", "\\end{document}"
# After the dumped preamble, \documentclass skips a document's own preamble (the same text, which the
# format has already read) up to its \begin: the .tex files stay complete documents without the format.
SKIP_PREAMBLE = "\\makeatletter\n\\long\\def\\documentclass#1\\begin#2{\\begin{#2}}\n\\makeatother\n"


def preamble(text: str) -> str | None:
    """The preamble of a document: everything before its \\begin{document}, which it must not use."""
    head, found, _ = text.partition(BEGIN)
    return head if found and "\\begin{" not in head else None


def preamble_format(folder: Path, text: str) -> Path | None:
    """A LaTeX format (``pdflatex -ini``, ``\\dump``) of ``text``'s preamble in ``folder``, so that
    TikZ, amsmath and the other packages are loaded once for a class rather than once per document;
    None when pdflatex cannot make it. Pass it to ``build_pdf`` only for documents whose
    ``preamble`` is the same."""
    head = preamble(text)
    if head is None or not shutil.which("pdflatex"):
        return None
    source = folder / "preamble.tex"
    source.write_text(head + SKIP_PREAMBLE, encoding="utf-8")
    result = subprocess.run(["pdflatex", "-ini", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                             "-jobname=preamble", "&pdflatex", source.name, "\\dump"],
                            cwd=folder, capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    fmt = folder.resolve() / "preamble.fmt"
    return fmt.with_suffix("") if result.returncode == 0 and fmt.exists() else None


def remove_format(fmt: Path) -> None:
    for suffix in (".fmt", ".tex", ".log"):
        fmt.with_suffix(suffix).unlink(missing_ok=True)
OVERFULL_LIMIT = 1.0  # pt: a line sticking out less than this is invisible in print

_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) "
                       r"(?:in paragraph at lines (\d+)--\d+|in alignment at lines (\d+)--\d+|detected at line (\d+))")
_MISSING = re.compile(r"^Missing character: There is no (.+?) in font ([^!]+)!")
_MARKER = "symgrad-problem: "


def layout_problems(log: Path) -> list[str]:
    """What the PDF of ``log`` shows broken, one readable line each: every line wider than the
    text by more than OVERFULL_LIMIT (Overfull \\hbox) and every character the font lacks, with
    the problem it belongs to (the ``% symgrad-problem: ID`` line before it in the .tex, or the
    ``symgrad-problem: ID`` the documents type out to the log before each problem).
    """
    if not log.exists():
        return []
    tex = log.with_suffix(".tex")
    markers: list[tuple[int, str]] = []  # (line, problem id) in the .tex
    if tex.exists():
        for number, line in enumerate(tex.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if line.startswith("% " + _MARKER):
                markers.append((number, line.split(": ", 1)[1].strip()))

    def problem_at(line: int) -> str | None:
        found = None
        for number, problem in markers:
            if number > line:
                break
            found = problem
        return found

    problems, current = [], None
    for entry in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if entry.startswith(_MARKER):
            current = entry[len(_MARKER):].strip()
        elif m := _OVERFULL.match(entry):
            excess, line = float(m.group(1)), int(next(g for g in m.groups()[1:] if g))
            if excess > OVERFULL_LIMIT:
                problems.append(_where(tex.name, problem_at(line) or current, line)
                                + f"a line {excess:.1f} pt too wide for the page (Overfull \\hbox)")
        elif m := _MISSING.match(entry):
            problems.append(_where(tex.name, current, None)
                            + f"the font {m.group(2)} has no character {m.group(1)} (Missing character)")
    return problems


def _where(name: str, problem: str | None, line: int | None) -> str:
    where = f" in problem '{problem}'" if problem else ""
    at = f" (line {line})" if line else ""
    return f"{name}{where}{at}: "


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
