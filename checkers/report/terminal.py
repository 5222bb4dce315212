"""Human output in the terminal (rich): one line per check, hints under failures, summaries.

Each outcome has its own symbol and colour, and a word after the title so that it reads without
colour too: ✔ passed (green) · ✘ failed (red) · – skipped (dim) · ? nelze ověřit (yellow: the
evidence is missing, never the student's fault; the reason is the check's message) · ! doporučení
(magenta: a practice beyond the lesson, never fails a step) · ⚠ chyba checkeru (yellow: a check
crashed). Counts are written with Czech plural agreement (checkers.texts.plural).
"""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checkers.checks.base import Status
from checkers.course import Course, Step
from checkers.texts import plural

# (symbol, style, label after the title). Every style reads on dark and on light terminals; advice
# has a colour of its own (neither the red of a failure nor the green of a pass).
SYMBOLS = {Status.PASSED: ("✔", "green"), Status.FAILED: ("✘", "red"), Status.SKIPPED: ("–", "dim"),
           Status.UNVERIFIED: ("?", "yellow"), Status.ADVICE: ("!", "magenta"), Status.ERROR: ("⚠", "yellow")}
LABELS = {Status.SKIPPED: "přeskočeno", Status.UNVERIFIED: "nelze ověřit",
          Status.ADVICE: "doporučení nad rámec lekce – na splnění kroku ani na body nemá vliv",
          Status.ERROR: "chyba checkeru, ne vaše"}
STATE_LABELS = {"passed": ("✔ splněno", "green"), "failed": ("✘ nesplněno", "red"),
                "unverified": ("? nelze ověřit", "yellow"), "error": ("⚠ nepodařilo se ověřit", "yellow"),
                "unchecked": ("○ zatím neověřeno", "dim")}


def outcome_parts(unverified: int, crashed: int, advice: int, crash_label: str) -> list[str]:
    """The marked-up counts of steps that cannot be verified, of crashed steps and of
    recommendations, each only when there is any (a run's totals, a graded student's line)."""
    parts = []
    if unverified:
        parts.append(f"[yellow]nelze ověřit {plural(unverified, 'krok', 'kroky', 'kroků')}[/yellow]")
    if crashed:
        parts.append(f"[yellow]{crash_label} u {plural(crashed, 'kroku', 'kroků', 'kroků')}[/yellow]")
    if advice:
        parts.append(f"[magenta]{recommendations(advice)}[/magenta]")
    return parts


def points(n: int) -> str:
    return plural(n, "bod", "body", "bodů")


# ------------------------------------------------------------------ Czech sentences with counts
def recommendations(n: int) -> str:
    """1 doporučení, 3 doporučení, 5 doporučení (the noun does not change, the count does)."""
    return plural(n, "doporučení", "doporučení", "doporučení")


def all_passed(n: int, required: bool = False) -> str:
    """Jediná kontrola prošla · Všechny 3 kontroly prošly · Všech 5 kontrol prošlo ("povinné" with advice)."""
    one, few, many = ("povinná ", "povinné ", "povinných ") if required else ("", "", "")
    if n == 1:
        return f"Jediná {one}kontrola prošla"
    if 2 <= n <= 4:
        return f"Všechny {n} {few}kontroly prošly"
    return f"Všech {n} {many}kontrol prošlo"


def passed_of(passed: int, total: int) -> str:
    """prošla 1 z 3 kontrol · prošly 2 z 5 kontrol · prošlo 0 z 1 kontroly"""
    verb = "prošla" if passed == 1 else "prošly" if 2 <= passed <= 4 else "prošlo"
    return f"{verb} {passed} z {plural(total, 'kontroly', 'kontrol', 'kontrol')}"


def advice_note(n: int) -> str:
    return (f"Checker k němu má navíc {recommendations(n)} nad rámec lekce (řádky s „!“ výše) – "
            "na splnění kroku ani na body to vliv nemá.")


def count(results, status: Status) -> int:
    return sum(1 for r in results if r.status is status)


def when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%-d. %-m. %Y %H:%M") if sys.platform != "win32" else moment.strftime("%d.%m.%Y %H:%M")


def bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


class TerminalReport:
    def __init__(self, no_color: bool = False, stream=None):
        self.console = Console(file=stream or sys.stdout, no_color=no_color, highlight=False, emoji=False)
        self.errors = Console(file=sys.stderr, no_color=no_color, highlight=False, emoji=False)
        for console in (self.console, self.errors):
            console.soft_wrap = not console.is_terminal  # piped output: one line per message, no hard wraps

    @contextlib.contextmanager
    def spinner(self, text: str):
        if self.console.is_terminal:
            with self.console.status(text, spinner="dots"):
                yield
        else:
            yield

    def step_header(self, step: Step, target: str) -> None:
        self.console.print(f"[bold]{step.label} · {escape(step.title)}[/bold] [dim]· {points(step.points)} · "
                           f"cíl {escape(target)}[/dim]")

    def results(self, results) -> None:
        for result in results:
            symbol, style = SYMBOLS[result.status]
            if result.status is Status.SKIPPED:
                self.console.print(f"  [dim]{symbol} {escape(result.title)} ({LABELS[result.status]})[/dim]")
                continue
            line = f"  [{style}]{symbol}[/{style}] {escape(result.title)}"
            if result.status is Status.PASSED:
                if result.message:
                    line += f"  [dim]{escape(result.message)}[/dim]"
                self.console.print(line)
                continue
            if result.status in LABELS:
                line += f" [{style}]({LABELS[result.status]})[/{style}]"
            self.console.print(line)
            if result.message:
                self.console.print(f"      {escape(result.message)}", style=style)
            if result.hint:
                self.console.print(f"      → {escape(result.hint)}", style="cyan")

    def step_summary(self, run, course: Course) -> None:
        results = run.results
        passed, advice = count(results, Status.PASSED), count(results, Status.ADVICE)
        label = run.step.label
        if run.status == "passed":
            done = f"{all_passed(passed, required=bool(advice))}, +" if passed else "+"
            self.console.print(f"[bold green]{label} je splněný![/bold green] {done}{points(run.step.points)}.")
            if advice:
                self.console.print(f"[magenta]![/magenta] {advice_note(advice)}")
            following = next_step_after(course, run.step)
            if following:
                self.console.print(f"[dim]Další krok: {following.id} – {escape(following.title)} "
                                   f"(`./kurz {following.id}`)[/dim]")
            return
        blockers = sorted({r.seen.get("prerequisite_step") for r in results
                           if r.reason == "prerequisite_failed" and r.seen.get("prerequisite_step")})
        if run.status == "unverified" and blockers:
            self.console.print(
                f"[bold yellow]{label} teď nejde ověřit[/bold yellow], dokud nebude v pořádku {', '.join(blockers)} "
                f"(co tam chybí, je výše u „?“). Tenhle krok sám chybu nemá; {passed_of(passed, len(results))}.")
        elif run.status == "unverified":
            missing = count(results, Status.UNVERIFIED)
            self.console.print(
                f"[bold yellow]{label} teď nejde celý ověřit[/bold yellow] – "
                f"{plural(missing, 'kontrolu', 'kontroly', 'kontrol')} nelze ověřit, protože checkeru chybí "
                f"podklady (důvod najdete výše u „?“); {passed_of(passed, len(results))}.")
            self.console.print("Nic z toho, co šlo ověřit, neselhalo: není to chyba na vaší straně a nepočítá se to "
                               "jako nesplněné. O bodech za krok se rozhodne, až ho půjde ověřit celý – pak spusťte kontrolu znovu.")
        elif run.status == "error":
            crashed = count(results, Status.ERROR)
            self.console.print(
                f"[bold yellow]{label} teď nejde ověřit[/bold yellow] – checker sám selhal u "
                f"{plural(crashed, 'kontroly', 'kontrol', 'kontrol')} (řádky s „⚠“ výše); vaše řešení za to nemůže, "
                f"nahlaste to prosím vyučujícímu. Zatím {passed_of(passed, len(results))}.")
        else:
            self.console.print(f"[bold red]{label} zatím není splněný[/bold red] – {passed_of(passed, len(results))}. "
                               f"Nápověda: `./kurz hint {run.step.id}`")
        if advice:
            self.console.print(f"[magenta]![/magenta] {advice_note(advice)}")

    def runs(self, runs, course: Course, target: str) -> None:
        for run in runs:
            self.step_header(run.step, target)
            self.results(run.results)
            if len(runs) == 1:
                self.step_summary(run, course)
            self.console.print()
        if len(runs) > 1:
            self.totals(runs)

    def totals(self, runs) -> None:
        earned = sum(run.points for run in runs)
        total = sum(run.step.points for run in runs)
        done = sum(1 for run in runs if run.status == "passed")
        unverified = sum(1 for run in runs if run.status == "unverified")
        crashed = sum(1 for run in runs if run.status == "error")
        advice = sum(count(run.results, Status.ADVICE) for run in runs)
        line = " · ".join([f"[bold]Celkem:[/bold] {bar(earned, total)} {earned}/{points(total)}",
                           f"splněno {done} z {plural(len(runs), 'kroku', 'kroků', 'kroků')}",
                           *outcome_parts(unverified, crashed, advice, "chyba checkeru")])
        self.console.print(line)
        if unverified or crashed:
            self.console.print("[dim]Co nejde ověřit, se nepočítá jako nesplněné – není to chyba na vaší straně; "
                               "o bodech se rozhodne, až to půjde ověřit.[/dim]")
        if advice:
            self.console.print("[dim]Doporučení (!) jsou nad rámec lekce: na splnění kroků ani na body vliv nemají."
                               "[/dim]")

    def overview(self, course: Course, state: dict) -> None:
        steps = state.get("steps", {})
        earned = sum(steps.get(s.id, {}).get("points", 0) for s in course.required_steps)
        self.console.print(f"[bold]{escape(course.title)}[/bold]")
        self.console.print(f"{bar(earned, course.total_points)} {earned}/{points(course.total_points)}\n")
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("krok")
        table.add_column("název")
        table.add_column("stav")
        table.add_column("body", justify="right")
        table.add_column("ověřeno")
        for step in course.steps:
            record = steps.get(step.id, {})
            label, style = STATE_LABELS[record.get("status", "unchecked")]
            title = escape(step.title) + (" [dim](bonus)[/dim]" if step.optional else "")
            table.add_row(step.id, title, f"[{style}]{label}[/{style}]",
                          f"{record.get('points', 0)}/{step.points}", when(record.get("checked_at")))
        self.console.print(table)
        upcoming = first_unfinished(course, state)
        self.console.print()
        if upcoming:
            self.console.print(f"Další krok: [bold]{upcoming.id}[/bold] – {escape(upcoming.title)}. "
                               f"Zkontrolujte ho příkazem `./kurz {upcoming.id}`.")
        else:
            self.console.print("[bold green]Všechny kroky jsou splněné. Gratuluji![/bold green]")
        self.console.print("[dim]Příkazy: list · all · STEP · next · hint STEP · watch · doctor · book · status[/dim]")

    def step_list(self, course: Course) -> None:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("krok", "název", "body", "kontroly"):
            table.add_column(column)
        for step in course.steps:
            table.add_row(step.id, escape(step.title), str(step.points), ", ".join(step.checks))
        self.console.print(table)

    def status(self, course: Course, state: dict) -> None:
        steps = state.get("steps", {})
        for step in course.steps:
            record = steps.get(step.id)
            label, style = STATE_LABELS[(record or {}).get("status", "unchecked")]
            line = f"[{style}]{label}[/{style}] {step.id} – {escape(step.title)}"
            if record:
                line += f" [dim]({record.get('points', 0)}/{points(step.points)}, {when(record.get('checked_at'))}, " \
                        f"cíl {escape(str(record.get('target')))})[/dim]"
            self.console.print(line)
            if (record or {}).get("advice"):
                self.console.print(f"    [magenta]![/magenta] {recommendations(record['advice'])} nad rámec lekce "
                                   "[dim](na body vliv nemá)[/dim]")
            for title in (record or {}).get("failed_titles", [])[:3]:
                self.console.print(f"    [red]✘[/red] {escape(title)}")

    def hints(self, step: Step, revealed: int) -> None:
        self.console.print(f"[bold]Nápověda · {step.label} · {escape(step.title)}[/bold]")
        for index, hint in enumerate(step.hints[:revealed], start=1):
            self.console.print(f"  {index}. {escape(hint)}")
        if revealed < len(step.hints):
            self.console.print(f"[dim]Další nápověda: `./kurz hint {step.id} --more` "
                               f"({revealed} z {len(step.hints)})[/dim]")
        else:
            self.console.print("[dim]To je všechna nápověda. Řešení ukazuje kniha pod cvičením.[/dim]")

    def diagnoses(self, report, target: str) -> None:
        """doctor: the causes found (root cause first), then what could not be looked for."""
        if not report.causes and not report.errors:
            line = f"✔ Na stroji {escape(target)} jsem nenašel nic, co by web rozbíjelo."
            self.console.print(f"[bold green]{line}[/bold green]")
        for result in report.found:
            advice = result.status is Status.ADVICE
            style, label = ("yellow", "Doporučení") if advice else ("red", "Příčina")
            self.console.print(f"[bold {style}]{label}: {escape(result.title)}[/bold {style}] [dim]({result.id})[/dim]")
            if result.evidence:
                self.console.print(f"    [dim]viděno:[/dim] {escape(result.evidence)}")
            self.console.print(f"    {escape(result.message)}")
            self.console.print(f"    [cyan]→ {escape(result.hint)}[/cyan]")
            self.console.print()
        for result in report.errors:
            self.console.print(f"[bold red]⚠ {escape(result.title)}[/bold red] [dim]({result.id})[/dim]: "
                               f"{escape(result.message)}")
        if report.unverified:
            self.console.print(f"[dim]Nešlo ověřit ({len(report.unverified)}): "
                               + "; ".join(f"{escape(r.title)} – {escape(r.message)}" for r in report.unverified)
                               + "[/dim]")

    def note(self, text: str) -> None:
        self.console.print(text)

    def warning(self, text: str) -> None:
        self.errors.print(f"[yellow]Pozor:[/yellow] {escape(text)}")

    def error(self, message: str, hint: str) -> None:
        self.errors.print(f"[bold red]Chyba:[/bold red] {escape(message)}")
        if hint:
            self.errors.print(f"[cyan]→ {escape(hint)}[/cyan]")


def first_unfinished(course: Course, state: dict) -> Step | None:
    steps = state.get("steps", {})
    return next((s for s in course.required_steps if steps.get(s.id, {}).get("status") != "passed"), None)


def next_step_after(course: Course, step: Step) -> Step | None:
    ordered = course.required_steps
    ids = [s.id for s in ordered]
    if step.id not in ids:
        return None
    index = ids.index(step.id)
    return ordered[index + 1] if index + 1 < len(ids) else None
