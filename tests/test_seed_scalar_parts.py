"""The seeds' scalar and conceptual parts (issue 11): which problem covers which seed part, the computed
results of the parts added for them (Jacobian chain rule, multivariate chain rule, the graph of a sum of
units, the counts behind two conceptual answers), the model answers, the question's own symbols in its
solution, and the footnotes where we correct a seed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from symgrad.documents.bank import BankError, load_bank, load_text
from symgrad.documents.keys import problem_keys
from symgrad.documents.notation import Correction
from symgrad.documents.seedparts import jacobian_chain, question_of
from symgrad.documents.views import view
from symgrad.errors import SymgradError
from symgrad.functions import sigmoid
from symgrad.parsing import parse_program, symbol
from symgrad.parsing.tex import prose_to_latex
from symgrad.printing import text
from symgrad.steps import chain_steps

x1, x2, w = (symbol(n) for n in ("x1", "x2", "w"))

# the scalar and conceptual seed parts, and the problem that covers each
COVERAGE = {
    "004 §1(a)": "grad-xy", "004 §1(b)": "grad-sum", "004 §1(c)": "grad-max", "004 §1(d)": "tanh-sigmoid",
    "004 §2(a)": "staged-xyz", "004 §2(b)": "staged-xyz", "004 §2(c)": "staged-xyz",
    "004 §3(a)": "concept-model-intuition", "004 §3(c)": "concept-model-intuition",
    "004 §4(a)": "neuron", "004 §4(b)": "neuron-code", "004 §4(c)": "neuron", "004 §4(d)": "sigmoid-ratio",
    "003 (1)": "chain-composition", "003 (2)": "chain-multivariate", "003 (5)": "concept-layer-equations",
    "003 (6)": "preactivation", "003 (9)": "sigmoid-derivative", "003 (10)": "relu-derivative",
    "001 §2(a)": "chain-two-paths", "001 §2(b)": "chain-many-paths", "001 §2(c)": "graph-tanh-units",
    "001 §2(e)": "concept-graph-gradients", "001 §2(f)": "concept-graph-gradients",
    "001 §2(g)": "concept-graph-gradients",
    "002 §1(a)": "jacobian-chain", "002 §1(b)": "concept-matrix-input", "002 §2.2(c)": "concept-zero-init",
    "000 §1(g)": "concept-backprop-benefit", "000 §2(c)": "concept-symmetry", "000 §2(e)": "concept-symmetry",
    "000 §2(f)": "concept-symmetry",
}
ROOT = Path(__file__).resolve().parent.parent
MINE = [ROOT / "problems" / "seeds.yaml", ROOT / "problems" / "seeds_concepts.yaml"]


@pytest.fixture(scope="module")
def bank():
    return {p.id: p for p in load_bank(MINE)}


def load_problem(pid: str):
    """A problem of the scalar and conceptual seed banks (the network bank is tested on its own)."""
    return load_bank(MINE, [pid])[0]


def _latex_of(problem_view) -> str:
    """Every piece of LaTeX a view hands the templates (statement, questions, solutions, answers)."""
    pieces = [problem_view.statement]
    for part in problem_view.parts:
        pieces += [part.question, *part.answer]
        for block in part.solution:
            content = block.content
            pieces += content if isinstance(content, list) else [str(content)]
    return "\n".join(str(p) for p in pieces)


# -- coverage --------------------------------------------------------------------------------------
def test_every_scalar_and_conceptual_seed_part_is_covered_by_its_problem(bank):
    covered = {label: p.id for p in bank.values() for label in p.seeds}
    assert covered == COVERAGE


def test_every_problem_of_the_scalar_banks_names_its_seed_parts(bank):
    for p in bank.values():
        assert p.seeds, p.id


# -- 002 §1(a): the Jacobian chain rule --------------------------------------------------------------
def test_jacobian_chain_rule_is_computed_and_checked():
    c = jacobian_chain(load_problem("jacobian-chain"))
    y1, y2, y3 = (symbol(n) for n in ("y1", "y2", "y3"))
    assert c.sizes == (2, 3, 2)
    assert c.df_dy == sympy.Matrix([[1, y3, y2], [sympy.cos(y1), 0, 0]])
    assert c.dg_dx == sympy.Matrix([[x2, x1], [1, 1], [0, 2 * x2]])
    assert c.df_dy_at_g == sympy.Matrix([[1, x2**2, x1 + x2], [sympy.cos(x1 * x2), 0, 0]])
    expected = sympy.Matrix([[x2**2 + x2, 2 * x1 * x2 + x1 + 3 * x2**2],
                             [x2 * sympy.cos(x1 * x2), x1 * sympy.cos(x1 * x2)]])
    assert c.product == expected and c.direct == expected
    keys = problem_keys(load_problem("jacobian-chain"))
    assert sorted(keys) == ["jacobian.1.1", "jacobian.1.2", "jacobian.2.1", "jacobian.2.2"]
    assert keys["jacobian.1.2"].expected == expected[0, 1]


def test_jacobian_view_states_the_rule_its_sizes_and_conditions():
    v = view(load_problem("jacobian-chain"))
    rule, jacobians, product = v.parts
    text = _latex_of(v)
    assert r"\frac{\partial f}{\partial y}" in rule.question and r"\frac{\partial g}{\partial x}" in rule.question
    assert r"(m \times n) \cdot (n \times l) = m \times l" in text
    assert "differentiable at $x$" in text and "differentiable at the point $g(x)$" in text
    assert r"2 \times 3" in jacobians.answer[0] and r"3 \times 2" in jacobians.answer[1]
    assert r"\begin{bmatrix}1 & y_{3} & y_{2}" in jacobians.answer[0]
    assert any(isinstance(b, Correction) and "Jacobian of $f$" in b.content[0] for b in rule.solution)


def test_a_jacobian_problem_whose_f_reads_no_output_of_g_is_refused():
    bad = load_text("""
- id: bad
  title: t
  kind: jacobian
  inner: "y1 = x1 x2"
  outer: "f1 = y1 + q"
  parts: [product]
""", "b.yaml")[0]
    with pytest.raises(SymgradError, match="b.yaml: problem 'bad': field 'outer': 'q' is not an output of g"):
        view(bad)


# -- 001 §2(b): the multivariate chain rule and its graph ---------------------------------------------
def test_many_paths_derivative_and_graph():
    p = load_problem("chain-many-paths")
    d = chain_steps(parse_program(p.data["program"]), "w")
    expected = sympy.exp(w) * (2 * w * sympy.sin(w) + w**2 * sympy.cos(w) + w**2 * sympy.sin(w))
    assert sympy.expand(d.result - expected) == 0
    assert text(d.shown) == "w e^w (w sin(w) + w cos(w) + 2 sin(w))"  # the tidy form: w e^w taken out
    v = view(p)
    rule, graph, derivative = v.parts
    assert r"\sum_{i=1}^{n} \frac{\partial f}{\partial x_{i}} \cdot \frac{\partial x_{i}}{\partial w}" in rule.answer[0]
    assert rule.answer[0].startswith(r"\frac{df}{dw}")
    drawn = graph.solution[0].content
    assert [n.caption for n in drawn.nodes if n.kind == "gate"] == ["$x_{1}$", "$x_{2}$", "$x_{3}$", "$f$"]
    assert sorted(e.value for e in drawn.edges if e.value) == sorted(
        ["2 w", r"\cos{\left(w \right)}", "e^{w}", "x_{2} x_{3}", "x_{1} x_{3}", "x_{1} x_{2}"])
    assert derivative.answer[0].endswith(r"= w e^{w} \left(w \sin{\left(w \right)} + w \cos{\left(w \right)} + "
                                        r"2 \sin{\left(w \right)}\right)")


# -- 001 §2(c): the graph of a sum of units ---------------------------------------------------------
def test_graph_of_a_sum_of_tanh_units(bank):
    p = bank["graph-tanh-units"]
    g = p.solution().graph
    assert sorted(g.inputs) == ["b1", "b2", "w11", "w12", "w21", "w22", "x1", "x2", "y"]
    assert [(s.name, s.op) for s in g.stages] == [
        ("u1", "dot"), ("v1", "add"), ("p1", "tanh"), ("u2", "dot"), ("v2", "add"), ("p2", "tanh"),
        ("S", "add"), ("r", "sub"), ("f", "pow")]
    assert g.output == "f"
    (part,) = view(p).parts
    notes = [b for b in part.solution if isinstance(b, Correction)]
    assert len(notes) == 1 and "sources too" in notes[0].content[0]


# -- conceptual parts --------------------------------------------------------------------------------
def test_concept_problems_load_with_an_answer_and_a_summary_for_every_question(bank):
    concepts = [p for p in bank.values() if p.kind == "concept"]
    assert len(concepts) == 7
    for p in concepts:
        questions = p.data["questions"]
        assert list(p.parts) == [f"q{i}" for i in range(1, len(questions) + 1)], p.id
        assert sorted(s for q in questions for s in q.seeds) == sorted(p.seeds), p.id
        for q in questions:
            assert len(q.answer.split()) >= 30 and q.summary and q.ask, p.id
        v = view(p)
        for part, q in zip(v.parts, questions):
            assert part.answer[0] == r"\text{" + prose_to_latex(q.summary) + "}"
            assert part.solution[0].kind == "text" and part.space == q.space


def test_concept_counts_are_computed():
    p = load_problem("concept-graph-gradients")
    rows = {r.say: r.value for r in question_of(p, "q1").compute}
    assert rows == {"length of $x$, $b$, $y$ and each layer": 10, "entries of $W1$": 100, "one forward pass": 200,
                    "finite differences": 20200, "backpropagation": 400}
    assert view(p).parts[0].answer[1] == r"d = 10,\quad F = 200,\quad N = 20\,200,\quad B = 400"
    p = load_problem("concept-model-intuition")
    assert [(r.name, r.value) for r in question_of(p, "q2").compute] == [("A", 10000), ("B", 2000)]


def test_concept_corrections_are_footnotes_of_their_question():
    v = view(load_problem("concept-graph-gradients"))
    marked = [i for i, part in enumerate(v.parts) if any(isinstance(b, Correction) for b in part.solution)]
    assert marked == [2]
    assert "$t - 1$" in v.parts[2].solution[-1].content[0]


@pytest.mark.parametrize("text, message", [
    ("questions: [{ask: a, summary: s}]", "question 1: answer: expected non-empty text"),
    ("questions: [{ask: a, answer: b, summary: s, hint: h}]", "'hint' is not a field of a question"),
    ("questions: [{ask: a, answer: b, summary: s, compute: [{say: n, value: 'k + 1'}]}]",
     "uses k, which no row above names"),
    ("questions: [{ask: a, answer: '$1 +$', summary: s}]", "question 1: answer: in a $...$ span"),
])
def test_malformed_concept_questions_are_refused(text, message):
    with pytest.raises(BankError) as err:
        load_text(f"- id: c\n  title: t\n  kind: concept\n  parts: [q1]\n  {text}\n", "c.yaml")
    assert "field 'questions'" in str(err.value) and message in str(err.value)


def test_a_part_beyond_the_questions_is_refused():
    p = load_text("- id: c\n  title: t\n  kind: concept\n  parts: [q2]\n"
                  "  questions: [{ask: a, answer: b, summary: s}]\n", "c.yaml")[0]
    with pytest.raises(SymgradError, match="c.yaml: problem 'c': field 'parts': 'q2' but there is only 1 question"):
        view(p)


# -- the question's own symbols and the seed corrections -------------------------------------------------
@pytest.mark.parametrize("pid", ["tanh-sigmoid", "sigmoid-derivative", "neuron-code", "sigmoid-ratio"])
def test_a_question_that_says_s_gets_a_solution_that_says_s(pid, bank):
    p = bank[pid]
    assert p.symbols == {"sigmoid": "s"}
    tex = _latex_of(view(p))
    assert r"\sigma" not in tex and "σ" not in tex
    assert r"s\left(" in tex


def test_renaming_keeps_each_step_as_it_stands():
    from symgrad.documents.layout import _derivation_block
    from symgrad.documents.notation import derivation_block
    from symgrad.steps import IDENTITIES

    d = IDENTITIES["tanh-sigmoid"]()
    ours, theirs = derivation_block(d, {"sigmoid": "s"}).content, _derivation_block(d).content
    assert ours.count(r"\\") == theirs.count(r"\\")
    assert r"\sigma" not in ours
    assert ours == theirs.replace(r"\sigma\left", r"s\left").replace(r"2$\sigma$(2x)", "2s(2x)")
    assert sigmoid(x1).func is sigmoid  # our function itself is untouched


def test_preactivation_answers_in_the_seed_terms():
    keys = problem_keys(load_problem("preactivation"))
    a1, a2 = symbol("a1"), symbol("a2")
    assert (keys["partial.w1"].expected, keys["partial.w2"].expected, keys["partial.b"].expected) == (a1, a2, 1)


@pytest.mark.parametrize("pid, part, words", [
    ("grad-max", 0, "not a subgradient of max"),
    ("sigmoid-ratio", 0, "dinvden"),
    ("preactivation", 0, "without the"),
])
def test_seed_slips_are_footnoted(pid, part, words):
    solution = view(load_problem(pid)).parts[part].solution
    notes = [b for b in solution if isinstance(b, Correction)]
    assert len(notes) == 1 and words in notes[0].content[0] and notes[0].kind == "text"


def test_interpretations_set_their_math_in_math_mode():
    from symgrad.documents.bank import load_problem
    from symgrad.documents.views import view

    answers = view(load_problem("grad-xy")).parts[2].answer
    assert answers[0] == (r"\text{At $x = 1$, $y = -2$: increasing $x$ by a small $\varepsilon$ changes $f$ by "
                          r"about $-2\varepsilon$ ($f$ decreases 2 times as fast as $x$).}")
    notes = view(load_problem("grad-max")).parts[1].solution[0].content
    assert any(r"$\mathbf{1}\left(x \geq y\right)$ for $x$, $\mathbf{1}\left(y > x\right)$ for $y$" in n for n in notes)
