"""The practice page in a real browser: Debian's Chromium driven by Playwright (through executable_path;
Playwright's own browser download is not used). A student opens a problem, sees the preview change as
they type, gets "correct" or the diagnosis of their mistake with the keyboard alone, reveals the
solution, and the console stays clean. Screenshots at desktop and phone width are kept in
test-artifacts/ for a person to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from serving import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def url(tmp_path_factory):

    port = free_port()
    db = tmp_path_factory.mktemp("browser") / "attempts.sqlite"
    server = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", str(port), "--db", str(db)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/")
    yield base
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium is needed (bash .ci/setup installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    yield page
    context.close()


def test_a_correct_answer_typed_with_the_keyboard_alone(page, url):
    page.goto(f"{url}/p/chain-composition")
    page.wait_for_selector("#answer-0")
    page.keyboard.press("Tab")  # the first field has the focus; nothing needs a mouse
    assert page.evaluate("document.activeElement.id") in ("answer-0", "show-solution")
    page.focus("#answer-0")
    page.keyboard.type("8(15x^2 - 1)(5x^3 - x - 1)")
    page.wait_for_selector("#answer-0-preview .katex")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer-0-verdict strong")
    assert page.inner_text("#answer-0-verdict strong") == "correct"
    label = page.evaluate("document.querySelector('label[for=answer-0]').textContent")
    assert label.startswith("(a) Compute") and "chain rule" in label
    page.wait_for_selector("#solution h3")  # a correct answer reveals the verified solution
    assert "substitution" in page.inner_text("#solution")
    assert page.problems == []


def test_a_typical_mistake_gets_its_diagnosis(page, url):
    page.goto(f"{url}/p/chain-composition")
    page.fill("#answer-0", "8(5x^3 - x - 1)")
    page.press("#answer-0", "Enter")
    page.wait_for_selector("#answer-0-verdict .diagnosis")
    assert page.inner_text("#answer-0-verdict strong") == "incorrect"
    assert page.inner_text("#answer-0-verdict .diagnosis").strip() == "(missing inner derivative)"
    assert page.problems == []


def test_the_preview_follows_the_typing(page, url):
    page.goto(f"{url}/p/chain-composition")
    page.wait_for_selector("#answer-0")
    page.type("#answer-0", "sin x^2")
    page.wait_for_selector("#answer-0-preview .note")
    assert page.inner_text("#answer-0-preview .note").startswith("sin without parentheses applies to what follows")
    first = page.inner_text("#answer-0-preview")
    page.fill("#answer-0", "8(15x^2 - 1")
    page.wait_for_selector("#answer-0-preview.error")
    text = page.inner_text("#answer-0-preview")
    assert text != first and text.startswith("column 12: unexpected end of input")
    assert page.inner_text("#answer-0-preview .caret").endswith("^")
    assert page.problems == []


def test_the_solution_on_request_and_screenshots(page, url):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{url}/p/staged-xyz")
    page.wait_for_selector("#graph svg")
    page.fill("#answer-0", "z + 1")
    page.press("#answer-0", "Enter")
    page.wait_for_selector("#solution figure svg")
    assert "data -14" in page.inner_text("#solution figure") and "grad -3" in page.inner_text("#solution figure")
    page.screenshot(path=str(ARTIFACTS / "practice-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/p/net-one-hidden")
    page.wait_for_selector("#answer-0")
    page.click("#show-solution")
    page.wait_for_selector("#solution .solution-part")
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide} px wide on a 390 px phone"
    page.screenshot(path=str(ARTIFACTS / "practice-phone.png"), full_page=True)
    for name in ("practice-desktop.png", "practice-phone.png"):
        assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.problems == []


def test_the_page_works_offline(page, url):
    """Everything comes from symgrad itself: every request goes to the server, none to a CDN."""
    hosts = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto(f"{url}/p/tanh-sigmoid")
    page.wait_for_selector("#given .katex")
    assert hosts == {url.split("/")[2]}
