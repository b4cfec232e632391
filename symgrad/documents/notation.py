"""What the scalar views share: a question's own symbols in every formula of its solution (s for the
sigmoid where the question says s), and the footnotes where a problem corrects a slip of its seed."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache

import sympy

from ..functions import relu, sigmoid
from ..parsing.tex import prose_to_latex
from ..passes import Value
from ..steps import Derivation
from .bank import Problem
from .layout import Block, PartView, _derivation_block, exact_and_number, number


@dataclass
class Correction(Block):
    """A footnote on a seed slip that this problem corrects: a text block, marked as a correction."""


def correction_blocks(problem: Problem, part: str) -> list[Block]:
    """The footnote the bank's ``corrections`` field gives for this part, if any."""
    note = problem.corrections.get(part)
    if not note:
        return []
    return [Correction("text", [r"{\footnotesize\textsuperscript{\dag}\,\textit{Correction to the seed.} "
                                + prose_to_latex(note) + "}"])]


def noted(problem: Problem, part: str, view: PartView) -> PartView:
    """The part's view with the correction footnote, if the bank gives one, at the end of its solution."""
    view.solution.extend(correction_blocks(problem, part))
    return view


_LATEX_TAKES_NAMES = "names" in inspect.signature(Derivation.latex).parameters


@cache
def _named(function: type, name: str) -> type:
    """Our function (sigmoid, relu) under the question's name: the same function, printed as ``name``."""
    shown = name if len(name) == 1 else rf"\operatorname{{{name}}}"

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        return rf"{shown}^{{{exp}}}\left({inner}\right)" if exp else rf"{shown}\left({inner}\right)"

    # the same class name: text() prints it as ours, so the number policy (short exact forms) is unchanged
    return type(function.__name__, (function,), {"_latex": _latex})


def renamed(expr, names: Mapping[str, str]):
    """``expr`` in the question's own symbols: our functions and symbols under the names it gives."""
    if expr is None or not names or not isinstance(expr, sympy.Basic):
        return expr
    with sympy.evaluate(False):  # rebuilt as it stands: a step's sides keep their shape
        for function in (sigmoid, relu):
            if function.__name__ in names:
                new = _named(function, names[function.__name__])
                expr = expr.replace(lambda e, f=function: type(e) is f, lambda e, n=new: n(*e.args))
        symbols = {s: sympy.Symbol(names[s.name], **s.assumptions0) for s in expr.free_symbols
                   if isinstance(s, sympy.Symbol) and s.name in names}
        return expr.xreplace(symbols) if symbols else expr


def derivation_block(d: Derivation, names: Mapping[str, str]) -> Block:
    """A derivation as the solutions show it, in the question's own symbols (s for the sigmoid).

    Until Derivation.latex takes the printer's ``names``, the steps themselves are renamed: the same
    derivation, with the sigmoid a function printed s and each renamed symbol a symbol of that name."""
    if not names:
        return _derivation_block(d)
    if _LATEX_TAKES_NAMES:
        return Block("derivation", d.latex(names=names))
    steps = tuple(replace(s, before=renamed(s.before, names), after=renamed(s.after, names),
                          value=renamed(s.value, names), rule=_renamed_rule(s.rule, names)) for s in d.steps)
    return _derivation_block(replace(d, steps=steps))


def _renamed_rule(rule: str, names: Mapping[str, str]) -> str:
    """A rule's text names the sigmoid σ; a question that calls it s reads s."""
    return rule.replace("σ", names["sigmoid"]) if "sigmoid" in names else rule


def _renamed_value(value: Value | None, names: Mapping[str, str]) -> Value | None:
    if not names or value is None or value.exact is None:
        return value
    return Value(renamed(value.exact, names), value.approx)


def value_cell(value: Value | None, names: Mapping[str, str]) -> str:
    """layout.exact_and_number in the question's symbols: sigma(1) ≈ 0.7311 reads s(1) ≈ 0.7311."""
    return exact_and_number(_renamed_value(value, names))


def answer_number(value: Value | None, names: Mapping[str, str]) -> str:
    """layout.number (an answer as the seeds round it) in the question's symbols."""
    return number(_renamed_value(value, names))
