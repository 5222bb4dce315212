"""`./kurz grade ROSTER`, `regrade [--run ID]` and `roster --vagrant [N]` (the teacher's commands).

Exit codes: 0 every target was graded (whatever the students' points) · 2 some target could not be
graded (unreachable, timed out, the check failed to run), or bad input · 130 Ctrl-C (everything
graded until then is kept in the gradebook and exported).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from checkers.commands.base import Context, Result
from checkers.grading.policy import policy_warnings
from checkers.course import Course
from checkers.errors import CheckerError, ExitCode
from checkers.grading import exports
from checkers.grading.gradebook import Gradebook, gradebook_path, run_owner
from checkers.grading.model import GRADED, PENDING, STATE_LABELS, display_text
from checkers.report.terminal import points as points_word
from checkers.texts import plural
from rich.markup import escape

DEFAULT_OUT = "hodnoceni"
MAX_CONCURRENCY = 64


def _out_dir(args: argparse.Namespace) -> Path:
    return Path(args.out or DEFAULT_OUT)


def _project(args: argparse.Namespace) -> str | None:
    project = getattr(args, "project", None)
    if project is None:
        return None
    if not project.startswith("/"):
        raise CheckerError(f"--project {display_text(project)} není absolutní cesta.",
                           "U hodnocení třídy zadejte cestu k projektu na strojích studentů, např. "
                           "`--project /srv/my_project` (každému zvlášť ji dá sloupec project v soupisce).")
    return project


def _policy(course: Course, args: argparse.Namespace):
    """The grading policy given with --policy (checked before anything is written), or None."""
    from checkers.grading.policy import load_policy

    return load_policy(args.policy, course) if getattr(args, "policy", None) else None


# ------------------------------------------------------------------------------------- grade
def grade(ctx: Context) -> Result:
    course, args, report = ctx.course, ctx.args, ctx.report
    from checkers.grading.live import LiveBoard
    from checkers.grading.regrade import checks_digest
    from checkers.grading.roster import classroom_size, load_roster
    from checkers.grading.runner import ClassGrader, GradeSettings, column_steps, max_points

    policy = _policy(course, args)
    if getattr(args, "import_path", None):
        from checkers.grading.import_run import run_import

        return Result(*run_import(course, args, report, policy, _out_dir(args)))
    if getattr(args, "roster", None):
        raise CheckerError("Volba --roster patří k `grade --import`.",
                           "U hodnocení přes SSH zadejte soupisku jako argument: `./kurz grade soupiska.csv`.")
    if not args.roster_file:
        raise CheckerError("Chybí soupiska třídy.", "Napište `./kurz grade soupiska.csv` "
                                                    "(vzor pro učebnu s Vagrantem: `./kurz roster --vagrant 12`).")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise CheckerError(f"--concurrency {args.concurrency} není v rozsahu 1 až {MAX_CONCURRENCY}.",
                           "Kolik strojů se kontroluje najednou, např. `--concurrency 8`.")
    if not args.timeout > 0:
        raise CheckerError(f"--timeout {args.timeout:g} musí být kladné číslo sekund.", "Např. `--timeout 60`.")
    roster_path = Path(args.roster_file)
    notes: list[str] = []
    entries = load_roster(roster_path, notes)
    size = classroom_size(entries)
    if size and not os.environ.get("KURZ_STUDENTS"):
        os.environ["KURZ_STUDENTS"] = str(size)  # the Vagrantfile defines student01…NN only when asked to
    project = _project(args)  # bad input is refused before anything is written
    out_dir = _out_dir(args)
    book = Gradebook(gradebook_path(out_dir))
    for dead in book.mark_dead_runs():
        report.warning(f"Běh hodnocení č. {dead} skončil nečekaně (proces už neběží), je teď veden jako přerušený.")
    settings = GradeSettings(timeout=float(args.timeout), concurrency=args.concurrency, host_key=args.host_key,
                             ca_file=getattr(args, "ca_file", None), project=project)
    run_id = book.start_run("grade", column_steps(course, entries), course.title, checks_digest(course),
                            roster=str(roster_path), settings={"timeout": settings.timeout,
                                                               "concurrency": settings.concurrency,
                                                               "host_key": settings.host_key,
                                                               "project": settings.project,
                                                               "process": run_owner()})
    book.add_pending(run_id, entries, [max_points(e, course) for e in entries])
    console = report.errors if args.json else report.console
    for note in notes:
        console.print(f"[yellow]Pozor:[/yellow] {escape(display_text(note))}", soft_wrap=not console.is_terminal)
    console.print(f"[bold]Běh hodnocení č. {run_id}[/bold]: {plural(len(entries), 'student', 'studenti', 'studentů')}, "
                  f"nejvýš {settings.concurrency} "
                  f"najednou, limit {settings.timeout:g} s na stroj. Ctrl-C přeruší a hotové výsledky zůstanou.",
                  soft_wrap=not console.is_terminal)
    stop = threading.Event()
    started = time.monotonic()
    grader = ClassGrader(course, settings, stop=stop)
    board = LiveBoard(console, entries, grader.phases)

    def on_result(index, target_grade):
        book.record(run_id, index, target_grade)  # its own transaction: kept even if we die next
        board.finished(index, target_grade)

    grader.on_start = board.started
    grader.on_result = on_result
    previous = _stop_on_sigint(stop)
    try:
        with board:
            grader.run(entries, tick=board.tick)
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting at once, still save and export what is done
        stop.set()
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupted = stop.is_set()
    book.finish_run(run_id, "interrupted" if interrupted else "finished")
    written = exports.write_all(book, run_id, out_dir, policy)
    result = exports.load_result(book, run_id, policy)
    book.close()
    policy_warnings(console, policy, result)
    _summary(console, result, written, time.monotonic() - started, out_dir)
    document = exports.grades_document(result)
    if interrupted:
        console.print(f"[yellow]Hodnocení přerušeno (Ctrl-C).[/yellow] Uloženo je všech "
                      f"{result.summary()['graded']} dosud zkontrolovaných strojů; zbylé jsou vedené jako "
                      f"„{STATE_LABELS[PENDING]}“.")
        return Result(int(ExitCode.INTERRUPTED), document)
    return Result(int(ExitCode.OK if all(t.state == GRADED for t in result.targets) else ExitCode.CANNOT_CHECK),
                  document)


def _stop_on_sigint(stop: threading.Event):
    """First Ctrl-C: stop starting targets and save what is done. A second one aborts at once."""

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return signal.signal(signal.SIGINT, handler)


def _summary(console, result: exports.ClassResult, written: list[Path], elapsed: float | None, out_dir: Path) -> None:
    summary = result.summary()
    machines = "stroje" if summary["students"] == 1 else "strojů"
    if elapsed is None:  # regrade: nothing was contacted
        line = f"[bold]Ohodnoceno {summary['graded']} z {summary['students']} {machines}[/bold] z uložených faktů"
    else:
        line = (f"[bold]Zkontrolováno {summary['graded']} z {summary['students']} {machines}[/bold] za "
                + f"{elapsed:.1f} s".replace(".", ","))
    if summary["average"] is not None:
        line += (f" · průměr {summary['average']:g} z {points_word(summary['max_points'])}".replace(".", ",")
                 + f" · plný počet bodů: {summary['full_marks']}")
    console.print(line, soft_wrap=not console.is_terminal)
    from checkers.grading.live import shown

    for target in result.targets:
        if target.state not in (GRADED, PENDING):
            console.print(f"  [yellow]{STATE_LABELS[target.state]}[/yellow]: {shown(target.entry.name)} "
                          f"({shown(target.entry.target)}) – {shown(target.reason, 200)}",
                          soft_wrap=not console.is_terminal)
    names = ", ".join(p.name for p in written)
    console.print(f"Výsledky: {out_dir}/ ({names}); historie všech běhů v {gradebook_path(out_dir).name}.",
                  soft_wrap=not console.is_terminal)


# ----------------------------------------------------------------------------------- regrade
def regrade(ctx: Context) -> Result:
    from checkers.grading.regrade import regrade as regrade_run

    course, args, report = ctx.course, ctx.args, ctx.report
    policy = _policy(course, args)
    out_dir = _out_dir(args)
    path = gradebook_path(out_dir)
    if not path.is_file():
        raise CheckerError(f"V adresáři {out_dir} není databáze hodnocení ({path.name}).",
                           "Zadejte adresář s výsledky parametrem --out, nebo nejdřív oznámkujte třídu: "
                           "`./kurz grade SOUPISKA`.")
    book = Gradebook(path)
    source = book.run(args.run)
    before = {t.position: t for t in book.targets(source.id)}
    run_id = regrade_run(book, course, source)
    written = exports.write_all(book, run_id, out_dir, policy)
    result = exports.load_result(book, run_id, policy)
    after = {t.position: t for t in book.targets(run_id)}  # as stored: compared with `before` (no policy)
    book.close()
    console = report.errors if args.json else report.console
    console.print(f"[bold]Běh č. {run_id}[/bold]: přehodnoceny uložené výsledky běhu č. {source.id} "
                  "současnými kontrolami, bez připojení ke strojům.", soft_wrap=not console.is_terminal)
    changed = 0
    for target in after.values():
        old = before.get(target.position)
        if old is not None and target.state == GRADED and old.points != target.points:
            changed += 1
            console.print(f"  {shown_name(target)}: {old.points} → {target.points} b.", soft_wrap=not console.is_terminal)
    if not changed:
        console.print("  Žádnému studentovi se počet bodů nezměnil.")
    policy_warnings(console, policy, result)
    _summary(console, result, written, None, out_dir)
    return Result(int(ExitCode.OK), exports.grades_document(result))


def shown_name(target) -> str:
    from checkers.grading.live import shown

    return shown(target.entry.name)


# ------------------------------------------------------------------------------------ roster
def roster(ctx: Context) -> Result:
    from checkers.grading.roster import vagrant_roster

    args, report = ctx.args, ctx.report
    if getattr(args, "vagrant", None) is None:
        raise CheckerError("Soupisku umím vypsat pro učebnu s Vagrantem.",
                           "Napište `./kurz roster --vagrant 12 > soupiska.csv` "
                           "(stroje student01 … student12 z Vagrantfilu s KURZ_STUDENTS=12).")
    count = args.vagrant
    if not count:
        env = os.environ.get("KURZ_STUDENTS", "").strip()
        if not env.isdigit() or int(env) < 1:
            raise CheckerError("Kolik je ve třídě strojů? Zadejte počet, nebo nastavte KURZ_STUDENTS.",
                               "Napište např. `./kurz roster --vagrant 12 > soupiska.csv`.")
        count = int(env)
    sys.stdout.write(vagrant_roster(count))
    report.errors.print(f"Soupiska pro {plural(count, 'stroj', 'stroje', 'strojů')} (student01 … student{count:02d}). Doplňte jména a identifikátory "
                        f"pro Moodle a spusťte `KURZ_STUDENTS={count} vagrant up`, pak `./kurz grade "
                        "soupiska.csv`.", soft_wrap=True)
    return Result(int(ExitCode.OK))
