"""What needs no target: the overview, the stored progress, the list of steps, hints."""

from __future__ import annotations

from checkers.commands.base import Context, Result
from checkers.errors import CheckerError, ExitCode
from checkers.paths import state_dir
from checkers.progress import ProgressStore
from checkers.report import json_report


def overview(ctx: Context) -> Result:
    return _stored_progress(ctx, "overview")


def status(ctx: Context) -> Result:
    return _stored_progress(ctx, "status")


def _stored_progress(ctx: Context, view: str) -> Result:
    store = ProgressStore(state_dir())
    state = store.load()
    return Result(int(ExitCode.OK), json_report.status_document(ctx.course, state),
                  lambda report: getattr(report, view)(ctx.course, state), store.warnings)


def step_list(ctx: Context) -> Result:
    return Result(int(ExitCode.OK), json_report.list_document(ctx.course),
                  lambda report: report.step_list(ctx.course))


def hint(ctx: Context) -> Result:
    if not ctx.args.step:
        raise CheckerError("Ke kterému kroku chcete nápovědu?", "Napište např. `./kurz hint step3`.")
    step = ctx.course.step(ctx.args.step)
    revealed = ProgressStore(state_dir()).reveal_hints(step.id, len(step.hints), ctx.args.more)
    document = {"schema": json_report.SCHEMA, "step": step.id, "hints": list(step.hints[:revealed]),
                "revealed": revealed, "total": len(step.hints)}
    return Result(int(ExitCode.OK), document, lambda report: report.hints(step, revealed))
