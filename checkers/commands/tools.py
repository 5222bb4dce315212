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


def new_check(ctx: Context) -> Result:
    """`./kurz new-check ID --step stepN`: the stubs of a new check in its three files and its fixture."""
    from checkers.errors import CheckerError
    from checkers.paths import REPO_ROOT
    from checkers.scaffold import new_check as write_stubs

    if not ctx.args.check_id or not ctx.args.step:
        raise CheckerError("Příkaz new-check potřebuje id kontroly a krok.",
                           "Zadejte například `./kurz new-check nginx.E010 --step step7`.")
    written = write_stubs(ctx.args.check_id, ctx.args.step)
    shown = [str(p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p) for p in written]

    def show(report):
        for path in shown:
            report.note(f"Upraveno: {path}")
        report.note("Dopište místa označená TODO (funkci, texty a fixture), pak spusťte `./kurz lint` a testy "
                    "(tests/unit/test_check_fixtures.py). Postup popisuje kniha v kapitole pro vyučující.")

    return Result(int(ExitCode.OK), {"written": shown}, show)
