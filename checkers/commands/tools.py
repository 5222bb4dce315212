"""The default target, the course author's lint, and the book."""

from __future__ import annotations

from checkers.commands.base import Context, Result
from checkers.errors import ExitCode
from checkers.texts import plural


def target(ctx: Context) -> Result:
    from checkers.targets import default_target, save_default_target

    if ctx.args.spec:
        save_default_target(ctx.args.spec)
    current = default_target()
    return Result(int(ExitCode.OK), {"target": current}, lambda report: report.note(f"Výchozí cíl: {current}"))


def lint(ctx: Context) -> Result:
    from checkers.course_lint import lint as lint_course

    problems = lint_course(ctx.course)

    def show(report):
        for problem in problems:
            report.error(problem, "")
        if not problems:
            checks = sum(len(s.checks) for s in ctx.course.steps)
            report.note(f"Data kurzu jsou v pořádku: {plural(len(ctx.course.steps), 'krok', 'kroky', 'kroků')}, "
                        f"{plural(checks, 'kontrola', 'kontroly', 'kontrol')}.")

    return Result(int(ExitCode.TO_FIX if problems else ExitCode.OK), {"problems": problems}, show)


def book(ctx: Context) -> Result:
    from checkers.book import run_book

    return Result(run_book(serve=ctx.args.serve, port=ctx.args.port))
