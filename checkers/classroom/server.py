"""The class server: a Starlette ASGI app served by uvicorn (`python -m checkers class serve`).

    GET  /api/health        200 {"ok": true, "course", "server": "kurz-class/1"}
    POST /api/join          {"code", "name"} -> 201 {"token", "student_id", "name"}; 403 wrong code,
                            404 not on the roster, 409 already joined, 400 malformed, 429 too many
    POST /api/submissions   Bearer token, body = submission (gzip allowed) -> 201 {"stored": true} or
                            200 {"stored": false, "duplicate": true}; 401, 413, 400, 429 (Retry-After)
    POST /api/leave         Bearer token -> 200 {"left": true} (the name may join again); 401
    /                       the teacher's dashboard (checkers.classroom.dashboard)

Every submission's facts are re-graded here (checkers.classroom.grading); the grading runs in a
worker thread, the write on the store's single writer thread, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from checkers import class_protocol as protocol
from checkers.classroom.grading import Grader, init_worker, prepare_and_grade, warm_up
from checkers.class_protocol import ProtocolError
from checkers.classroom.security import RateLimiter, SecurityHeaders, read_limited, retry_after, session_secret
from checkers.classroom.store import ClassStore, JoinRefused
from checkers.course import Course
from checkers.grading.model import RosterEntry
from checkers.grading.policy import Policy
from checkers.grading.submissions import name_key
from checkers.sources import submission_facts



@dataclass
class Limits:
    """Rate limits (burst, then per second). A school NAT puts a whole class behind one address,
    so the per-address limit for submissions is generous; the per-token one stops a runaway loop."""

    token_burst: int = 20
    token_rate: float = 1.0
    ip_burst: int = 600
    ip_rate: float = 150.0
    join_burst: int = 60  # a whole class behind one NAT joins in the first minute
    join_rate: float = 2.0  # a 4-letter + 4-digit code (3·10^9) is not guessed at 2 per second
    login_burst: int = 10
    login_rate: float = 0.2


@dataclass
class ClassConfig:
    out_dir: Path
    course: Course
    code: str
    password_hash: str
    roster: list[RosterEntry] = field(default_factory=list)
    stuck_minutes: float = 10.0
    tls: bool = False
    limits: Limits = field(default_factory=Limits)
    checks_digest: str = ""
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    join_command: str = ""  # what students type, as `class serve` printed it (the LAN address)
    policy: Policy | None = None  # `class serve --policy`: excuses, deadline and marks on the dashboard


def start_workers(count: int) -> ProcessPoolExecutor | None:
    """The grading processes (fork: the course and the engine are imported once, in the parent)."""
    if count < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None  # Windows has no fork: grading stays in this process (threads), slower but the same
    pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("fork"),
                               initializer=init_worker)
    for future in [pool.submit(warm_up) for _ in range(count)]:
        future.result(timeout=120)
    return pool


class Events:
    """Fan-out of "student N changed" to every open dashboard stream (in the event loop's thread)."""

    def __init__(self):
        self.queues: set[asyncio.Queue] = set()

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=2000)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.queues.discard(queue)

    def publish(self, student: int) -> None:
        for queue in list(self.queues):
            try:
                queue.put_nowait(student)
            except asyncio.QueueFull:
                pass  # a stalled browser: it reloads the grid on its next reconnect


class ClassState:
    def __init__(self, config: ClassConfig):
        self.config = config
        self.pool = start_workers(config.workers)  # forked first: no thread exists yet to be cloned
        try:
            self.store = ClassStore(config.out_dir)
        except BaseException:  # a gradebook we must not touch: the workers go too, quietly
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
            raise
        self.grader = Grader(config.course)  # in-process fallback when the workers are gone
        self.events = Events()
        limits = config.limits
        self.token_limit = RateLimiter(limits.token_rate, limits.token_burst)
        self.ip_limit = RateLimiter(limits.ip_rate, limits.ip_burst)
        self.join_limit = RateLimiter(limits.join_rate, limits.join_burst)
        self.login_limit = RateLimiter(limits.login_rate, limits.login_burst)
        self.roster_keys = {name_key(e.name): e for e in reversed(config.roster)}
        self.students: dict[str, object] = {}  # token hash -> Student: no database read per submission

    async def student(self, token: str):
        digest = protocol.token_hash(token)
        student = self.students.get(digest)
        if student is None:
            student = await run_in_threadpool(self.store.student_by_token, token)
            if student is not None:
                self.students[digest] = student
        return student

    def forget(self, student_id: int) -> None:
        """After a reset: the old token stops working at once."""
        for digest in [d for d, s in self.students.items() if s.id == student_id]:
            del self.students[digest]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def too_many(wait: float) -> JSONResponse:
    return JSONResponse({"detail": f"Příliš mnoho požadavků. Zkuste to znovu za {retry_after(wait)} s."},
                        status_code=429, headers={"Retry-After": retry_after(wait)})


# ------------------------------------------------------------------------------------- API
async def health(request: Request) -> JSONResponse:
    state: ClassState = request.app.state.cls
    return JSONResponse({"ok": True, "course": state.config.course.title, "server": protocol.SERVER_NAME})


async def join(request: Request) -> JSONResponse:
    state: ClassState = request.app.state.cls
    wait = state.join_limit.check(client_ip(request))
    if wait:
        return too_many(wait)
    raw = await read_limited(request, protocol.MAX_JOIN_BODY)
    code, name = protocol.parse_join(protocol.decode_body(raw, request.headers.get("content-encoding", ""),
                                                          protocol.MAX_JOIN_BODY))
    if not protocol.code_matches(code, state.config.code):
        return JSONResponse({"detail": "Kód třídy nesouhlasí. Opište ho přesně z tabule (např. ABCD-1234)."},
                            status_code=403)
    entry = None
    if state.config.roster:
        entry = state.roster_keys.get(name_key(name))
        if entry is None:
            return JSONResponse({"detail": f"Jméno „{name}“ na soupisce třídy není. Napište ho tak, jak vás vede "
                                           "vyučující (na velikosti písmen a diakritice nezáleží)."},
                                status_code=404)
    try:
        token, student = await run_in_threadpool(state.store.join, name, entry)
    except JoinRefused as refused:
        return JSONResponse({"detail": refused.reason}, status_code=refused.status)
    state.events.publish(student)
    return JSONResponse({"token": token, "student_id": student, "name": entry.name if entry else name},
                        status_code=201)


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and 0 < len(token.strip()) <= 200 else ""


async def submit(request: Request) -> JSONResponse:
    state: ClassState = request.app.state.cls
    token = bearer(request)
    unknown = JSONResponse({"detail": "Neznámý token. Připojte se ke třídě znovu: `./kurz class join …`."},
                           status_code=401, headers={"WWW-Authenticate": "Bearer"})
    wait = state.ip_limit.check(client_ip(request))
    if not wait and token:
        wait = state.token_limit.check(protocol.token_hash(token))
    if wait:
        return too_many(wait)
    if not token:
        return unknown
    student = await state.student(token)
    if student is None:
        return unknown
    raw = await read_limited(request, protocol.MAX_BODY)
    encoding = request.headers.get("content-encoding", "")
    started = time.perf_counter()
    doc, graded = await _prepare(state, raw, encoding)
    prepared = time.perf_counter()
    stored = await asyncio.wrap_future(state.store.add_reported(student, doc, graded, protocol.utc_now(),
                                                                state.config.checks_digest))
    # Where the time went (bench/bench_class_server.py reads it; browsers show it in their dev tools).
    timing = {"Server-Timing": f"prepare;dur={(prepared - started) * 1000:.2f}, "
                               f"store;dur={(time.perf_counter() - prepared) * 1000:.2f}"}
    if not stored.stored:
        return JSONResponse({"stored": False, "duplicate": True}, status_code=200, headers=timing)
    if stored.current:
        state.events.publish(student.id)
    return JSONResponse({"stored": True}, status_code=201, headers=timing)


async def _prepare(state: ClassState, raw: bytes, encoding: str):
    """Decode, validate, mask (never store a secret) and grade: one hop to a grading process."""
    if state.pool is not None:
        try:
            return await asyncio.get_running_loop().run_in_executor(state.pool, prepare_and_grade, raw, encoding)
        except BrokenProcessPool:  # a worker was killed (OOM…): grade in this process from now on
            state.pool = None
    return await run_in_threadpool(_prepare_here, state, raw, encoding)


async def leave(request: Request) -> JSONResponse:
    """The student leaves the class (`class leave`): their token stops working, their name is free
    to join again; everything they submitted stays."""
    state: ClassState = request.app.state.cls
    token = bearer(request)
    wait = state.join_limit.check(client_ip(request))
    if wait:
        return too_many(wait)
    student = await state.student(token) if token else None
    if student is None:
        return JSONResponse({"detail": "Neznámý token: k této třídě už připojení nejste."}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    await run_in_threadpool(state.store.reset, student.id)
    state.forget(student.id)
    state.events.publish(student.id)
    return JSONResponse({"left": True}, status_code=200)


def _prepare_here(state: ClassState, raw: bytes, encoding: str):
    doc = protocol.prepare(raw, encoding)
    graded = state.grader.grade(submission_facts(doc))
    doc["facts"] = None
    return doc, graded


# ---------------------------------------------------------------------------------- errors
API_ERRORS = {404: "Taková adresa na serveru třídy není.", 405: "Tahle metoda tu není povolená."}


async def protocol_error(request: Request, exc: ProtocolError) -> Response:
    return JSONResponse({"detail": exc.reason}, status_code=exc.status)


async def http_error(request: Request, exc: HTTPException) -> Response:
    detail = API_ERRORS.get(exc.status_code, exc.detail if isinstance(exc.detail, str) else "Chybný požadavek.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
    from checkers.classroom.dashboard import error_page

    return error_page(request, exc.status_code, detail)


async def server_error(request: Request, exc: Exception) -> Response:
    state: ClassState = request.app.state.cls
    try:  # the traceback goes to a file in --out, never to the client (it could quote data)
        with open(state.config.out_dir / "server-errors.log", "a", encoding="utf-8") as handle:
            handle.write(f"{protocol.utc_now()} {request.method} {request.url.path}\n{traceback.format_exc()}\n")
    except OSError:
        pass
    return JSONResponse({"detail": "Server třídy požadavek nezpracoval (závada na straně serveru, zapsaná do "
                                   "server-errors.log u vyučujícího). Odevzdání zůstalo ve frontě, zkusí se znovu."},
                        status_code=500)


def create_app(config: ClassConfig) -> Starlette:
    from checkers.classroom import dashboard

    state = ClassState(config)
    routes = [Route("/api/health", health, methods=["GET"]), Route("/api/join", join, methods=["POST"]),
              Route("/api/submissions", submit, methods=["POST"]), Route("/api/leave", leave, methods=["POST"]),
              *dashboard.routes()]
    middleware = [Middleware(SecurityHeaders, tls=config.tls),
                  Middleware(SessionMiddleware, secret_key=session_secret(config.out_dir), session_cookie="kurz_ucitel",
                             max_age=12 * 3600, same_site="strict", https_only=config.tls)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={ProtocolError: protocol_error, HTTPException: http_error,
                                        Exception: server_error},
                    lifespan=dashboard.lifespan)
    app.state.cls = state
    return app
