"""Variants worth their name: how many distinct variants a problem makes (counted or estimated), the
warning when a class asks for more, the constraints that keep a skill visible (no saturated sigmoid,
no answer that rounds to 0), and the stress test's space and rejection counts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sympy
import yaml

from symgrad.documents.bank import load_bank, load_text, variant
from symgrad.documents.stress import stress, variant_space
from symgrad.documents.variants import meets_constraints

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems" / "variants.yaml"
# the spaces the bank had before they were widened, counted exactly (every draw checked)
SMALL = """
- id: mv-small
  title: T
  kind: multivariate
  params: {a: {range: [2, 5]}, n: {range: [2, 4]}}
  program: |
    x = sin(u) + cos(v)
    y = e^(u v)
    f = {a}x^{n} + y
  wrt: [u, v]
  parts: [derivative]
- id: grad-small
  title: T
  kind: gradients
  params: {a: {range: [2, 5]}}
  expression: "{a} x y"
  point: {x: {range: [-3, 3]}, y: {range: [-3, 3]}}
  parts: [partials, interpretation]
"""


def symgrad(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def problems():
    return {p.id: p for p in load_bank([BANK])}


def test_small_spaces_are_counted_exactly():
    raws = {r["id"]: r for r in yaml.safe_load(SMALL)}
    mv, grad = variant_space(raws["mv-small"]), variant_space(raws["grad-small"])
    assert (int(mv), mv.exact, str(mv)) == (12, True, "12")  # 4 values of a times 3 of n
    assert (int(grad), grad.exact) == (4 * 7 * 6, True)  # x = y is redrawn (distinct inputs)
    assert variant_space(None) == 1 and variant_space({"id": "fixed", "expression": "x"}) == 1


def test_every_problem_of_the_bank_makes_thousands_of_variants():
    """(300 distinct among 330 students of each: test_variants' stress test.)"""
    spaces = {r["id"]: variant_space(r, str(BANK)) for r in yaml.safe_load(BANK.read_text())["problems"]}
    assert all(space >= 2000 and not space.exact for space in spaces.values()), spaces
    assert spaces["v-multivariate"] < 5 * 4**4 * 3 + 1 and spaces["v-neuron"] > 50_000


def test_the_neuron_never_saturates_and_no_answer_rounds_to_zero(problems):
    """The bank's neuron drew pre-activations of 7 or 8: every gradient was 0.0009, so 0 passed for all."""
    neuron = problems["v-neuron"]
    for student in map(str, range(60)):
        s = variant(neuron, 1, student).solution()
        assert all(value != 0 for value in s.point.values())  # a weight or input of 0 asks nothing
        [gate] = [st for st in s.graph.stages if st.op == "sigmoid"]
        z = s.value(gate.args[0]).approx
        slope = float(sympy.exp(-abs(z)) / (1 + sympy.exp(-abs(z))) ** 2)
        assert slope >= 0.05 * 0.25, (student, z)
        for name in (*s.graph.inputs, *(st.name for st in s.graph.stages)):
            for v in (s.value(name).approx, s.grad(name).approx):
                assert v == 0 or abs(v) >= 0.005, (student, name, v)  # 0.00 at two decimals only when 0


def _one(text: str):
    return load_text(text, "b.yaml")[0]


def test_the_constraints_name_a_saturated_gate_and_an_answer_hidden_by_rounding():
    saturated = _one("- id: n\n  title: T\n  kind: staged\n  expression: sigmoid(w*x + b)\n"
                     "  point: {w: 2, x: 3, b: 1}\n  parts: [backward]\n")  # z = 7, the seed bank's old draw
    assert meets_constraints(saturated, {}) == "the sigmoid of b + w*x is saturated (its argument is 7)"
    tiny = _one("- id: e\n  title: T\n  kind: staged\n  expression: exp(x)*y\n"
                "  point: {x: -8, y: 2}\n  parts: [backward]\n")  # d/dy = e^-8 = 0.000335
    assert "rounds to 0 at 2 decimals" in meets_constraints(tiny, {})
    fine = _one("- id: f\n  title: T\n  kind: staged\n  expression: sigmoid(w*x + b)\n"
                "  point: {w: 2, x: -1, b: 1}\n  parts: [backward]\n")
    assert meets_constraints(fine, {}) is None


def test_a_draw_counts_its_rejections_by_constraint(problems):
    rejected = Counter()
    for student in map(str, range(30)):
        variant(problems["v-neuron"], 0, student, rejected)
        variant(problems["v-staged-xyz"], 0, student, rejected)
    assert rejected["saturated"] > 0 and rejected["distinct"] > 0 and set(rejected) <= {"saturated", "distinct"}


def test_stress_reports_the_space_and_the_rejections(problems):
    [neuron] = stress([problems["v-neuron"]], 15, seed=0)
    assert neuron.rejected["saturated"] > 0 and not neuron.space.exact and neuron.space > 10_000
    line = neuron.line()
    assert f"rejected {neuron.rejected['saturated']} (saturated {neuron.rejected['saturated']})" in line
    assert re.search(r" space +about [0-9,]+ ", line)
    [small] = stress([_one(SMALL)], 5)
    assert re.search(r" space +12 ", small.line()) and small.line().endswith("rejected 0")


def test_a_class_larger_than_the_space_is_warned(tmp_path):
    r = symgrad("worksheet", "--variants", "3", "--out", str(tmp_path / "seed"))
    assert r.returncode == 0, r.stderr
    assert "symgrad: warning: only 1 distinct variant of staged-xyz (it draws nothing at random)\n" in r.stderr
    assert r.stderr.count("symgrad: warning: only 1 distinct variant of ") == len(load_bank())

    (tmp_path / "small.yaml").write_text(SMALL)
    (tmp_path / "roster.csv").write_text("id\n" + "".join(f"s{i}\n" for i in range(13)))
    r = symgrad("worksheet", str(tmp_path / "small.yaml"), "--only", "mv-small", "--roster",
                str(tmp_path / "roster.csv"), "--out", str(tmp_path / "class"))
    assert r.returncode == 0, r.stderr
    assert "symgrad: warning: only 12 distinct variants of mv-small (13 asked)" in r.stderr
    r = symgrad("export", "moodle", str(tmp_path / "small.yaml"), "--variants", "12", "-o", str(tmp_path / "q.xml"))
    assert r.returncode == 0, r.stderr
    assert "distinct variant" not in r.stderr  # 12 of 12, and grad-small makes 168
    r = symgrad("export", "moodle", str(tmp_path / "small.yaml"), "--variants", "13", "-o", str(tmp_path / "q.xml"))
    assert r.returncode == 0, r.stderr
    assert "symgrad: warning: only 12 distinct variants of mv-small (13 asked)\n" in r.stderr
    assert "grad-small (13" not in r.stderr
