"""The Moodle XML export, checked against what Moodle's import reads (question/format/xml/format.php,
question/format.php, question/type/multianswer/questiontype.php): numerical answers with fraction and
tolerance, multichoice settings and fractions from Moodle's grade list, Cloze blanks as Moodle's own
regexes parse them, with the key's numbers; what cannot be exported named on standard error."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from symgrad.documents.bank import load_bank, variant
from symgrad.documents.keys import problem_keys
from symgrad.documents.questions import questions

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "problems" / "variants.yaml"
SEED = 7

# question/engine/bank.php ensure_fraction_options_initialised: the grades an import accepts (within 1e-5)
GRADES = [1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2, 0.1666667,
          0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0]
GRADES += [-g for g in GRADES if g] + [-1.0]
NUMBERINGS = {"abc", "ABCD", "123", "iii", "IIII", "none"}  # qtype_multichoice get_numbering_styles

# question/type/multianswer/questiontype.php, PCRE to Python (a lookbehind of one width per alternative)
FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = rf"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(rf"^({NUMBER})(:{NUMBER})?$", re.S)
TYPES = ("NUMERICAL|NM|MULTICHOICE|MC|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|SHORTANSWER|SA|MW|SHORTANSWER_C|SAC|MWC|"
         "MULTICHOICE_S|MCS|MULTICHOICE_VS|MCVS|MULTICHOICE_HS|MCHS|MULTIRESPONSE|MR|MULTIRESPONSE_H|MRH|"
         "MULTIRESPONSE_S|MRS|MULTIRESPONSE_HS|MRHS")
START = rf"\{{([0-9]*):({TYPES}):"
CLOZE = re.compile(rf"{START}({ALTERNATIVE}(~{ALTERNATIVE})*)\}}", re.S)


def export(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "symgrad", "export", "moodle", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three exports the tests read, run side by side (the seed bank's takes the longest): the variants
    bank with two variants, the same again under another hash seed, and the seed bank (the default bank).
    Each is (file bytes, parsed root, stderr)."""
    folder = tmp_path_factory.mktemp("moodle")
    args = {"variants": (str(BANK), "--variants", "2", "--seed", str(SEED)),
            "again": (str(BANK), "--variants", "2", "--seed", str(SEED)),
            "seed": ("--variants", "1")}
    envs = {"again": {**os.environ, "PYTHONHASHSEED": "12345"}}
    started = {k: export(*a, "-o", str(folder / f"{k}.xml"), env=envs.get(k)) for k, a in args.items()}
    out = {}
    for k, process in started.items():
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        out[k] = ((folder / f"{k}.xml").read_bytes(), ET.parse(folder / f"{k}.xml").getroot(), stderr)
    return out


@pytest.fixture(scope="module")
def variants_quiz(runs):
    return runs["variants"]


@pytest.fixture(scope="module")
def seed_quiz(runs):
    return runs["seed"][1:]


def by_category(root: ET.Element) -> dict[str, list[ET.Element]]:
    out: dict[str, list[ET.Element]] = {}
    current = None
    for q in root.findall("question"):
        if q.get("type") == "category":
            current = q.find("category/text").text
            assert current not in out
            out[current] = []
        else:
            assert current is not None, "a question before any category"
            out[current].append(q)
    return out


def category(problem_id: str) -> str:
    return f"$course$/top/symgrad/{problem_id}"


def blanks(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The Cloze subquestions as qtype_multianswer_extract_question finds them: (type, [(fraction, answer)]),
    the text left with {#n} in their place must hold no further start of a blank."""
    found = []
    while m := CLOZE.search(text):
        alternatives, rest = [], m.group(3)
        while a := re.search(f"~?{ALTERNATIVE}", rest, re.S):
            alternatives.append((a.group(1) or "", a.group(3)))
            rest = rest.split(a.group(0), 1)[1]
        found.append((m.group(2), alternatives))
        text = text.replace(m.group(0), f"{{#{len(found)}}}", 1)
    assert not re.search(START, text), text
    return found


def is_grade(percent: str) -> bool:
    return any(abs(float(percent) / 100 - g) < 1e-5 for g in GRADES)


def test_moodle_xml_has_the_documented_structure(variants_quiz, seed_quiz):
    """The quiz element, a category per exported problem, and per question what every import reads."""
    for root in (variants_quiz[1], seed_quiz[0]):
        assert root.tag == "quiz"
        types = Counter(q.get("type") for q in root.iter("question"))
        assert set(types) == {"category", "numerical", "multichoice", "multianswer"}, types
        for path, qs in by_category(root).items():
            assert re.fullmatch(r"\$course\$/top/symgrad/[a-z0-9-]+", path) and qs
            problem = path.rsplit("/", 1)[1]
            for q in qs:
                assert q.find("name/text").text.startswith(problem + " ")
                assert q.find("questiontext").get("format") == "html" and q.find("questiontext/text").text.strip()
                assert "The answer: \\(" in q.find("generalfeedback/text").text
                assert q.find("penalty").text == "0.3333333"
                assert q.find("name/text").text.endswith(" " + q.find("tags/tag/text").text)  # tagged with its item
        names = [q.find("name/text").text for q in root.iter("question") if q.get("type") != "category"]
        assert len(names) == len(set(names))


def test_numerical_answers_have_the_key_first_with_its_tolerance(variants_quiz, seed_quiz):
    count = 0
    for root in (variants_quiz[1], seed_quiz[0]):
        for q in root.iter("question"):
            if q.get("type") != "numerical":
                continue
            count += 1
            answers = q.findall("answer")
            assert answers and answers[0].get("fraction") == "100"  # Moodle grades the first match
            assert all(is_grade(a.get("fraction")) for a in answers)
            text = answers[0].find("text").text
            assert re.fullmatch(NUMBER, text) and math.isfinite(float(text))
            assert float(answers[0].find("tolerance").text) > 0
            assert q.find("defaultgrade").text == "1" and q.find("showunits").text == "3"
    assert count > 50


def test_multichoice_is_one_right_formula_among_distractors(variants_quiz, seed_quiz):
    count = 0
    for root in (variants_quiz[1], seed_quiz[0]):
        for q in root.iter("question"):
            if q.get("type") != "multichoice":
                continue
            count += 1
            assert q.find("single").text == "true" and q.find("shuffleanswers").text == "true"
            assert q.find("answernumbering").text in NUMBERINGS
            answers = q.findall("answer")
            fractions = [a.get("fraction") for a in answers]
            assert all(is_grade(f) for f in fractions) and fractions.count("100") == 1
            assert len(answers) >= 3 and fractions.count("0") == len(answers) - 1
            texts = [a.find("text").text for a in answers]
            assert len(set(texts)) == len(texts) and all(t.startswith("\\(") and t.endswith("\\)") for t in texts)
            right = texts[fractions.index("100")]
            assert not re.fullmatch(r"\\\(-?[0-9.]+\\\)", right), right  # a value is asked as a number
            ask = q.find("questiontext/text").text.rsplit("<p>", 1)[1]
            assert not re.search(r"value|forward pass|backward pass", ask), ask  # a formula is asked for
    assert count > 20


def test_every_distractor_has_proofread_feedback(seed_quiz, variants_quiz):
    """Each multiple-choice wrong answer's feedback is one sentence naming its mistake ("a the function
    itself" was a slip of string glue)."""
    from symgrad.documents.distractors import FEEDBACK, feedback

    assert feedback("sign error") == "the sign is wrong"
    assert feedback("derivative with respect to y") == "this is the derivative with respect to y, not the one asked for"
    texts = {a.find("feedback/text").text for root in (seed_quiz[0], variants_quiz[1])
             for a in root.iter("answer") if a.get("fraction") == "0"}
    assert texts and all(t.startswith("Not quite: ") and t.endswith(".") for t in texts)
    assert all(" a the " not in t and " a a " not in t for t in texts)
    mistakes = {t.removeprefix("Not quite: ").removesuffix(".") for t in texts}
    assert mistakes <= set(FEEDBACK.values()) | {m for m in mistakes if re.fullmatch(
        r"this is the derivative with respect to \w+, not the one asked for", m)}
    assert "the sign is wrong" in mistakes


def test_cloze_blanks_parse_as_moodle_reads_them(variants_quiz, seed_quiz):
    count = 0
    for root in (variants_quiz[1], seed_quiz[0]):
        for q in root.iter("question"):
            if q.get("type") != "multianswer":
                continue
            count += 1
            assert q.find("defaultgrade") is None  # the mark is the sum of the blanks'
            text = q.find("questiontext/text").text
            found = blanks(text)
            cells = re.findall(r"<td[^>]*>(.*?)</td>", text)
            assert found and len(found) == len(cells) and all(CLOZE.fullmatch(c) for c in cells)
            widths = {len(re.findall(r"<td", row)) for row in re.findall(r"<tr>(.*?)</tr>", text)}
            assert len(widths) == 1  # laid out as the matrix: every row as wide
            for kind, alternatives in found:
                assert kind == "NUMERICAL"
                assert [f for f, _ in alternatives].count("=") == 1  # one 100% answer per blank
                for _, answer in alternatives:
                    number = NUMERICAL.match(answer.strip())
                    assert number and number.group(6) and float(number.group(6)) > 0  # :tolerance, group 6 as in PHP
    assert count >= 16


def answer_values(q: ET.Element) -> list[tuple[float, float]]:
    """(value, tolerance) per Cloze blank in reading order, or of the numerical question's right answer."""
    if q.get("type") == "numerical":
        a = q.find("answer")
        return [(float(a.find("text").text), float(a.find("tolerance").text))]
    out = []
    for _, alternatives in blanks(q.find("questiontext/text").text):
        value, tolerance = next(a for f, a in alternatives if f == "=").split(":")
        out.append((float(value), float(tolerance)))
    return out


def test_one_students_network_blanks_are_their_keys_numbers(variants_quiz):
    """Variant 002 of v-network, keyed independently with problem_keys: every array in a Cloze question
    whose blanks are its entries row by row, within 1% (the network tolerance) and no looser."""
    [problem] = [p for p in load_bank([BANK]) if p.id == "v-network"]
    keys = problem_keys(variant(problem, SEED, "002"))
    mine = {q.find("name/text").text.removeprefix("v-network variant 002 "): q
            for q in by_category(variants_quiz[1])[category("v-network")]
            if q.find("name/text").text.startswith("v-network variant 002 ")}
    arrays = {item: key.array for item, key in keys.items() if key.array is not None}
    assert {"value.z1", "value.a1", "value.z2", "value.a2", "delta.1", "delta.2", "grad.W1", "grad.W2"} <= set(arrays)
    for item, array in arrays.items():
        q = mine[item]
        expected = [float(array[i, j]) for i in range(array.rows) for j in range(array.cols)]
        got = answer_values(q)
        assert q.get("type") == ("numerical" if array.shape == (1, 1) else "multianswer"), item
        assert [v for v, _ in got] == pytest.approx(expected, rel=1e-12, abs=1e-15), item
        assert all(0 < t <= max(0.01 * abs(v), 1e-4) for v, t in got), (item, got)


def test_every_network_problem_is_exported_or_named(variants_quiz, seed_quiz):
    """Each network problem with numbers to compute has its Cloze questions; each other one is named on
    standard error with the items left out."""
    for bank, (root, stderr) in (([BANK], variants_quiz[1:]), ([], seed_quiz)):
        exported = by_category(root)
        for p in load_bank(bank):
            if p.kind != "network":
                continue
            found, skipped = questions(variant(p, SEED, "001"))
            if any(q.kind == "array" for q in found):
                assert any(q.get("type") == "multianswer" for q in exported[category(p.id)]), p.id
            else:
                assert category(p.id) not in exported and f"moodle: {p.id}: not exported" in stderr, p.id
            for s in skipped:
                line = next(x for x in stderr.splitlines() if f"moodle: {p.id}: " in x and "left out" in x)
                assert s.item in line, (p.id, s.item)
    for needed in ("v-network", "net-one-hidden", "net-phi"):
        assert any(category(needed) in by_category(r) for r in (variants_quiz[1], seed_quiz[0])), needed


def test_problems_without_a_gradeable_item_are_named_on_stderr(seed_quiz):
    root, stderr = seed_quiz
    exported = by_category(root)
    for p in load_bank():
        if p.kind in ("concept", "symmetry"):
            assert category(p.id) not in exported
            assert f"moodle: {p.id}: not exported, no category: a {p.kind} problem" in stderr, p.id
    assert all(line.startswith("symgrad: warning: moodle: ") for line in stderr.splitlines())


def test_no_stem_asks_for_a_value_it_gives(variants_quiz, seed_quiz):
    asked = 0
    for root in (variants_quiz[1], seed_quiz[0]):
        for q in root.iter("question"):
            if q.get("type") == "category":
                continue
            text = q.find("questiontext/text").text
            given = set(re.findall(r"\\\((\w+) = -?[0-9.]+\\\)", text))
            for name in re.findall(r"Compute the value of \\\((\w+)\\\)", text):
                asked += 1
                assert name not in given, (q.find("name/text").text, name)
            assert not re.search(r"\\partial (\w+)\}\{\\partial \1\}", text), q.find("name/text").text
            assert not re.search(r"<p>\([a-z]\) |figure|shown|below", text, re.I), text  # no parts, no graph
            assert text.count("<p>") == 2  # what the problem gives, then the one thing asked
    assert asked > 20


def test_the_same_bank_and_seed_give_the_same_bytes(runs):
    """Byte-identical files (and warnings) from two runs with different hash seeds; another seed differs."""
    assert runs["again"][0] == runs["variants"][0] and runs["again"][2] == runs["variants"][2]
    from symgrad.documents.moodle import moodle_xml

    [problem] = [p for p in load_bank([BANK]) if p.id == "v-chain"]
    assert moodle_xml([problem], 1, SEED) != moodle_xml([problem], 1, SEED + 1)
