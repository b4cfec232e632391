"""The practice server's web layer (Starlette): pages, the JSON API of api.py, the attempts store, and
the guards: a body-size limit (413), a per-client rate limit (429), checks run in a process pool under
the time bound (so one hard answer never blocks the others), security headers with a
Content-Security-Policy that allows no inline script, and the teacher's token.

Configuration comes from ``ServeConfig`` (the CLI passes it to each uvicorn worker through the
environment variable SYMGRAD_SERVE, as JSON)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import html
import io
import json
import multiprocessing
import os
import secrets
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..check import TIME_LIMIT
from .api import ApiError, Practice
from .store import Attempt, SQLiteStore

MAX_BODY = 16 * 1024  # bytes: an answer is at most 2000 characters
RATE = 20.0  # requests a second a client may keep up
BURST = 60  # requests a client may send at once
# no inline script anywhere; inline style attributes are allowed because KaTeX sets them on the nodes it builds
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
ENV = "SYMGRAD_SERVE"


@dataclass
class ServeConfig:
    bank: list[str] = field(default_factory=list)
    key: str | None = None
    db: str = "attempts.sqlite"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    checkers: int = 2  # processes per server worker that run checks (a short check need not wait behind a long one)
    rate: float = RATE
    burst: int = BURST

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServeConfig:
        return cls(**json.loads(os.environ[ENV]))


# -- the check pool: each process loads the bank once ---------------------------------------------------

_PRACTICE: Practice | None = None


def _orphaned(parent: int) -> None:
    """A checker ends with its server: killed servers (SIGKILL) would otherwise leave it running."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _load(bank: list[str], key: str | None) -> None:
    global _PRACTICE
    threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
    _PRACTICE = Practice.load(bank, key)
    _PRACTICE.warm()  # every key's side of a check, once, before the first student waits for it
    gc.freeze()  # the loaded bank and keys stay: a full collection need not walk them again (no 100 ms pauses)


def _ready() -> bool:
    """A task that holds its process a moment, so that each of the pool's processes starts and loads."""
    time.sleep(0.2)
    return _PRACTICE is not None


def _check(item: dict) -> dict:
    """One check in a pool process (its main thread, so the time bound is a hard alarm)."""
    try:
        return _PRACTICE.check(item)
    except ApiError as err:
        return {"error": str(err), "status": err.status}


# -- guards ---------------------------------------------------------------------------------------------


class Guard:
    """ASGI middleware: security headers on every response, 413 over MAX_BODY, 429 over the rate."""

    def __init__(self, app, rate: float = RATE, burst: int = BURST):
        self.app = app
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = defaultdict(lambda: (float(burst), time.monotonic()))

    def _allow(self, client: str) -> bool:
        tokens, last = self.buckets[client]
        now = time.monotonic()
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return False
        self.buckets[client] = (tokens - 1, now)
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def secure(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"content-security-policy"]
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        client = (scope.get("client") or ("?", 0))[0]
        if scope["path"].startswith("/api/") and not self._allow(client):
            return await _json({"error": "too many requests: wait a moment"}, 429)(scope, receive, secure)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return await _json({"error": f"the request is larger than {MAX_BODY} bytes"}, 413)(scope, receive, secure)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    raise _TooLargeError()
            return message

        try:
            await self.app(scope, limited, secure)
        except _TooLargeError:
            await _json({"error": f"the request is larger than {MAX_BODY} bytes"}, 413)(scope, receive, secure)


class _TooLargeError(Exception):
    pass


def _seen_key(item: dict, practice: Practice) -> tuple | None:
    """What makes two checks the same check: problem, part, answer and (with a class key) the student."""
    fields = ("problem", "part", "answer", "student")
    if "expected" in item or not all(isinstance(item.get(k, ""), str) for k in fields):
        return None
    student = item.get("student", "").strip() if practice.keys is not None else ""
    return (item.get("problem", "").strip(), item.get("part", "").strip(), student, item.get("answer", ""))


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


# -- the application ---------------------------------------------------------------------------------------


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The practice application for ``config`` (by default the one in $SYMGRAD_SERVE)."""
    config = config or ServeConfig.from_env()
    practice = Practice.load(config.bank, config.key)
    store = SQLiteStore(config.db)
    pool = ProcessPoolExecutor(config.checkers, mp_context=multiprocessing.get_context("spawn"), initializer=_load,
                               initargs=(config.bank, config.key))  # spawn: no locks of this process's threads
    pages = files("symgrad.serve") / "pages"

    verdicts: dict[tuple, dict] = {}  # answers a class has already sent: checked once per server worker

    async def body(request: Request) -> dict:
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError("send a JSON object")
        return data

    async def run(fn, item: dict) -> dict:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, fn, item), TIME_LIMIT + 5)
        except TimeoutError:
            return {"id": item.get("id"), "verdict": "undecided", "message": "the check took too long",
                    "diagnosis": None, "parsed": None}

    async def api_check(request: Request) -> Response:
        item = await body(request)
        is_attempt = "expected" not in item
        row = None
        if is_attempt and isinstance(item.get("answer"), str) and len(item["answer"]) <= 2000:
            row = await asyncio.to_thread(store.record, Attempt(
                str(item.get("student", ""))[:100], str(item.get("problem", ""))[:100], str(item.get("part", ""))[:100],
                item["answer"], "pending", "", time=time.time()))
        seen = _seen_key(item, practice)
        result = verdicts.get(seen) if seen else None
        if result is None:
            result = await run(_check, item)
            if seen and "error" not in result and result.get("verdict") != "undecided":
                verdicts[seen] = result
                if len(verdicts) > 20_000:
                    verdicts.pop(next(iter(verdicts)))
        result = {**result, "id": item.get("id", result.get("id"))}
        if "error" in result:
            if row is not None:
                await asyncio.to_thread(store.finish, row, "invalid", result["error"], "", "")
            return _json({"error": result["error"]}, result["status"])
        if row is not None:
            parsed = (result.get("parsed") or {}).get("text", "")
            await asyncio.to_thread(store.finish, row, result["verdict"], result["message"],
                                    result.get("diagnosis") or "", parsed)
        return _json(result)

    async def api_preview(request: Request) -> Response:
        # a preview only reads the answer (bounded by the grammar's limits): no process hop, no queue
        return _json(await asyncio.to_thread(practice.preview, await body(request)))

    async def api_problems(request: Request) -> Response:
        return _json(practice.list())

    async def api_problem(request: Request) -> Response:
        student = request.query_params.get("student", "")[:100]
        return _json(await asyncio.to_thread(practice.problem, request.path_params["pid"], student))

    async def api_solution(request: Request) -> Response:
        student = request.query_params.get("student", "")[:100]
        return _json(await asyncio.to_thread(practice.solution, request.path_params["pid"], student))

    def page(name: str, **values: str) -> HTMLResponse:
        text = (pages / name).read_text(encoding="utf-8")
        for k, v in values.items():
            text = text.replace("{{" + k + "}}", html.escape(v))
        return HTMLResponse(text)

    async def index(request: Request) -> Response:
        return page("index.html", needs_id="yes" if practice.keys is not None else "")

    async def problem_page(request: Request) -> Response:
        pid = request.path_params["pid"]
        if pid not in practice.problems:
            return page("missing.html", what=pid)
        return page("problem.html", pid=pid, needs_id="yes" if practice.keys is not None else "")

    def allowed(request: Request) -> bool:
        return secrets.compare_digest(request.query_params.get("token", ""), config.token)

    async def teacher(request: Request) -> Response:
        if not allowed(request):
            return HTMLResponse("<!doctype html><title>symgrad</title><p>This page needs the teacher's token "
                                "that symgrad serve printed.</p>", status_code=403)
        progress = await asyncio.to_thread(store.progress)
        return HTMLResponse(teacher_html(progress, config.token, practice))

    async def teacher_csv(request: Request) -> Response:
        if not allowed(request):
            return _json({"error": "the teacher's token is needed"}, 403)
        text = await asyncio.to_thread(attempts_csv, store)
        return Response(text, media_type="text/csv",
                        headers={"content-disposition": 'attachment; filename="attempts.csv"'})

    async def failed(request: Request, err: Exception) -> Response:
        return _json({"error": str(err)}, getattr(err, "status", 400))

    routes = [
        Route("/", index), Route("/p/{pid}", problem_page),
        Route("/teacher", teacher), Route("/teacher/attempts.csv", teacher_csv),
        Route("/api/problems", api_problems), Route("/api/problems/{pid}", api_problem),
        Route("/api/problems/{pid}/solution", api_solution),
        Route("/api/check", api_check, methods=["POST"]), Route("/api/preview", api_preview, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(files("symgrad.serve") / "static")), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        # every checker process up, with its bank and keys loaded, before the first student is served
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(config.checkers)))
        await asyncio.to_thread(practice.list)
        gc.freeze()
        yield
        pool.shutdown(cancel_futures=True)

    app = Starlette(routes=routes, middleware=[Middleware(Guard, rate=config.rate, burst=config.burst)],
                    exception_handlers={ApiError: failed}, lifespan=lifespan)
    app.state.store, app.state.config = store, config
    return app


def attempts_csv(store) -> str:
    """Every attempt in ``symgrad grade``'s results format (row = the attempt's number)."""
    from ..grade import OUTPUT

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((*OUTPUT, "time"))
    for number, a in store.attempts():
        writer.writerow((number, a.student, a.problem, a.part, a.answer, a.verdict, a.message, a.diagnosis, a.parsed,
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a.time))))
    return out.getvalue()


def teacher_html(progress: dict, token: str, practice: Practice) -> str:
    """Each student's progress per problem: parts answered correctly out of the parts, and attempts."""
    esc = html.escape
    problems = list(practice.problems.values())
    sizes = {p["id"]: p["parts"] for p in practice.list()}
    sizes.update({p.id: 0 for p in problems if p.id not in sizes})
    head = "".join(f"<th scope=col>{esc(p.id)}</th>" for p in problems if sizes[p.id])
    rows = []
    for student, per in sorted(progress.items()):
        cells = []
        for p in problems:
            if not sizes[p.id]:
                continue
            got = per.get(p.id)
            cells.append("<td>–</td>" if got is None else
                         f"<td>{got['solved']}/{sizes[p.id]} <small>({got['attempts']} tries)</small></td>")
        rows.append(f"<tr><th scope=row>{esc(student or '(no id)')}</th>{''.join(cells)}</tr>")
    table = (f"<table><thead><tr><th scope=col>student</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
             if rows else "<p>No attempts yet.</p>")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
            "content='width=device-width, initial-scale=1'><title>symgrad: progress</title>"
            "<link rel=icon href=/static/favicon.svg><link rel=stylesheet href=/static/practice.css></head>"
            "<body><main><h1>Progress</h1>"
            f"{table}<p><a href='/teacher/attempts.csv?token={esc(token)}'>Download every attempt (CSV)</a></p>"
            "</main></body></html>")
