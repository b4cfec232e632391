"""Bulk grading: one output row per input row, resumable, the same verdicts in any executor."""

from __future__ import annotations

import csv
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from symgrad.grade import grade, read_submissions

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "submissions.csv"
EXPECTED = {  # row -> verdict, diagnosis for examples/submissions.csv
    1: ("correct", ""), 2: ("correct", ""), 3: ("correct", ""), 4: ("correct", ""), 5: ("correct", ""),
    6: ("correct", ""), 7: ("correct", ""), 8: ("incorrect", "sign error"), 9: ("invalid", ""),
    10: ("incorrect", "differs"), 11: ("incorrect", "missing inner derivative"), 12: ("incorrect", "missing path"),
    13: ("correct", ""), 14: ("invalid", ""), 15: ("invalid", ""), 16: ("correct", ""), 17: ("correct", ""),
    18: ("correct", ""), 19: ("correct", ""), 20: ("correct", ""), 21: ("correct", ""),
    22: ("incorrect", "missing activation derivative"), 23: ("incorrect", "transposed"), 24: ("correct", ""),
    25: ("incorrect", "differs"),
}


def rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def verdicts(path: Path) -> dict[int, tuple[str, str]]:
    return {int(r["row"]): (r["verdict"], r["diagnosis"]) for r in rows(path)}


def test_grades_the_sample_and_totals_per_student(tmp_path):
    out = tmp_path / "results.csv"
    totals = grade(read_submissions(SAMPLE), out)
    assert verdicts(out) == EXPECTED
    assert rows(totals) == [
        {"student": "ada", "correct": "7", "incorrect": "0", "invalid": "0", "undecided": "0", "total": "7"},
        {"student": "bob", "correct": "1", "incorrect": "4", "invalid": "3", "undecided": "0", "total": "8"},
        {"student": "carol", "correct": "5", "incorrect": "0", "invalid": "0", "undecided": "0", "total": "5"},
        {"student": "dan", "correct": "2", "incorrect": "3", "invalid": "0", "undecided": "0", "total": "5"},
    ]
    first = rows(out)[0]
    assert first["message"] == "correct" and first["parsed"] == "-14"


def test_no_row_is_lost(tmp_path):
    src = tmp_path / "subs.csv"
    src.write_text(
        "student,problem,part,answer\n"
        "ann,staged-xyz,value.f,-14\n"
        "ann,staged-xyz,value.f\n"                   # a field short
        "ann,staged-xyz,value.f,-14,extra\n"         # a field long
        "ann,staged-xyz,value.f,\n"                  # empty answer
        "ann,staged-xyz,value.f,\"__import__('os').system('touch pwned')\"\n"
        "ann,staged-xyz,nope,1\n"
    )
    out = tmp_path / "out.csv"
    grade(read_submissions(src), out)
    got = rows(out)
    assert [int(r["row"]) for r in got] == [1, 2, 3, 4, 5, 6]
    assert [r["verdict"] for r in got] == ["correct", "invalid", "invalid", "invalid", "invalid", "invalid"]
    assert "expected 4 fields, found 3" in got[1]["message"]
    assert "empty" in got[3]["message"]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_an_interrupted_run_resumes_without_duplicates(tmp_path):
    out = tmp_path / "results.csv"
    subs = read_submissions(SAMPLE)
    grade(subs[:7], out)
    with out.open("a") as handle:
        handle.write("8,bob,staged-xyz,value.f,14,incor")  # a run killed in the middle of a line
    grade(subs, out)
    assert sorted(int(r["row"]) for r in rows(out)) == list(range(1, 26))
    assert verdicts(out) == EXPECTED


def test_any_executor_gives_the_same_verdicts(tmp_path):
    with ThreadPoolExecutor(2) as pool:
        grade(read_submissions(SAMPLE), tmp_path / "threads.csv", executor=pool)
    assert verdicts(tmp_path / "threads.csv") == EXPECTED


def test_cli_with_two_worker_processes(tmp_path):
    out = tmp_path / "results.csv"
    r = subprocess.run([sys.executable, "-m", "symgrad", "grade", str(SAMPLE), "--out", str(out), "--workers", "2"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert verdicts(out) == EXPECTED
    assert (tmp_path / "results-totals.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results-totals.csv", "results.csv"]


def test_cli_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,answer\nx,1\n")
    r = subprocess.run([sys.executable, "-m", "symgrad", "grade", str(bad), "--out", str(tmp_path / "o.csv")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "the header lacks student, problem, part" in r.stderr


def test_on_a_real_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            grade(read_submissions(SAMPLE), tmp_path / "dask.csv", executor=client.get_executor())
    assert verdicts(tmp_path / "dask.csv") == EXPECTED


def test_progress_bar_when_asked(tmp_path, capsys):
    grade(read_submissions(SAMPLE), tmp_path / "r.csv", progress=True)
    err = capsys.readouterr().err
    assert "25/25" in err and "answer" in err
