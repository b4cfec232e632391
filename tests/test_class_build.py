"""A class built in parallel: the same bytes as a serial build, PDFs from the preamble's format, and the
class PDFs of --combined (issue 15, item 1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad.cli import main
from symgrad.documents.bank import load_bank
from symgrad.documents.cohort import COMBINED, build, numbered

BANK = Path(__file__).resolve().parent.parent / "problems" / "variants.yaml"
needs_tex = pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdfunite") and shutil.which("pdftotext")),
                               reason="needs latexmk, pdfunite and pdftotext")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def worksheet(out: Path, *options: str) -> subprocess.CompletedProcess:
    """The command line in a fresh process (nothing cached from another build)."""
    return subprocess.run([sys.executable, "-m", "symgrad", "worksheet", str(BANK), "--seed", "3", "--out", str(out),
                           *options], capture_output=True, text=True, check=True)


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def text(pdf: Path, page: int | None = None) -> str:
    where = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *where, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_parallel_build_is_byte_identical_to_serial(tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    one = worksheet(serial, "--variants", "5", "--jobs", "1")
    two = worksheet(parallel, "--variants", "5", "--jobs", "2")
    assert files(serial) == files(parallel)
    assert len(files(serial)) == 5 * 3 + 1  # three documents a student and key.jsonl
    # the paths printed in the same order too
    assert one.stdout.replace(str(serial), "DIR") == two.stdout.replace(str(parallel), "DIR")
    students = [line.split('"student": "')[1][:3] for line in (serial / "key.jsonl").read_text().splitlines()]
    assert students == sorted(students) and set(students) == set(numbered(5))  # key.jsonl in roster order


def test_roster_order_is_kept_in_parallel(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nzoe,Zoe\nadam,Adam\nmia,Mia\n", encoding="utf-8")
    problems = load_bank([BANK], ["v-chain", "v-grad-xy"])
    written = build(problems, ["zoe", "adam", "mia"], 1, tmp_path / "out", jobs=2)
    order = [p.parent.name for p in written if p.suffix == ".tex"]
    assert order == ["zoe"] * 3 + ["adam"] * 3 + ["mia"] * 3
    keys = (tmp_path / "out" / "key.jsonl").read_text().splitlines()
    firsts = list(dict.fromkeys(line.split('"student": "')[1].split('"')[0] for line in keys))
    assert firsts == ["zoe", "adam", "mia"]


def test_jobs_must_be_positive(tmp_path, capsys):
    assert main(["worksheet", str(BANK), "--variants", "2", "--jobs", "0", "--out", str(tmp_path)]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


@needs_tex
def test_pdfs_from_the_preamble_format_are_the_same_documents(tmp_path):
    problems = load_bank([BANK], ["v-staged-xyz", "v-neuron"])
    build(problems, ["001"], 1, tmp_path / "plain", pdf=True, jobs=1, precompile=False)
    times: dict[str, float] = {}
    build(problems, ["001"], 1, tmp_path / "fmt", pdf=True, jobs=1, times=times)
    assert times["format"] > 0
    for name in ("worksheet", "solutions", "answers"):
        log = (tmp_path / "fmt" / "001" / f"{name}.log").read_text(errors="replace")
        assert "format=preamble" in log.splitlines()[0]  # TeX started from the format
        plain, fmt = tmp_path / "plain" / "001" / f"{name}.pdf", tmp_path / "fmt" / "001" / f"{name}.pdf"
        assert text(plain) == text(fmt) and pages(plain) == pages(fmt)
    assert not list((tmp_path / "fmt").glob("preamble.*"))  # the format is removed after the build


@needs_tex
def test_combined_pdfs_are_the_students_documents_each_from_a_new_page(tmp_path):
    out = tmp_path / "class"
    worksheet(out, "--variants", "3", "--only", "v-staged-xyz,v-chain,v-grad-xy", "--pdf", "--combined")
    assert not (out / ".combined").exists()
    for name, target in COMBINED.items():
        combined = out / target
        own = [out / student / f"{name}.pdf" for student in numbered(3)]
        counts = [pages(pdf) for pdf in own]
        assert pages(combined) == sum(counts)
        # the class PDF is the students' documents one after the other, page for page
        assert text(combined) == "".join(text(pdf) for pdf in own)
        first = 1
        for pdf, count in zip(own, counts):
            page = text(combined, first)
            assert page == text(pdf, 1)  # a student's document starts on a page of its own
            assert page.split()[-1] == "1"  # numbered from 1 again
            first += count


@needs_tex
def test_combined_alone_builds_no_student_pdfs(tmp_path):
    out = tmp_path / "class"
    worksheet(out, "--variants", "2", "--only", "v-chain", "--combined")
    assert not list(out.glob("*/*.pdf"))
    assert all(pages(out / target) >= 2 for target in COMBINED.values())
