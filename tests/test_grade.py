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


def _mixed_submissions(path: Path, key_file: bool = False) -> None:
    """A few hundred answers of every kind, to several keys each, in no order of key: correct ones
    written otherwise than the key, wrong ones (sign, factor, term, number off), invalid ones, and rows
    that name no key."""
    import json
    import random

    from symgrad.documents.bank import load_bank
    from symgrad.documents.keys import bank_keys, key_line
    from symgrad.printing import grammar_syntax

    keys = bank_keys(())
    problems = {p.id: p for p in load_bank([])}
    picked = [("chain-composition", "derivative.x"), ("chain-multivariate", "derivative.u"),
              ("tanh-sigmoid", "derivative"), ("grad-max", "partial.x"), ("relu-derivative", "derivative"),
              ("neuron", "gradient.w0"), ("staged-xyz", "value.f"), ("staged-xyz", "grad.x"), ("neuron", "grad.x0"),
              ("sigmoid-ratio", "value.f"), ("net-one-hidden", "grad.W2"), ("net-one-hidden", "value.loss"),
              ("param-count", "with-biases"), ("graph-tanh-units", "gradient.w11")]
    students = ["ada", "bob", "cy"]
    rng = random.Random(15)
    rows = []
    for c in range(2, 2 + 330):
        problem, part = rng.choice(picked)
        key = keys[problem][part]
        if key.array is not None and key.array.shape == (1, 1) or getattr(key.expected, "is_number", False):
            k = float(key.array[0, 0]) if key.array is not None else float(key.expected)
            answer = rng.choice([f"{k + (c % 7 - 3) * 1e-4:.5f}", f"{k:.2f}", f"{-k:.2f}", f"{k * 3:.3f}",
                                 f"{k + c / 10:.2f}", f"{k:.2f} x", f"{c}..1"])
        else:
            text = key.expected if isinstance(key.expected, str) else grammar_syntax(key.expected)
            answer = rng.choice([text, f"{c}({text})/{c}", f"({text}) + {c}", f"{c}({text})", f"-({text})",
                                 f"({text}) + x/{c}", f"({text}) + {c} q", f"({text}) +", f"({text})^2"])
        rows.append((rng.choice(students), problem, part, answer))
    rows += [("ada", "no-such", "a", "1"), ("bob", " staged-xyz", "value.f ", "-14"), ("cy", "staged-xyz", "nope", "1"),
             ("ada", "net-one-hidden", "value.a1[2]", "0.95"), ("bob", "net-one-hidden", "grad.W2[9,9]", "1")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("student", "problem", "part", "answer"))
        writer.writerows(rows)
        handle.write("ada,staged-xyz,value.f\n")  # a field short
    if key_file:
        lines = [key_line(s, problems[p], part, keys[p][part]) for s in students for p, part in picked]
        lines += [key_line(s, problems["net-one-hidden"], "value.a1", keys["net-one-hidden"]["value.a1"])
                  for s in students]
        path.with_suffix(".jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.mark.parametrize("key_file", [False, True], ids=["bank", "key-file"])
def test_grouped_grading_gives_the_rows_of_ungrouped(tmp_path, key_file):
    """Grouped by key with the key side shared (warm caches) gives exactly the rows of the path before
    grouping with every cache cold, in input order, in this process and in a pool of threads."""
    from symgrad.check import clear_key_caches

    src = tmp_path / "subs.csv"
    _mixed_submissions(src, key_file)
    keys = src.with_suffix(".jsonl") if key_file else None
    subs = read_submissions(src)
    clear_key_caches()
    grade(subs, tmp_path / "plain.csv", group=False, key_file=keys)
    grade(subs, tmp_path / "grouped.csv", key_file=keys)
    with ThreadPoolExecutor(2) as pool:
        grade(subs, tmp_path / "pool.csv", executor=pool, key_file=keys)
    plain = (tmp_path / "plain.csv").read_text()
    assert [int(r["row"]) for r in rows(tmp_path / "plain.csv")] == list(range(1, len(subs) + 1))
    assert (tmp_path / "grouped.csv").read_text() == plain
    assert (tmp_path / "pool.csv").read_text() == plain
    kinds = {r["verdict"] for r in rows(tmp_path / "plain.csv")}
    assert kinds == {"correct", "incorrect", "invalid"}


def test_work_goes_grouped_by_key_and_no_row_is_lost():
    from symgrad.grade import CHUNK, GROUP, Submission, plan

    parts = ["value.f", "grad.x", "grad.y"]
    subs = [Submission(i + 1, f"s{i}", "staged-xyz", parts[i % 3], str(i)) for i in range(1000)]
    subs.append(Submission(1001, "s", "staged-xyz", "nope", "1"))
    decided, chunks = plan(subs)
    assert [s.row for s, _ in decided] == [1001]
    sent = [s.row for chunk in chunks for _, group in chunk for s in group]
    assert sorted(sent) == list(range(1, 1001))
    for chunk in chunks:
        assert sum(len(g) for _, g in chunk) <= GROUP
        for _, group in chunk:
            assert len({s.part for s in group}) == 1  # one key a group
            assert [s.row for s in group] == sorted(s.row for s in group)  # in input order within it
    assert [sum(len(g) for _, g in c) for c in chunks] == [334, 333, 333]  # a key's answers together
    one_key = [Submission(i + 1, f"s{i}", "staged-xyz", "value.f", str(i)) for i in range(1000)]
    assert [sum(len(g) for _, g in c) for c in plan(one_key)[1]] == [GROUP, GROUP, 1000 - 2 * GROUP]
    few = [Submission(i + 1, f"s{i}", "staged-xyz", parts[i % 3], str(i)) for i in range(30)]
    assert [sum(len(g) for _, g in c) for c in plan(few)[1]] == [CHUNK + 5]  # small groups packed together
