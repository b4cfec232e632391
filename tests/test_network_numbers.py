"""Per-student network numbers: each variant draws its own instance under the constraints, and every z,
a, delta, gradient and the loss of it are keyed per student and graded within 1%, as a whole vector or
matrix or entry by entry."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

from symgrad.documents.bank import load_text, variant
from symgrad.documents.keys import find_key, key_from_line, key_line, problem_keys
from symgrad.documents.variants import _network_instance
from symgrad.grade import verdict_for
from symgrad.nets import ACTIVATIONS, LOSSES
from symgrad.numbers_check import check_numbers, read_array

ROOT = Path(__file__).resolve().parents[1]
BANK = """
- id: my-net
  title: A 2-3-1 network
  kind: network
  sizes: [2, 3, 1]
  activations: [tanh, sigmoid]
  loss: squared
  seed: {range: [0, 1000000]}
  parts: [formulas, forward, backward]
"""


@pytest.fixture(scope="module")
def problem():
    return load_text(BANK, "b.yaml")[0]


def _text(m: sympy.Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{float(e):.6g}" for e in m.row(i)) + "]" for i in range(m.rows)) + "]"


def test_reading_and_verdicts_of_numeric_answers():
    key = sympy.Matrix([[0.25, -0.5], [1, 2]])
    cases = [("[[0.25, -0.5], [1, 2]]", "correct", None), ("[[0.2501, -0.5], [1, 2.01]]", "correct", None),
             ("[[0.25, 1], [-0.5, 2]]", "incorrect", "wrong entries"),
             ("[[-0.25, 0.5], [-1, -2]]", "incorrect", "sign error"),
             ("[0.25, -0.5, 1, 2]", "incorrect", "shape mismatch"),
             (r"\begin{bmatrix} 1/4 & -0.5 \\ 1 & 2 \end{bmatrix}", "correct", None),
             ("[[1, 2], [3]]", "invalid", None), ("[[__import__('os')]]", "invalid", None),
             ("[[1, 2], [3, 4]", "invalid", None), ("[[x, 2], [3, 4]]", "invalid", None)]
    for answer, verdict, diagnosis in cases:
        v = check_numbers(key, answer)
        assert (v.verdict, v.diagnosis) == (verdict, diagnosis), (answer, v.message)
    v = check_numbers(sympy.Matrix([[1, 2, 3]]).T, "[[1, 2, 3]]")
    assert v.diagnosis == "transposed" and "it is transposed" in v.message
    assert read_array("[0.25, -0.5]") == sympy.Matrix([sympy.Rational(1, 4), -sympy.Rational(1, 2)])
    assert check_numbers(key, "[[0.25, -0.5], [1, 2.05]]").message.startswith("1 of 4 entries are off (entry (2, 2)")


def test_each_student_draws_a_good_instance_of_their_own(problem):
    seen = set()
    for student in map(str, range(30)):
        v = variant(problem, 0, student)
        weights, bias, x, _ = v.instance()
        assert _network_instance(v) is None
        for w in weights:  # no identical rows, no zero entries, whole numbers (two decimals at most)
            assert len({tuple(w.row(i)) for i in range(w.rows)}) == w.rows
        for m in (*weights, *bias, x):
            assert all(e != 0 and e.is_Integer for e in m)
        t = v.trace()
        for z in t.z[0]:  # tanh not saturated
            assert 1 - sympy.tanh(z) ** 2 >= 0.05
        seen.add(str(v.instance()))
    assert len(seen) == 30


def test_numeric_keys_agree_with_plain_differentiation(problem):
    """The keyed gradients are dl/dW of the loss written out entry by entry and differentiated by SymPy."""
    for student in ("ada", "bob", "cy"):
        v = variant(problem, 0, student)
        keys = problem_keys(v)
        weights, bias, x, y = v.instance()
        net = v.network
        symbols = [sympy.Matrix(w.rows, w.cols, lambda i, j, k=k: sympy.Symbol(f"w{k}_{i}_{j}"))
                   for k, w in enumerate(weights)]
        a = sympy.Matrix(x)
        for k, w in enumerate(symbols):
            a = (w * a + bias[k]).applyfunc(ACTIVATIONS[net.activations[k]].f)
        loss = LOSSES[net.loss].value(a, sympy.Matrix(y))
        at = {s: value for w, ws in zip(weights, symbols) for s, value in zip(ws, w)}
        assert abs(float(loss.subs(at)) - float(keys["value.loss"].array[0, 0])) < 1e-12
        for k, ws in enumerate(symbols, start=1):
            plain = sympy.Matrix(ws.rows, ws.cols, [sympy.diff(loss, s).subs(at) for s in ws])
            assert (plain - keys[f"grad.W{k}"].array).norm() < 1e-12


def test_numbers_graded_per_student_whole_or_entry_by_entry(problem, tmp_path):
    ada, bob = (problem_keys(variant(problem, 0, s)) for s in ("ada", "bob"))
    w1 = ada["grad.W1"].array
    assert verdict_for(ada["grad.W1"], _text(w1)).verdict == "correct"
    assert verdict_for(ada["grad.W1"], "d1 x^T").verdict == "correct"  # the formula, on the same item
    assert verdict_for(bob["grad.W1"], _text(w1)).verdict == "incorrect"
    assert verdict_for(find_key(ada, "grad.W1[2,1]"), f"{float(w1[1, 0]):.5g}").verdict == "correct"
    assert verdict_for(find_key(ada, "value.a1[3]"), f"{float(ada['value.a1'].array[2]):.4g}").verdict == "correct"
    assert find_key(ada, "grad.W1[4,1]") is None and find_key(ada, "value.z1[1,2]") is None
    line = json.loads(json.dumps(key_line("ada", variant(problem, 0, "ada"), "grad.W1", ada["grad.W1"])))
    assert verdict_for(key_from_line(line), _text(w1)).verdict == "correct"

    out = tmp_path / "class"
    (tmp_path / "b.yaml").write_text(BANK)
    (tmp_path / "r.csv").write_text("id,name\nada,Ada\nbob,Bob\n")
    r = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", str(tmp_path / "b.yaml"), "--roster",
                        str(tmp_path / "r.csv"), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    tex = (out / "ada" / "worksheet.tex").read_text()
    weights, *_ = variant(problem, 0, "ada").instance()
    row = " & ".join(str(e) for e in weights[0].row(0))
    assert row in tex  # the instance is printed in the student's own worksheet
    with (tmp_path / "answers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("student", "problem", "part", "answer"))
        writer.writerow(("ada", "my-net", "grad.W1", _text(w1)))
        writer.writerow(("bob", "my-net", "grad.W1", _text(w1)))
        writer.writerow(("ada", "my-net", "grad.W1[2,1]", f"{float(w1[1, 0]):.5g}"))
        writer.writerow(("ada", "my-net", "value.loss", f"{float(ada['value.loss'].array[0, 0]):.4g}"))
        writer.writerow(("ada", "my-net", "grad.W1[9,9]", "1"))
    r = subprocess.run([sys.executable, "-m", "symgrad", "grade", "--key", str(out / "key.jsonl"),
                        str(tmp_path / "answers.csv")], capture_output=True, text=True, cwd=ROOT)
    verdicts = [row["verdict"] for row in csv.DictReader(r.stdout.splitlines())]
    assert verdicts == ["correct", "incorrect", "correct", "correct", "invalid"], r.stdout
