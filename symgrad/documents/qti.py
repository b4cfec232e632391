"""Canvas QTI 1.2: a zip that Canvas (Classic Quizzes) imports as one quiz, a question group per
problem item, each group holding the item's variants so that every student draws one.

We write the XML ourselves, after text2qti's templates and Canvas's own exporter: text2qti only
reads its own Markdown dialect, rounds bounds to 4 decimals, refuses an answer of 0 and turns \\(
into (. Numbers are numerical questions with the range [value - bound, value + bound]
(``Question.bound``, the key's tolerance); a vector or matrix is one numerical question per entry;
a formula is a multiple-choice question with the checked distractors. Formulas are Canvas equation
images (``<img class="equation_image">`` on the site's own /equation_images/ route): they show on a
default Canvas, while raw \\( \\) needs two feature flags.
"""

from __future__ import annotations

import html
import io
import random
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..printing import format_number, latex
from .bank import Problem, variant
from .distractors import distractors, feedback
from .questions import Question, entry_items, prose_html, questions

NAMESPACE = uuid.UUID("3c9b7e52-1f0a-4d6e-8b27-5a4e0c9d1f63")  # symgrad's QTI idents: stable for a bank and seed
QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry the same time: the same bank and seed give the same bytes


@dataclass
class Asked:
    """One variant's question in a group: its stem (HTML) and either a range or choices."""

    student: str
    stem: str
    low: float | None = None
    high: float | None = None
    answer: str = ""  # the right answer, LaTeX
    choices: list[tuple[str, str | None]] = field(default_factory=list)  # (LaTeX, mistake or None if right)


@dataclass
class Group:
    title: str
    kind: str  # numerical_question | multiple_choice_question
    asked: list[Asked] = field(default_factory=list)


# ---- HTML with Canvas equation images ------------------------------------------------------------

def equation(tex: str, display: bool = False) -> str:
    """A formula as Canvas's equation image: the site renders the LaTeX in the URL (twice URL-escaped,
    as Canvas's editor stores it), and MathJax, where it is on, reads data-equation-content."""
    tex = " ".join(tex.split())
    if display:
        tex = r"\displaystyle " + tex
    attr = html.escape(tex, quote=True)
    src = "/equation_images/" + urllib.parse.quote(urllib.parse.quote(tex, safe=""), safe="") + "?scale=1"
    img = (f'<img class="equation_image" title="{attr}" src="{src}" alt="LaTeX: {attr}" '
           f'data-equation-content="{attr}" data-ignore-a11y-check="">')
    return f'</p><p style="text-align: center;">{img}</p><p>' if display else img


def _html(tex: str) -> str:
    body = f"<p>{prose_html(tex, equation)}</p>"
    return re.sub(r"<p>\s*</p>", "", body)


def _plain_decimal(x: float) -> str:
    """A bound as a plain decimal with every digit of the float (no exponent, no rounding)."""
    text = format(Decimal(repr(float(x))), "f")
    return "0" if text in ("-0", "-0.0") else text


# ---- the questions, grouped ---------------------------------------------------------------------

def _quantity(ask: str) -> str | None:
    found = re.search(r"\$([^$]*)\$", ask)
    return found.group(1) if found else None


def _entry_stem(question: Question, row: int, col: int, vector: bool) -> str:
    """The item's stem, then which entry of the vector or matrix is asked, marked in its shape."""
    m = question.numbers
    cells = [[r"\boxed{?}" if (i, j) == (row, col) else r"\cdot" for j in range(1, m.cols + 1)]
             for i in range(1, m.rows + 1)]
    shape = r"\begin{bmatrix}" + r"\\".join(" & ".join(r) for r in cells) + r"\end{bmatrix}"
    quantity = _quantity(question.ask)
    where = f"entry {row}" if vector else f"the entry in row {row}, column {col}"
    marked = rf"\[{quantity} = {shape}\]" if quantity else rf"\[{shape}\]"
    return _html(f"{question.given}") + _html(f"{question.ask} Enter only {where}, marked here: {marked}")


def _numerical(question: Question, student: str, value, stem: str) -> Asked:
    v = float(value)
    bound = question.bound(v)
    return Asked(student, stem, v - bound, v + bound, format_number(value, style="latex"))


def _positions(question: Question) -> dict[tuple[int, int], tuple[object, str]]:
    """(row, col) -> (value, entry item) for an array; a number is the entry (1, 1)."""
    if question.kind == "number":
        return {(1, 1): (question.numbers[0, 0], question.item)}
    out = {}
    for item, label, _ in entry_items(question):
        i, _, j = label.partition(",")
        row, col = int(i), int(j or 1)
        out[row, col] = (question.numbers[row - 1, col - 1], item)
    return out


def groups(problems: list[Problem], variants: int, seed: int, warn) -> list[Group]:
    """Per problem and item (per entry of a vector or matrix) a group of the variants' questions; what a
    QTI quiz cannot carry is named through ``warn``."""
    out: list[Group] = []
    students = [f"{n:03d}" for n in range(1, variants + 1)]
    for problem in problems:
        drawn: dict[str, list[tuple[str, Question]]] = {}  # item -> (student, question), in key order
        skipped: dict[str, tuple[str, list[str]]] = {}
        for student in students:
            asked, left = questions(variant(problem, seed, student))
            for q in asked:
                drawn.setdefault(q.item, []).append((student, q))
            for s in left:
                skipped.setdefault(s.item, (s.reason, []))[1].append(student)
        for item, (reason, who) in skipped.items():
            warn(f"{problem.id}: {item} is left out of the QTI quiz ({_variants(who, variants)}): {reason}")
        mine: list[Group] = []
        sizes: list[str] = []  # array items whose sizes differ across the variants
        for item, pairs in drawn.items():
            if len(pairs) < variants:
                warn(f"{problem.id}: {item} is in {len(pairs)} of the {variants} variants only, so its group "
                     f"holds {len(pairs)}")
            if pairs[0][1].kind == "formula":
                mine += _choice_groups(problem, item, pairs, variants, warn)
            else:
                mine += _number_groups(problem, item, pairs, sizes)
        if sizes:
            warn(f"{problem.id}: the variants' sizes differ, so only the entries every variant has are asked "
                 f"(a group per entry holds every variant): {'; '.join(sizes)}")
        if not mine:
            warn(f"{problem.id}: no item of this problem can be a QTI question; the problem is left out")
        out += mine
    return out


def _variants(who: list[str], variants: int) -> str:
    return "every variant" if len(who) == variants else "variant" + "s" * (len(who) > 1) + " " + ", ".join(who)


def _choice_groups(problem: Problem, item: str, pairs, variants: int, warn) -> list[Group]:
    group = Group(f"{problem.id}: {item}", "multiple_choice_question")
    few = []
    for student, q in pairs:
        wrong = distractors(q.key)
        if len(wrong) < 2:
            few.append(student)
            continue
        choices = [(q.answer, None)] + [(latex(w), mistake) for mistake, w in wrong]
        stem = _html(q.given) + _html(q.ask + " Choose the right formula.")
        group.asked.append(Asked(student, stem, answer=q.answer, choices=choices))
    if few:
        warn(f"{problem.id}: {item} is left out of the QTI quiz in {_variants(few, variants)}: fewer than 2 "
             "distractors are checked wrong, too few for a multiple-choice question")
    return [group] if group.asked else []


def _number_groups(problem: Problem, item: str, pairs, sizes: list[str]) -> list[Group]:
    if all(q.kind == "number" for _, q in pairs):
        group = Group(f"{problem.id}: {item}", "numerical_question")
        for student, q in pairs:
            group.asked.append(_numerical(q, student, q.numbers[0, 0], _html(q.given) + _html(q.ask)))
        return [group]
    # A vector or matrix: a group per entry. Where the variants' sizes differ, only the entries every
    # variant has are asked, so that each group still holds every variant and each student answers as
    # many entries; the others are named in ``sizes``.
    positions = [(student, q, _positions(q)) for student, q in pairs]
    common = set.intersection(*(set(p) for _, _, p in positions))
    vector = all(q.numbers.cols == 1 for _, q, _ in positions)
    dropped = sorted({name for _, _, p in positions for pos, (_, name) in p.items() if pos not in common})
    if dropped:
        shapes = sorted({f"{q.numbers.rows}×{q.numbers.cols}" for _, q, _ in positions})
        sizes.append(f"{item} is {' or '.join(shapes)}, {len(dropped)} "
                     f"entr{'y' if len(dropped) == 1 else 'ies'} left out ({', '.join(dropped)})")
    out = []
    for row, col in sorted(common):
        name = f"{item}[{row}]" if vector else f"{item}[{row},{col}]"
        group = Group(f"{problem.id}: {name}", "numerical_question")
        for student, q, p in positions:
            stem = _html(q.given) + _html(q.ask) if q.kind == "number" else _entry_stem(q, row, col, vector)
            group.asked.append(_numerical(q, student, p[row, col][0], stem))
        out.append(group)
    return out


# ---- XML ------------------------------------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, attrs: dict | None = None, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs or {})
    if text is not None:
        node.text = text
    return node


def _mattext(parent: ET.Element, html_text: str) -> None:
    material = _sub(parent, "material")
    _sub(material, "mattext", {"texttype": "text/html"}, f"<div>{html_text}</div>")


def _metadata(parent: ET.Element, fields: list[tuple[str, str]]) -> None:
    meta = _sub(parent, "qtimetadata")
    for label, entry in fields:
        f = _sub(meta, "qtimetadatafield")
        _sub(f, "fieldlabel", text=label)
        _sub(f, "fieldentry", text=entry)


def _feedback(item: ET.Element, ident: str, html_text: str) -> None:
    fb = _sub(item, "itemfeedback", {"ident": ident})
    _mattext(_sub(fb, "flow_mat"), html_text)


def _item(section: ET.Element, group: Group, asked: Asked, ident: str) -> None:
    item = _sub(section, "item", {"ident": ident, "title": f"{group.title} (variant {asked.student})"})
    mc = group.kind == "multiple_choice_question"
    order = list(range(len(asked.choices)))
    random.Random(ident).shuffle(order)  # the right choice is not always first (Canvas may shuffle again)
    choice_ids = [f"{ident}_c{k + 1}" for k in range(len(order))]
    _metadata(_sub(item, "itemmetadata"), [
        ("question_type", group.kind), ("points_possible", "1.0"),
        ("original_answer_ids", ",".join(choice_ids) if mc else ""),
        ("assessment_question_identifierref", f"{ident}_ref")])
    presentation = _sub(item, "presentation")
    _mattext(presentation, asked.stem)
    processing = ET.Element("resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    general = _sub(processing, "respcondition", {"continue": "Yes"})
    _sub(_sub(general, "conditionvar"), "other")
    _sub(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    feedbacks = [("general_fb", f"The answer is {equation(asked.answer)}.")]
    if mc:
        lid = _sub(presentation, "response_lid", {"ident": "response1", "rcardinality": "Single"})
        render = _sub(lid, "render_choice")
        for cid, k in zip(choice_ids, order):
            _mattext(_sub(render, "response_label", {"ident": cid}), equation(asked.choices[k][0]))
        right = None
        for cid, k in zip(choice_ids, order):
            mistake = asked.choices[k][1]
            if mistake is None:
                right = cid
                continue
            condition = _sub(processing, "respcondition", {"continue": "Yes"})
            _sub(_sub(condition, "conditionvar"), "varequal", {"respident": "response1"}, cid)
            _sub(condition, "displayfeedback", {"feedbacktype": "Response", "linkrefid": f"{cid}_fb"})
            feedbacks.append((f"{cid}_fb", html.escape(f"Not quite: {feedback(mistake)}.", quote=False)))
        condition = _sub(processing, "respcondition", {"continue": "No"})
        _sub(_sub(condition, "conditionvar"), "varequal", {"respident": "response1"}, right)
    else:
        fib = _sub(_sub(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}),
                   "render_fib", {"fibtype": "Decimal"})
        _sub(fib, "response_label", {"ident": "answer1"})
        condition = _sub(processing, "respcondition", {"continue": "No"})
        conditionvar = _sub(condition, "conditionvar")
        _sub(conditionvar, "vargte", {"respident": "response1"}, _plain_decimal(asked.low))
        _sub(conditionvar, "varlte", {"respident": "response1"}, _plain_decimal(asked.high))
    _sub(condition, "setvar", {"action": "Set", "varname": "SCORE"}, "100")
    _sub(condition, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "correct_fb"})
    feedbacks.append(("correct_fb", "Correct."))
    item.append(processing)
    for fid, text in feedbacks:
        _feedback(item, fid, text)


def _fingerprint(groups_: list[Group], title: str) -> uuid.UUID:
    """The assessment's identity from everything in it: the same bank and seed give the same idents, and a
    different quiz never takes the place of an earlier import."""
    parts = [title] + [repr((g.title, g.kind, [(a.student, a.stem, a.low, a.high, a.choices) for a in g.asked]))
                       for g in groups_]
    return uuid.uuid5(NAMESPACE, "\n".join(parts))


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def assessment_xml(groups_: list[Group], ident: str, title: str, base: uuid.UUID) -> bytes:
    root = ET.Element("questestinterop", {
        "xmlns": QTI_NS, "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    assessment = _sub(root, "assessment", {"ident": ident, "title": title})
    _metadata(assessment, [("cc_maxattempts", "1")])
    top = _sub(assessment, "section", {"ident": "root_section"})
    for group in groups_:
        gid = "g" + uuid.uuid5(base, "group " + group.title).hex
        section = _sub(top, "section", {"ident": gid, "title": group.title})
        selection = _sub(_sub(section, "selection_ordering"), "selection")
        _sub(selection, "selection_number", text="1")
        _sub(_sub(selection, "selection_extension"), "points_per_item", text="1.0")
        for asked in group.asked:
            _item(section, group, asked, "i" + uuid.uuid5(base, f"item {group.title} {asked.student}").hex)
    return _xml(root)


def manifest_xml(ident: str, base: uuid.UUID) -> bytes:
    meta_ref = "m" + uuid.uuid5(base, "assessment_meta").hex
    root = ET.Element("manifest", {
        "identifier": "s" + uuid.uuid5(base, "manifest").hex,
        "xmlns": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1 "
                              "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"})
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", text="IMS Content")
    _sub(metadata, "schemaversion", text="1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    quiz = _sub(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
    _sub(quiz, "file", {"href": f"{ident}/{ident}.xml"})
    _sub(quiz, "dependency", {"identifierref": meta_ref})
    meta = _sub(resources, "resource", {
        "identifier": meta_ref, "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
        "href": f"{ident}/assessment_meta.xml"})
    _sub(meta, "file", {"href": f"{ident}/assessment_meta.xml"})
    return _xml(root)


def meta_xml(ident: str, title: str, points: int, variants: int) -> bytes:
    root = ET.Element("quiz", {
        "identifier": ident, "xmlns": "http://canvas.instructure.com/xsd/cccv1p0",
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": "http://canvas.instructure.com/xsd/cccv1p0 https://canvas.instructure.com/xsd/cccv1p0.xsd"})
    description = (f"<p>Made by symgrad: a question group per problem item (per entry of a vector or matrix); each "
                   f"group holds {variants} variants and every student draws one from each.</p>")
    for tag, text in [("title", title), ("description", description), ("shuffle_answers", "true"),
                      ("scoring_policy", "keep_highest"), ("hide_results", ""), ("quiz_type", "assignment"),
                      ("points_possible", f"{points:.1f}"), ("show_correct_answers", "true"),
                      ("allowed_attempts", "1"), ("one_question_at_a_time", "false"), ("cant_go_back", "false"),
                      ("available", "false")]:
        _sub(root, tag, text=text)
    return _xml(root)


def package(groups_: list[Group], title: str, variants: int) -> bytes:
    """The zip: imsmanifest.xml, <ident>/<ident>.xml and <ident>/assessment_meta.xml, with fixed times."""
    base = _fingerprint(groups_, title)
    ident = "a" + base.hex
    files = [("imsmanifest.xml", manifest_xml(ident, base)),
             ("non_cc_assessments/", b""),
             (f"{ident}/assessment_meta.xml", meta_xml(ident, title, len(groups_), variants)),
             (f"{ident}/{ident}.xml", assessment_xml(groups_, ident, title, base))]
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3
            info.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return stream.getvalue()


def write(problems: list[Problem], out: Path, *, variants: int, seed: int, warn) -> list[Path]:
    from ..errors import SymgradError

    if variants < 1:
        raise SymgradError("--variants must be at least 1")
    found = groups(problems, variants, seed, warn)
    if not found:
        raise SymgradError("no problem of the bank has an item a QTI quiz can grade; nothing is written")
    what = problems[0].title if len(problems) == 1 else f"{len(problems)} problems"
    title = f"{what} (symgrad, seed {seed})"
    out.write_bytes(package(found, title, variants))
    return [out]
