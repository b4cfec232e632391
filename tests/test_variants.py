"""Variants: deterministic draws that meet their constraints, a class's documents and keys, keyed
grading, the stress test, distractors, and the PrairieLearn export (Moodle's: test_moodle.py)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sympy

from symgrad.check import Context, Tolerance, check
from symgrad.documents.bank import BankError, load_bank, load_text, variant
from symgrad.documents.distractors import distractors
from symgrad.documents.keys import problem_keys
from symgrad.documents.stress import stress
from symgrad.numbers_check import check_numbers, read_array

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems" / "variants.yaml"
# Each problem's space holds thousands of variants (test_variant_space.py), so 330 students of a class
# see at least 300 distinct ones; v-multivariate's 3,840 and v-grad-xy's 2,736 leave the most repeats.
MIN_DISTINCT = 300


def symgrad(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def problems():
    return load_bank([BANK])


def test_the_same_seed_and_student_give_the_same_variant(problems):
    for p in problems:
        assert variant(p, 5, "ada").data == variant(p, 5, "ada").data
    code = ("from symgrad.documents.bank import load_bank, variant; "
            f"print([sorted(map(str, variant(p, 5, 'ada').data.items())) for p in load_bank([{str(BANK)!r}])])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": h}).stdout for h in ("0", "99")}
    assert len(outs) == 1 and outs.pop().startswith("[[")


def test_330_variants_of_each_kind_are_distinct_solvable_and_checked(problems):
    reports = stress(problems, 330, seed=3)
    for report in reports:
        assert report.failures == [], (report.problem, report.failures[:3])
        assert report.variants == 330
        assert report.distinct >= MIN_DISTINCT, (report.problem, report.distinct)


def test_nice_values_where_the_gates_allow(problems):
    from symgrad.solve import solve

    staged = next(p for p in problems if p.id == "v-staged-family")
    for student in map(str, range(40)):
        v = variant(staged, 1, student)
        s = solve(v.data["expression"], v.point)
        for node in (*s.graph.inputs, *(st.name for st in s.graph.stages)):
            for value in (s.value(node), s.grad(node)):
                assert value.exact.is_Rational and 100 % value.exact.q == 0
        assert len(set(v.point.values())) == len(v.point)  # no two inputs equal


def test_impossible_constraints_say_so():
    text = ("- id: stuck\n  title: T\n  kind: staged\n  expression: x + y\n"
            "  point: {x: {range: [1, 1]}, y: {range: [1, 1]}}\n  parts: [forward]\n")
    with pytest.raises(BankError, match="no variant meets its constraints in 200 draws .*two inputs are equal"):
        load_text(text, "b.yaml")
    with pytest.raises(BankError, match="range needs"):
        load_text(text.replace("[1, 1]}, y", "[1]}, y"), "b.yaml")


def test_class_documents_and_key_are_byte_identical(tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("id,name\nada,Ada Lovelace\nbob,Bob\n")
    for out in ("a", "b"):
        r = symgrad("worksheet", str(BANK), "--roster", str(roster), "--seed", "4", "--out", str(tmp_path / out))
        assert r.returncode == 0, r.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert [str(f) for f in files] == ["ada/answers.tex", "ada/solutions.tex", "ada/worksheet.tex",
                                      "bob/answers.tex", "bob/solutions.tex", "bob/worksheet.tex", "key.jsonl"]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    lines = [json.loads(line) for line in (tmp_path / "a" / "key.jsonl").read_text().splitlines()]
    assert {"student", "problem", "part", "expected", "vars"} <= set(lines[0])
    assert {line["student"] for line in lines} == {"ada", "bob"}
    ada = (tmp_path / "a" / "ada" / "worksheet.tex").read_text()
    bob = (tmp_path / "a" / "bob" / "worksheet.tex").read_text()
    assert ada != bob


def _submissions(path: Path, lines: list[dict], answers: dict) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("student", "problem", "part", "answer"))
        for line in lines:
            writer.writerow((line["student"], line["problem"], line["part"], answers[line["student"], line["problem"],
                                                                                     line["part"]]))


def test_keyed_grading_against_each_students_own_variant(tmp_path):
    r = symgrad("worksheet", str(BANK), "--variants", "4", "--seed", "2", "--out", str(tmp_path / "class"))
    assert r.returncode == 0, r.stderr
    key_file = tmp_path / "class" / "key.jsonl"
    lines = [json.loads(line) for line in key_file.read_text().splitlines()]
    own = {(k["student"], k["problem"], k["part"]): k["expected"] for k in lines}
    students = sorted({k["student"] for k in lines})
    following = {s: students[(i + 1) % len(students)] for i, s in enumerate(students)}
    shifted = {(s, p, q): own[following[s], p, q] for (s, p, q) in own}

    _submissions(tmp_path / "own.csv", lines, own)
    r = symgrad("grade", "--key", str(key_file), str(tmp_path / "own.csv"))
    results = list(csv.DictReader(r.stdout.splitlines()))
    assert len(results) == len(lines) and Counter(x["verdict"] for x in results) == {"correct": len(lines)}

    _submissions(tmp_path / "shifted.csv", lines, shifted)
    r = symgrad("grade", "--key", str(key_file), str(tmp_path / "shifted.csv"), "--out", str(tmp_path / "r.csv"))
    assert r.returncode == 0, r.stderr
    numbers = {(k["student"], k["problem"], k["part"]) for k in lines if "network" not in k and "numbers" in k}
    rounded = {(k["student"], k["problem"], k["part"]): k["decimals"] for k in lines if "decimals" in k}
    assert numbers, "the network variant keys its instance's numbers per student"
    for row in csv.DictReader((tmp_path / "r.csv").open()):
        key = (row["student"], row["problem"], row["part"])
        if key in numbers:  # a neighbour's numbers are another instance's
            same_key = check_numbers(read_array(own[key]), shifted[key]).verdict == "correct"
        elif key in rounded:  # two decimals: a neighbour's number within 0.005 of one's own passes
            same_key = check(own[key], shifted[key], Context((), tolerance=Tolerance(decimals=rounded[key]))).verdict \
                == "correct"
        else:
            same_key = check(own[key], shifted[key]).verdict == "correct"
        assert (row["verdict"] == "correct") == same_key, row
    assert any(row["verdict"] == "incorrect" for row in csv.DictReader((tmp_path / "r.csv").open())
               if (row["student"], row["problem"], row["part"]) in numbers)

    with (tmp_path / "extra.csv").open("w") as handle:
        handle.write("student,problem,part,answer\nzoe,v-chain,derivative.x,1\n001,v-chain,nope,1\n")
    r = symgrad("grade", "--key", str(key_file), str(tmp_path / "extra.csv"))
    verdicts = [x["verdict"] for x in csv.DictReader(r.stdout.splitlines())]
    assert verdicts == ["invalid", "invalid"]


def test_stress_command_reports(tmp_path):
    r = symgrad("stress", str(BANK), "--n", "5")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 8
    assert all("0 failures" in line and re.search(r" space +about [0-9,]+ ", line) for line in lines)
    assert "rejected " in lines[0] and "saturated" in next(line for line in lines if line.startswith("v-network"))


def test_distractors_are_wrong_and_distinct(problems):
    for p in problems:
        for item, key in problem_keys(variant(p, 0, "kim")).items():
            chosen = distractors(key)
            if isinstance(key.expected, (str, sympy.MatrixBase)):
                continue
            assert chosen, (p.id, item)
            for _, wrong in chosen:
                assert check(key.expected, wrong, key.context).verdict == "incorrect"
            for i, (_, a) in enumerate(chosen):
                for _, b in chosen[i + 1:]:
                    assert check(a, b).verdict != "correct", (p.id, item, a, b)

