"""Hostile input: every string comes back invalid, incorrect or undecided with a message, within the
time bound, with no file written and no process left behind; fuzzing both parsers."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad import ParseError, parse
from symgrad.check import TIME_LIMIT, Context, check

HOSTILE = [
    "__import__('os').system('touch pwned')",
    "__import__",
    "x.__class__.__mro__[1].__subclasses__()",
    "().__class__.__bases__[0]",
    "lambda: 1",
    "(lambda x: x)(2)",
    "eval('1+1')",
    "exec",
    "open('pwned', 'w')",
    "x; import os",
    r"\input{/etc/passwd}",
    r"\write18{touch pwned}",
    r"\immediate\write18{rm -rf /}",
    r"\def\x{1}",
    "9^9^9^9",
    "x^(10^100)",
    "10^100000",
    "1e99999999",
    "100000!",
    "(" * 5000 + "x" + ")" * 5000,
    "x" * 1_000_000,
    "1+" * 100_000 + "1",
    "",
    "   ",
    "\t\t",
    "x\x00",
    "x\u202e+1",  # right-to-left override
    "x\u200b",  # zero-width space
    "x\x1b[31m",
    "sin" * 1000,
    "x" + "^x" * 200,
    "exp(exp(exp(exp(exp(x)))))",
    "\\frac{" * 300 + "x" + "}" * 300,
    "|" * 1000,
]


@pytest.mark.parametrize("answer", HOSTILE, ids=[repr(h[:30]) for h in HOSTILE])
def test_hostile_answers(tmp_path, monkeypatch, answer):
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    start = time.perf_counter()
    verdict = check("x^2", answer, Context(("x",)))
    elapsed = time.perf_counter() - start
    assert verdict.verdict in ("invalid", "incorrect", "undecided"), verdict
    assert verdict.message
    assert "\n" not in verdict.message
    assert elapsed < TIME_LIMIT + 1.0, elapsed
    assert set(os.listdir(tmp_path)) == before
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("key", ["9^9^9^9", r"\input{x}", "x^(10^100)"])
def test_hostile_keys_are_refused_with_a_message(key):
    from symgrad.errors import SymgradError

    with pytest.raises(SymgradError, match="the key cannot be read"):
        check(key, "x")


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
alphabet = st.sampled_from(list("xy0123456789+-*/^()|{}[]\\ ,._!;=e") + ["sin", "exp", r"\frac", r"\sqrt",
                                                                           r"\left(", r"\right)", "^{", "**"])
typed = st.lists(alphabet, max_size=40).map("".join)


@FUZZ
@given(st.one_of(st.text(max_size=60), typed))
def test_any_string_gives_a_verdict(answer):
    verdict = check("x^2 + y", answer, Context(("x", "y")))
    assert verdict.verdict in ("correct", "incorrect", "invalid", "undecided")
    assert verdict.message


@FUZZ
@given(st.one_of(st.text(max_size=60), typed))
def test_both_parsers_raise_only_clean_errors(text):
    for latex in (False, True):
        try:
            parse(text, latex=latex)
        except ParseError as err:
            assert str(err) and "\n" not in str(err)
