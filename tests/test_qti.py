"""The Canvas QTI 1.2 export (symgrad export qti): the package Canvas needs, the items QTI 1.2 and
Canvas's importer read, groups that draw one variant each, ranges that hold the key and not a
mistake, and the same bytes for the same bank and seed."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from symgrad.documents import qti
from symgrad.documents.bank import load_file, variant
from symgrad.documents.keys import problem_keys
from symgrad.documents.questions import questions

ROOT = Path(__file__).resolve().parent.parent
BANK = "problems/variants.yaml"
N = 3
Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def export(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symgrad", "export", "qti", BANK, "--variants", str(N), *args,
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("qti") / "quiz.zip"
    done = export(out)
    return out.read_bytes(), done.stderr


@pytest.fixture(scope="module")
def package(run):
    data, _ = run
    z = zipfile.ZipFile(io.BytesIO(data))
    manifest = ET.fromstring(z.read("imsmanifest.xml"))
    quiz = manifest.find(f"{CP}resources/{CP}resource[@type='imsqti_xmlv1p2']")
    ident = quiz.get("identifier")
    return z, manifest, ident, ET.fromstring(z.read(f"{ident}/{ident}.xml"))


def items(root):
    return list(root.iter(f"{Q}item"))


def field(item, label):
    for f in item.iter(f"{Q}qtimetadatafield"):
        if f.findtext(f"{Q}fieldlabel") == label:
            return f.findtext(f"{Q}fieldentry")
    return None


def scoring(item):
    """The respconditions that set SCORE to 100."""
    return [c for c in item.iter(f"{Q}respcondition")
            if any(s.get("varname") == "SCORE" and s.get("action") == "Set" and s.text == "100"
                   for s in c.iter(f"{Q}setvar"))]


def ruby_to_f(text: str) -> float:
    """Ruby's String#to_f, which Canvas applies to the bounds: the longest numeric prefix, else 0.0."""
    m = re.match(r"\s*[-+]?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?", text)
    return float(m.group(0)) if m else 0.0


def canvas_numeric(item) -> dict:
    """A numerical item read as Canvas does: migrate.py turns <response_str> into a string response, so
    vargte/varlte become customOperator vargte/varlte; NumericInteraction#get_canvas_answers then takes
    an <or> as an exact answer with a margin, an <and> (the conditions of one respcondition) as a range
    from the vargte to the varlte value, each .to_f."""
    assert field(item, "question_type") == "numerical_question"  # -> Qti::NumericInteraction
    (condition,) = scoring(item)
    conditionvar = condition.find(f"{Q}conditionvar")
    assert conditionvar.find(f"{Q}or") is None
    low, high = conditionvar.find(f"{Q}vargte"), conditionvar.find(f"{Q}varlte")
    return {"numerical_answer_type": "range_answer", "start": ruby_to_f(low.text), "end": ruby_to_f(high.text),
            "weight": 100}


def test_the_package_holds_what_canvas_reads(package):
    z, manifest, ident, root = package
    names = set(z.namelist())
    assert {"imsmanifest.xml", f"{ident}/{ident}.xml", f"{ident}/assessment_meta.xml"} <= names
    assert manifest.findtext(f"{CP}metadata/{CP}schema") == "IMS Content"
    assert manifest.find(f"{CP}organizations") is not None
    quiz = manifest.find(f"{CP}resources/{CP}resource[@identifier='{ident}']")
    assert [f.get("href") for f in quiz.findall(f"{CP}file")] == [f"{ident}/{ident}.xml"]
    dependency = quiz.find(f"{CP}dependency").get("identifierref")
    meta = manifest.find(f"{CP}resources/{CP}resource[@identifier='{dependency}']")
    assert meta.get("type") == "associatedcontent/imscc_xmlv1p1/learning-application-resource"
    assert meta.get("href") == f"{ident}/assessment_meta.xml"  # the folder is named by the assessment ident
    hrefs = [f.get("href") for f in manifest.iter(f"{CP}file")] + \
            [r.get("href") for r in manifest.iter(f"{CP}resource") if r.get("href")]
    assert hrefs and all(h in names for h in hrefs)
    assert root.tag == f"{Q}questestinterop"
    assessment = root.find(f"{Q}assessment")
    assert assessment.get("ident") == ident
    quiz_meta = ET.fromstring(z.read(f"{ident}/assessment_meta.xml"))
    assert quiz_meta.get("identifier") == ident
    groups = assessment.findall(f"{Q}section/{Q}section")
    points = quiz_meta.findtext("{http://canvas.instructure.com/xsd/cccv1p0}points_possible")
    assert float(points) == len(groups)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in z.infolist())


def test_every_group_draws_one_of_the_n_variants(package):
    _, _, _, root = package
    (top,) = root.find(f"{Q}assessment").findall(f"{Q}section")
    assert top.get("ident") == "root_section" and top.findall(f"{Q}item") == []
    groups = top.findall(f"{Q}section")
    titles = [g.get("title") for g in groups]
    assert len(titles) == len(set(titles))
    problems = {p.id for p in load_file(ROOT / BANK)}
    for group in groups:
        problem, _, item = group.get("title").partition(": ")
        assert problem in problems and item
        selection = group.find(f"{Q}selection_ordering/{Q}selection")
        assert selection.findtext(f"{Q}selection_number") == "1"
        assert float(selection.findtext(f"{Q}selection_extension/{Q}points_per_item")) == 1
        held = group.findall(f"{Q}item")
        assert len(held) == N
        assert sorted(re.search(r"variant (\d+)", i.get("title")).group(1) for i in held) == ["001", "002", "003"]
    assert "v-network: grad.W1[2,1]" in titles and "v-network: value.loss" in titles
    assert "v-chain: derivative.x" in titles and "v-param-count: weights" in titles


def test_every_item_has_the_elements_qti_and_canvas_require(package):
    _, _, _, root = package
    found = items(root)
    idents = [i.get("ident") for i in found]
    assert len(idents) == len(set(idents))
    kinds = {"numerical_question": 0, "multiple_choice_question": 0}
    for item in found:
        kind = field(item, "question_type")
        kinds[kind] += 1
        assert float(field(item, "points_possible")) == 1
        mattext = item.find(f"{Q}presentation/{Q}material/{Q}mattext")
        assert mattext.get("texttype") == "text/html" and mattext.text
        decvar = item.find(f"{Q}resprocessing/{Q}outcomes/{Q}decvar")
        assert decvar.get("varname") == "SCORE" and decvar.get("maxvalue") == "100"
        (right,) = scoring(item)
        assert right.get("continue") == "No"
        feedbacks = {f.get("ident") for f in item.findall(f"{Q}itemfeedback")}
        assert {d.get("linkrefid") for d in item.iter(f"{Q}displayfeedback")} <= feedbacks
        if kind == "numerical_question":
            fib = item.find(f"{Q}presentation/{Q}response_str/{Q}render_fib")
            assert fib.get("fibtype") == "Decimal" and fib.find(f"{Q}response_label") is not None
            assert item.find(f"{Q}presentation/{Q}response_str").get("rcardinality") == "Single"
            for tag in ("vargte", "varlte"):
                (bound,) = right.iter(f"{Q}{tag}")
                assert bound.get("respident") == "response1"
                assert re.fullmatch(r"-?\d+(\.\d+)?", bound.text)  # every digit, no exponent
        else:
            lid = item.find(f"{Q}presentation/{Q}response_lid")
            assert lid.get("rcardinality") == "Single"
            labels = [r.get("ident") for r in lid.findall(f"{Q}render_choice/{Q}response_label")]
            assert len(labels) >= 3 and len(set(labels)) == len(labels)
            assert field(item, "original_answer_ids").split(",") == labels
            (equal,) = right.iter(f"{Q}varequal")
            assert equal.text in labels
            others = [c for c in item.iter(f"{Q}respcondition") if c not in (right,)
                      and c.find(f"{Q}conditionvar/{Q}varequal") is not None]
            assert sorted(c.find(f"{Q}conditionvar/{Q}varequal").text for c in others) == \
                sorted(set(labels) - {equal.text})  # per-answer feedback on every distractor
            assert all(item.find(f"{Q}itemfeedback[@ident='{c}_fb']") is not None for c in set(labels) - {equal.text})
    assert kinds["numerical_question"] > 0 and kinds["multiple_choice_question"] > 0


def test_math_is_canvas_equation_images(package):
    _, _, _, root = package
    for mattext in root.iter(f"{Q}mattext"):
        text = mattext.text
        assert "\\(" not in text and "$" not in text
        for src, content in re.findall(r'<img class="equation_image"[^>]*src="([^"]*)"[^>]*'
                                       r'data-equation-content="([^"]*)"', text):
            path = src.removeprefix("/equation_images/").removesuffix("?scale=1")
            assert urllib.parse.unquote(urllib.parse.unquote(path)) == html.unescape(content)


def _keys():
    """(problem id, student) -> {item: question} recomputed from the bank."""
    out = {}
    for problem in load_file(ROOT / BANK):
        for n in range(1, N + 1):
            student = f"{n:03d}"
            out[problem.id, student] = ({q.item: q for q in questions(variant(problem, 0, student))[0]},
                                        problem_keys(variant(problem, 0, student)))
    return out


def test_ranges_hold_the_key_and_not_its_sign_flip(package):
    _, _, _, root = package
    keys = _keys()
    checked = 0
    for group in root.find(f"{Q}assessment").iter(f"{Q}section"):
        if group.get("ident") == "root_section":
            continue
        problem, _, name = group.get("title").partition(": ")
        item_name, _, entry = name.partition("[")
        for item in group.findall(f"{Q}item"):
            if field(item, "question_type") != "numerical_question":
                continue
            student = re.search(r"variant (\d+)", item.get("title")).group(1)
            asked, raw = keys[problem, student]
            q = asked[item_name]
            if q.kind == "number":
                value = float(q.numbers[0, 0])
            else:
                i, _, j = entry.rstrip("]").partition(",")
                value = float(q.numbers[int(i) - 1, int(j or 1) - 1])
            if problem == "v-network":  # the per-student numbers are the instance's own keys
                key = raw[item_name].array if raw[item_name].array is not None else raw[item_name].expected
                if q.kind != "number":
                    assert value == float(key[int(i) - 1, int(j or 1) - 1])
                else:
                    assert value == float(key[0, 0] if hasattr(key, "shape") else key)
            answer = canvas_numeric(item)
            assert answer["start"] <= value <= answer["end"]
            assert (answer["start"] + answer["end"]) / 2 == pytest.approx(value, rel=1e-12, abs=1e-12)
            assert answer["end"] - answer["start"] == pytest.approx(2 * q.bound(value), rel=1e-9)
            wrong = -value if abs(value) > q.bound(value) else value + 3 * q.bound(value)
            assert not answer["start"] <= wrong <= answer["end"]
            checked += 1
    assert checked > 100


def test_multiple_choice_keys_are_the_answers(package):
    _, _, _, root = package
    keys = _keys()
    for group in root.find(f"{Q}assessment").iter(f"{Q}section"):
        problem, _, name = (group.get("title") or "").partition(": ")
        for item in group.findall(f"{Q}item"):
            if field(item, "question_type") != "multiple_choice_question":
                continue
            student = re.search(r"variant (\d+)", item.get("title")).group(1)
            (equal,) = scoring(item)[0].iter(f"{Q}varequal")
            choice = item.find(f".//{Q}response_label[@ident='{equal.text}']")
            shown = re.search(r'data-equation-content="([^"]*)"', choice.find(f".//{Q}mattext").text).group(1)
            assert html.unescape(shown) == " ".join(keys[problem, student][0][name].answer.split())


def test_the_same_bank_and_seed_give_the_same_bytes(run, tmp_path):
    again = tmp_path / "again.zip"
    export(again)
    assert again.read_bytes() == run[0]


def test_another_seed_is_another_quiz(tmp_path):
    chain = [p for p in load_file(ROOT / BANK) if p.id == "v-chain"]
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    qti.write(chain, a, variants=2, seed=0, warn=print)
    qti.write(chain, b, variants=2, seed=1, warn=print)
    ident = lambda p: zipfile.ZipFile(p).namelist()[-1].split("/")[0]  # noqa: E731
    assert ident(a) != ident(b)  # a second import adds a quiz, it does not replace the first


def test_what_cannot_be_a_question_is_named(run):
    _, stderr = run
    assert "v-network: grad.x is left out of the QTI quiz" in stderr  # a matrix formula
    assert "matrix checker" in stderr
    assert "v-network: the variants' sizes differ" in stderr


def test_a_problem_without_a_gradeable_item_and_a_formula_without_distractors_are_named(tmp_path, monkeypatch):
    concept = load_file(ROOT / "problems/seeds_concepts.yaml")[0]
    chain = [p for p in load_file(ROOT / BANK) if p.id in ("v-chain", "v-grad-xy", "v-param-count")]
    warnings: list[str] = []
    monkeypatch.setattr(qti, "distractors", lambda key: [("sign error", -key.expected)])
    qti.write([concept, *chain], tmp_path / "q.zip", variants=2, seed=0, warn=warnings.append)
    text = "\n".join(warnings)
    assert f"{concept.id}: no item of this problem can be a QTI question" in text
    assert "v-chain: derivative.x is left out of the QTI quiz in every variant: fewer than 2 distractors" in text
    assert "v-grad-xy: partial.x is left out" in text
    names = zipfile.ZipFile(tmp_path / "q.zip").namelist()
    root = ET.fromstring(zipfile.ZipFile(tmp_path / "q.zip").read(names[-1]))
    assert [g.get("title") for g in root.iter(f"{Q}section")][1:] == ["v-param-count: weights",
                                                                     "v-param-count: with-biases"]
