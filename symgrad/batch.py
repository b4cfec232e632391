"""The check of one ``symgrad check --batch`` object: {id, expected, answer, vars, positive, function, wrt}
in, {id, verdict, message, diagnosis, parsed} out. Shared by the CLI and the practice server's API."""

from __future__ import annotations

import json
from typing import Any

from .check import Context, Tolerance, check
from .errors import SymgradError
from .parsing import parse
from .parsing.program import check_name


def context_of(vars_text: str | None, positive: bool, tolerance: Tolerance, function: str | None = None,
             wrt: str | None = None) -> Context:
    names = tuple(v.strip() for v in (vars_text or "").split(",") if v.strip())
    for n in names:
        check_name(n)
    of = parse(function, variables=names) if function else None
    return Context(names, positive=positive, function=of, wrt=wrt, tolerance=tolerance)


def batch_item(line: str | Any, number: int, tolerance: Tolerance) -> dict:
    """One JSONL line (or its parsed object, as the practice server's /api/check receives it) -> one result
    object; nothing here may raise."""
    if isinstance(line, str):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            return {"id": number, "verdict": "invalid", "message": f"line {number} is not JSON: {err.msg}",
                    "diagnosis": None, "parsed": None}
    else:
        item = line
    if not isinstance(item, dict):
        return {"id": number, "verdict": "invalid", "message": f"line {number} is not a JSON object",
                "diagnosis": None, "parsed": None}
    ident = item.get("id", number)
    try:
        for field_name in ("expected", "answer"):
            if not isinstance(item.get(field_name), str):
                raise SymgradError(f"line {number}: '{field_name}' must be a string")
        vars_text = item.get("vars", "")
        if not isinstance(vars_text, str):
            raise SymgradError(f"line {number}: 'vars' must be a comma-separated string")
        context = context_of(vars_text, bool(item.get("positive", False)), tolerance,
                           item.get("function") if isinstance(item.get("function"), str) else None,
                           item.get("wrt") if isinstance(item.get("wrt"), str) else None)
        verdict = check(item["expected"], item["answer"], context)
    except SymgradError as err:
        return {"id": ident, "verdict": "invalid", "message": str(err), "diagnosis": None, "parsed": None}
    except Exception as err:  # noqa: BLE001 - one bad line never stops the batch
        return {"id": ident, "verdict": "undecided", "message": f"the check failed: {type(err).__name__}",
                "diagnosis": None, "parsed": None}
    return {"id": ident, **verdict.to_dict()}
