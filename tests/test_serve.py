"""The practice server's API, store and guards, through Starlette's test client (no browser): the same
verdicts as the CLI, previews with their reading or the column of a typing error, hostile answers each
refused with a clear error while the server goes on serving, attempts kept (even when the server is
killed), the teacher's page behind its token, and each student's own variant from a class key."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import free_port, wait_until_up
from starlette.testclient import TestClient

from symgrad.documents.bank import load_bank, variant
from symgrad.documents.keys import problem_keys
from symgrad.serve.app import ServeConfig, create_app

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ROOT / "problems" / "variants.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "attempts.sqlite"
    config = ServeConfig(db=str(db), token="sesame")
    with TestClient(create_app(config)) as client:
        yield client, db


def test_problems_and_parts(server):
    client, _ = server
    problems = client.get("/api/problems").json()
    ids = [p["id"] for p in problems]
    assert "staged-xyz" in ids and "net-one-hidden" in ids and "concepts-000" not in ids  # concept: nothing to type
    p = client.get("/api/problems/staged-xyz").json()
    assert p["title"] == "Backprop in practice, staged computation"
    assert "Its stages are $g = x + y$, $h = g z$, $f = h + x$" in p["given"] and "$x = -2$" in p["given"]
    assert p["graph"].lstrip().startswith("<?xml") and "<svg" in p["graph"]
    parts = {q["part"]: q for q in p["parts"]}
    assert parts["grad.x"]["kind"] == "number" and "value.x" not in parts  # the stem gives x
    assert next(q["parts"] for q in problems if q["id"] == "staged-xyz") == len(parts) == 11
    net = client.get("/api/problems/net-one-hidden").json()
    kinds = {q["part"]: (q["kind"], q["shape"]) for q in net["parts"]}
    assert kinds["grad.W1"] == ("array", [3, 2]) and kinds["grad.x"] == ("matrix-formula", None)
    r = client.get("/api/problems/nope")
    assert r.status_code == 404 and r.json() == {"error": "no problem 'nope'"}


def test_check_gives_the_verdict_with_its_diagnosis(server):
    client, _ = server
    ok = client.post("/api/check", json={"problem": "staged-xyz", "part": "grad.x", "answer": "-3", "student": "ada"})
    assert ok.json()["verdict"] == "correct"
    wrong = client.post("/api/check", json={"problem": "chain-composition", "part": "derivative.x",
                                            "answer": "8(5x^3 - x - 1)", "student": "ada"}).json()
    assert (wrong["verdict"], wrong["diagnosis"]) == ("incorrect", "missing inner derivative")
    matrix = client.post("/api/check", json={"problem": "net-one-hidden", "part": "grad.W2", "answer": "a1 d2^T",
                                             "student": "ada"}).json()
    assert matrix["diagnosis"] == "transposed"
    entry = client.post("/api/check", json={"problem": "net-one-hidden", "part": "grad.W2[1,2]",
                                            "answer": "-0.0935", "student": "ada"}).json()
    assert entry["verdict"] == "correct", entry


def test_a_batch_object_gets_what_check_batch_prints(server):
    client, _ = server
    items = [{"id": 7, "expected": "2x cos(x^2)", "answer": "cos(x^2)", "vars": "x", "function": "sin(x^2)",
              "wrt": "x"}, {"id": "b", "expected": "x", "answer": "x +* 1", "vars": "x"}]
    cli = subprocess.run([sys.executable, "-m", "symgrad", "check", "--batch", "-"], cwd=ROOT, capture_output=True,
                         text=True, input="\n".join(json.dumps(i) for i in items) + "\n")
    expected = [json.loads(line) for line in cli.stdout.splitlines()]
    got = [client.post("/api/check", json=i).json() for i in items]
    assert got == expected and got[0]["diagnosis"] == "missing inner derivative" and got[1]["verdict"] == "invalid"


def test_preview_echoes_the_reading_or_the_column(server):
    client, _ = server
    ask = {"problem": "chain-composition", "part": "derivative.x"}
    r = client.post("/api/preview", json={**ask, "answer": "8(15x^2-1)(5x^3-x-1)"}).json()
    assert r == {"ok": True, "latex": r"8 \left(15 x^{2} - 1\right) \left(5 x^{3} - x - 1\right)", "notes": []}
    r = client.post("/api/preview", json={**ask, "answer": "sin x^2"}).json()
    assert r["ok"] and r["notes"] == ["sin without parentheses applies to what follows it: sin(x^2)"]
    r = client.post("/api/preview", json={**ask, "answer": "8(15x^2-1"}).json()
    assert r["ok"] is False and r["column"] == 10 and r["error"].startswith("column 10: unexpected end of input")
    r = client.post("/api/preview", json={"problem": "net-one-hidden", "part": "delta.1",
                                          "answer": "(W2^T d2) o a1 o (1 - a1)"}).json()
    assert r["ok"] and r["notes"] == ["o between two factors is read as ⊙, the entry-by-entry product"]


HOSTILE = [
    ("__import__('os').system('touch /tmp/pwned')", "invalid"),
    ("exec('1')", "invalid"),
    ("9^9^9^9^9", "invalid"),
    ("x\x00\x1b[31m", "invalid"),
    ("(" * 500 + "x" + ")" * 500, "invalid"),
    ("<script>alert(1)</script>", "invalid"),
]


@pytest.mark.parametrize(("answer", "verdict"), HOSTILE)
def test_hostile_answers_get_a_clear_error_and_the_server_goes_on(server, answer, verdict):
    client, _ = server
    r = client.post("/api/check", json={"problem": "chain-composition", "part": "derivative.x", "answer": answer})
    assert r.status_code == 200 and r.json()["verdict"] == verdict and "Traceback" not in r.text
    assert not Path("/tmp/pwned").exists()
    again = client.post("/api/check", json={"problem": "staged-xyz", "part": "grad.y", "answer": "-4"})
    assert again.json()["verdict"] == "correct"


def test_bad_requests_are_refused_with_their_status(server):
    client, _ = server
    cases = [
        (client.post("/api/check", content=b"{not json"), 400, "the request body is not JSON"),
        (client.post("/api/check", json=[1, 2]), 400, "send a JSON object"),
        (client.post("/api/check", json={"problem": "staged-xyz", "part": "grad.x", "answer": 3}), 400,
         "'answer' must be a string"),
        (client.post("/api/check", json={"problem": "staged-xyz", "part": "grad.x", "answer": "1" * 3000}), 413,
         "the answer is longer than 2000 characters"),
        (client.post("/api/check", content=b'{"answer": "' + b"1" * 20000 + b'"}'), 413,
         "the request is larger than 16384 bytes"),
        (client.post("/api/check", json={"problem": "staged-xyz", "part": "nope", "answer": "1"}), 404,
         "problem 'staged-xyz' has no part 'nope'"),
    ]
    for response, status, message in cases:
        assert (response.status_code, response.json()) == (status, {"error": message})
    headers = client.get("/p/staged-xyz").headers
    assert "script-src 'self';" in headers["content-security-policy"] and "unsafe-inline" not in \
        headers["content-security-policy"].split("script-src")[1].split(";")[0]


def test_a_client_over_the_rate_gets_429(tmp_path):
    config = ServeConfig(db=str(tmp_path / "a.sqlite"), rate=0.01, burst=5)  # no refill during the test
    with TestClient(create_app(config)) as client:
        codes = [client.get("/api/problems").status_code for _ in range(12)]
    assert codes[:5] == [200] * 5 and 429 in codes[5:]


def test_attempts_are_stored_and_the_teacher_page_needs_the_token(server):
    client, db = server
    for answer in ("z + 1", "z"):
        client.post("/api/check", json={"problem": "staged-xyz", "part": "gradient.x", "answer": answer,
                                        "student": "<b>eve</b>"})
    assert client.get("/teacher").status_code == 403
    assert client.get("/teacher/attempts.csv?token=wrong").status_code == 403
    page = client.get("/teacher?token=sesame").text
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve</b>" not in page
    assert "<td>1/11 <small>(2 tries)</small></td>" in page  # staged-xyz: 1 of its 11 parts solved
    rows = list(csv.DictReader(io.StringIO(client.get("/teacher/attempts.csv?token=sesame").text)))
    eve = [r for r in rows if r["student"] == "<b>eve</b>"]
    assert [(r["answer"], r["verdict"]) for r in eve] == [("z + 1", "correct"), ("z", "incorrect")]
    assert list(rows[0]) == ["row", "student", "problem", "part", "answer", "verdict", "message", "diagnosis",
                             "parsed", "time"]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT COUNT(*) FROM attempts WHERE verdict = 'pending'").fetchone()[0] == 0


def test_each_student_practises_their_own_variant(tmp_path):
    out = tmp_path / "class"
    r = subprocess.run([sys.executable, "-m", "symgrad", "worksheet", str(VARIANTS), "--variants", "2", "--only",
                        "v-network,v-chain", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    config = ServeConfig(bank=[str(VARIANTS)], key=str(out / "key.jsonl"), db=str(tmp_path / "a.sqlite"))
    problem = next(p for p in load_bank([VARIANTS]) if p.id == "v-network")
    with TestClient(create_app(config)) as client:
        mine = variant(problem, 0, "001")
        keys = problem_keys(mine)
        loss = f"{float(keys['value.loss'].array[0, 0]):.4g}"
        shown = client.get("/api/problems/v-network?student=001").json()
        weights = mine.instance()[0][0]
        assert " & ".join(str(e) for e in weights.row(0)) in shown["given"]
        check = lambda s: client.post("/api/check", json={"problem": "v-network", "part": "value.loss",  # noqa: E731
                                                          "answer": loss, "student": s})
        assert check("001").json()["verdict"] == "correct"
        assert check("002").json()["verdict"] == "incorrect"
        assert (check("").status_code, check("").json()["error"]) == \
            (400, "enter your student id first: each student has their own numbers")
        assert check("zed").status_code == 404


def test_a_killed_server_loses_no_attempt(tmp_path):
    import httpx

    port, db = free_port(), tmp_path / "a.sqlite"
    server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port), "--db", str(db)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = server.stdout.readline().split()[-1]
        assert url == f"http://127.0.0.1:{port}/"
        assert server.stdout.readline().startswith("teacher's page:   http://127.0.0.1:")
        wait_until_up(url)
        answered = 0
        for i in range(25):
            r = httpx.post(url + "api/check", json={"problem": "staged-xyz", "part": "grad.x", "answer": str(i),
                                                     "student": f"s{i}"}, timeout=30)
            answered += r.status_code == 200
        children = [int(p) for p in subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)], text=True,
                                                   capture_output=True).stdout.split()]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == answered == 25
    assert children  # the checker processes ...
    for _ in range(50):  # ... end with the server instead of running on
        alive = [p for p in children if Path(f"/proc/{p}").exists() and
                 "zombie" not in Path(f"/proc/{p}/status").read_text(errors="replace").lower()]
        if not alive:
            break
        time.sleep(0.2)
    assert alive == []
