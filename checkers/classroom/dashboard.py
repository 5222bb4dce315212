"""The teacher's live dashboard (Czech): login, the students × steps grid, projector mode, a student's
detail, resetting a join, excusing a step, and the server-sent event stream that updates open grids.

Templates are Jinja2 with autoescape on (a student's name is text, never markup); the only script
is static/dashboard.js (CSP forbids inline scripts); every POST needs the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checkers.classroom import views
from checkers.class_protocol import ProtocolError
from checkers.classroom.security import csrf_ok, csrf_token, read_limited, retry_after, verify_password
from checkers.grading.submissions import SOURCE_LABELS

HERE = Path(__file__).resolve().parent
MAX_FORM = 16 * 1024
MAX_REASON = 200  # characters of an excuse's reason (it goes to the exports' notes)
EXTERNAL_POLL = 2.0  # seconds: how often results written by `grade` (another process) are looked for
env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
env.globals.update(ago=views.ago, SOURCE_LABELS=SOURCE_LABELS)


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    state = request.app.state.cls
    context.setdefault("csrf", csrf_token(request.session))
    context.setdefault("course", state.config.course.title)
    return HTMLResponse(env.get_template(template).render(**context), status_code=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    return HTMLResponse(env.get_template("error.html").render(status=status, detail=detail), status_code=status)


def is_teacher(request: Request) -> bool:
    return request.session.get("teacher") is True


async def form(request: Request) -> dict[str, str]:
    """The urlencoded form (bounded), one value per field; CSRF checked by the caller."""
    raw = await read_limited(request, MAX_FORM)
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("Formulář nejde přečíst.") from None
    return {k: v[0] for k, v in fields.items()}


# ------------------------------------------------------------------------------------ login
async def login_page(request: Request) -> Response:
    if is_teacher(request):
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html")


async def login(request: Request) -> Response:
    state = request.app.state.cls
    wait = state.login_limit.check(request.client.host if request.client else "?")
    if wait:
        return render(request, "login.html", 429, error=f"Příliš mnoho pokusů. Zkuste to za {retry_after(wait)} s.")
    fields = await form(request)
    if not csrf_ok(request.session, fields.get("csrf")):
        return render(request, "login.html", 403, error="Formulář vypršel. Načtěte stránku znovu a přihlaste se.")
    if not await run_in_threadpool(verify_password, fields.get("password", ""), state.config.password_hash):
        return render(request, "login.html", 401, error="Heslo nesouhlasí.")
    request.session.clear()  # a fresh session (and CSRF token) after login
    request.session["teacher"] = True
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    fields = await form(request)
    if not csrf_ok(request.session, fields.get("csrf")):
        return error_page(request, 403, "Chybí bezpečnostní token formuláře (CSRF). Načtěte stránku znovu.")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# ------------------------------------------------------------------------------------ views
def _grid_context(request: Request, projector: bool) -> dict:
    state = request.app.state.cls
    db = state.store.reader()
    course = state.config.course
    policy = state.config.policy
    rows = views.grid(db, course, state.config.stuck_minutes * 60, policy=policy)
    stats = views.step_stats(db, course, rows)
    return {"rows": rows, "steps": views.step_columns(course), "stats": stats, "chart": views.chart(stats, len(rows)),
            "code": state.config.code, "stuck_ms": int(state.config.stuck_minutes * 60_000),
            "stuck_limit": views.duration(state.config.stuck_minutes * 60), "projector": projector,
            "names": not projector or request.query_params.get("names") == "1", "marks": policy is not None,
            "policy": policy,
            "join_hint": state.config.join_command or f"./kurz class join {str(request.base_url).rstrip('/')}"
                                                          f" --code {state.config.code}"}


async def dashboard(request: Request) -> Response:
    if not is_teacher(request):
        return RedirectResponse("/login", status_code=303)
    return render(request, "dashboard.html", **await run_in_threadpool(_grid_context, request, False))


async def projector(request: Request) -> Response:
    if not is_teacher(request):
        return RedirectResponse("/login", status_code=303)
    return render(request, "projector.html", **await run_in_threadpool(_grid_context, request, True))


async def stats_fragment(request: Request) -> Response:
    if not is_teacher(request):
        return error_page(request, 401, "Nejste přihlášený učitel.")
    context = await run_in_threadpool(_grid_context, request, False)
    return HTMLResponse(env.get_template("_stats.html").render(**context))


async def student_page(request: Request) -> Response:
    if not is_teacher(request):
        return RedirectResponse("/login", status_code=303)
    state = request.app.state.cls
    student = request.path_params["student"]
    info = await run_in_threadpool(lambda: views.detail(state.store.reader(), student))
    if info is None:
        return error_page(request, 404, "Takový student ve třídě není.")
    course = state.config.course
    excuses = await run_in_threadpool(lambda: views.excuses_of(state.store.reader(), course, info["name"],
                                                               info["student_id"]))
    return render(request, "student.html", student=info, steps=views.step_columns(course), excuses=excuses,
                  max_reason=MAX_REASON)


async def teacher_action(request: Request) -> dict[str, str] | Response:
    """A teacher's POST: the form's fields, or the error page when not logged in or without CSRF."""
    if not is_teacher(request):
        return error_page(request, 401, "Nejste přihlášený učitel.")
    fields = await form(request)
    if not csrf_ok(request.session, fields.get("csrf")):
        return error_page(request, 403, "Chybí bezpečnostní token formuláře (CSRF). Načtěte stránku znovu.")
    return fields


async def reset_join(request: Request) -> Response:
    fields = await teacher_action(request)
    if isinstance(fields, Response):
        return fields
    state = request.app.state.cls
    student = request.path_params["student"]
    await run_in_threadpool(state.store.reset, student)
    state.forget(student)
    state.events.publish(student)
    return RedirectResponse(f"/student/{student}", status_code=303)


async def excuse_step(request: Request) -> Response:
    return await _excuse(request, remove=False)


async def remove_excuse(request: Request) -> Response:
    return await _excuse(request, remove=True)


async def _excuse(request: Request, remove: bool) -> Response:
    """Excuse a step ("omluveno" with the reason, in the grid and every export) or take the excuse back."""
    fields = await teacher_action(request)
    if isinstance(fields, Response):
        return fields
    state = request.app.state.cls
    student = request.path_params["student"]
    if fields.get("step") not in {s.id for s in state.config.course.required_steps}:
        return error_page(request, 400, "Takový krok kurz nemá. Vyberte krok ze seznamu na stránce studenta.")
    reason = "" if remove else "".join(c for c in " ".join(fields.get("reason", "").split()) if c.isprintable())
    if not remove and not reason:
        return error_page(request, 400, "Napište důvod omluvy (objeví se i v exportu známek).")
    if len(reason) > MAX_REASON:
        return error_page(request, 400, f"Důvod omluvy je delší než {MAX_REASON} znaků. Zkraťte ho.")
    row = await run_in_threadpool(state.store.excuse, student, fields["step"], reason)
    if row is None:
        return error_page(request, 404, "Takový student ve třídě není.")
    state.events.publish(row)
    return RedirectResponse(f"/student/{student}", status_code=303)


# ----------------------------------------------------------------------------------- events
def render_row(state, student: int, projector: bool, names: bool) -> str:
    policy = state.config.policy
    rows = views.grid(state.store.reader(), state.config.course, state.config.stuck_minutes * 60, student, policy)
    if not rows:
        return ""
    macro = env.get_template("_row.html").module.row
    return str(macro(rows[0], projector=projector, names=names, marks=policy is not None))


async def events(request: Request) -> Response:
    if not is_teacher(request):
        return error_page(request, 401, "Nejste přihlášený učitel.")
    state = request.app.state.cls
    projector_view = request.query_params.get("view") == "projector"
    names = not projector_view or request.query_params.get("names") == "1"
    queue = state.events.subscribe()

    async def stream():
        try:
            yield {"event": "hello", "data": "{}"}
            while True:
                changed = {await queue.get()}
                while not queue.empty():  # coalesce a burst: each student's row rendered once
                    changed.add(queue.get_nowait())
                for student in sorted(changed):
                    html = await run_in_threadpool(render_row, state, student, projector_view, names)
                    if html:
                        yield {"event": "row", "data": json.dumps({"id": student, "html": html})}
        finally:
            state.events.unsubscribe(queue)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})


async def _watch_external(state) -> None:
    """Results written by `grade`/`grade --import` in another process appear without a reload."""
    last = await run_in_threadpool(state.store.max_submission_id)
    while True:
        await asyncio.sleep(EXTERNAL_POLL)
        try:
            found = await run_in_threadpool(state.store.external_since, last)
        except Exception:  # noqa: BLE001 (a busy or locked file: try again next round)
            continue
        for row_id, key in found:
            last = max(last, row_id)
            student = await run_in_threadpool(lambda: views.student_of_name(state.store.reader(), key))
            if student is not None:
                state.events.publish(student)


@contextlib.asynccontextmanager
async def lifespan(app):
    task = asyncio.create_task(_watch_external(app.state.cls))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await run_in_threadpool(app.state.cls.store.close)
        if app.state.cls.pool is not None:
            app.state.cls.pool.shutdown(wait=False, cancel_futures=True)


def routes() -> list:
    return [Route("/", dashboard), Route("/projector", projector), Route("/login", login_page, methods=["GET"]),
            Route("/login", login, methods=["POST"]), Route("/logout", logout, methods=["POST"]),
            Route("/fragment/stats", stats_fragment), Route("/student/{student:int}", student_page),
            Route("/student/{student:int}/reset", reset_join, methods=["POST"]),
            Route("/student/{student:int}/excuse", excuse_step, methods=["POST"]),
            Route("/student/{student:int}/excuse/remove", remove_excuse, methods=["POST"]), Route("/events", events),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
