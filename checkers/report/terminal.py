"""Human output in the terminal (rich): one line per check, hints under failures, summaries."""

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

SYMBOLS = {Status.PASSED: ("✔", "green"), Status.FAILED: ("✘", "red"), Status.SKIPPED: ("–", "dim"),
           Status.ERROR: ("?", "yellow")}
STATE_LABELS = {"passed": ("✔ splněno", "green"), "failed": ("✘ nesplněno", "red"),
                "error": ("? neověřeno – chyba", "yellow"), "unchecked": ("○ zatím neověřeno", "dim")}


def points(n: int) -> str:
    return plural(n, "bod", "body", "bodů")


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
            line = f"  [{style}]{symbol}[/{style}] {escape(result.title)}"
            if result.status is Status.PASSED and result.message:
                line += f"  [dim]{escape(result.message)}[/dim]"
            if result.status is Status.SKIPPED:
                line = f"  [dim]{symbol} {escape(result.title)} (přeskočeno)[/dim]"
            self.console.print(line)
            if result.status in (Status.FAILED, Status.ERROR) and result.message:
                self.console.print(f"      {escape(result.message)}", style=style)
            if result.status in (Status.FAILED, Status.ERROR) and result.hint:
                self.console.print(f"      → {escape(result.hint)}", style="cyan")

    def step_summary(self, run, course: Course) -> None:
        counts = sum(1 for r in run.results if r.status is Status.PASSED)
        total = len(run.results)
        if run.status == "passed":
            self.console.print(f"[bold green]{run.step.label} je splněný![/bold green] "
                               f"Všech {total} kontrol prošlo, +{points(run.step.points)}.")
            following = next_step_after(course, run.step)
            if following:
                self.console.print(f"[dim]Další krok: {following.id} – {escape(following.title)} "
                                   f"(`python -m checkers {following.id}`)[/dim]")
        elif run.status == "error":
            self.console.print(f"[yellow]{run.step.label} teď nejde celý ověřit[/yellow] "
                               f"(prošlo {counts} z {total} kontrol).")
        else:
            self.console.print(f"[bold red]{run.step.label} zatím není splněný[/bold red] – prošlo {counts} z {total} "
                               f"kontrol. Nápověda: `python -m checkers hint {run.step.id}`")

    def runs(self, runs, course: Course, target: str) -> None:
        for run in runs:
            self.step_header(run.step, target)
            self.results(run.results)
            if len(runs) == 1:
                self.step_summary(run, course)
            self.console.print()
        if len(runs) > 1:
            earned = sum(run.points for run in runs)
            total = sum(run.step.points for run in runs)
            done = sum(1 for run in runs if run.status == "passed")
            self.console.print(f"[bold]Celkem:[/bold] {bar(earned, total)} {earned}/{points(total)} · "
                               f"splněno {done} z {len(runs)} kroků")

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
                               f"Zkontrolujte ho příkazem `python -m checkers {upcoming.id}`.")
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
            for title in (record or {}).get("failed_titles", [])[:3]:
                self.console.print(f"    [red]✘[/red] {escape(title)}")

    def hints(self, step: Step, revealed: int) -> None:
        self.console.print(f"[bold]Nápověda · {step.label} · {escape(step.title)}[/bold]")
        for index, hint in enumerate(step.hints[:revealed], start=1):
            self.console.print(f"  {index}. {escape(hint)}")
        if revealed < len(step.hints):
            self.console.print(f"[dim]Další nápověda: `python -m checkers hint {step.id} --more` "
                               f"({revealed} z {len(step.hints)})[/dim]")
        else:
            self.console.print("[dim]To je všechna nápověda. Řešení ukazuje kniha pod cvičením.[/dim]")

    def diagnoses(self, diagnoses, target: str) -> None:
        causes = [d for d in diagnoses if not d.advice]
        if not causes:
            self.console.print(f"[bold green]✔ Na stroji {escape(target)} jsem nenašel nic, co by web rozbíjelo.[/bold green]")
        for diagnosis in diagnoses:
            style = "yellow" if diagnosis.advice else "red"
            label = "Doporučení" if diagnosis.advice else "Příčina"
            self.console.print(f"[bold {style}]{label}: {escape(diagnosis.title)}[/bold {style}] [dim]({diagnosis.id})[/dim]")
            if diagnosis.evidence:
                self.console.print(f"    [dim]viděno:[/dim] {escape(diagnosis.evidence)}")
            self.console.print(f"    {escape(diagnosis.explanation)}")
            self.console.print(f"    [cyan]→ {escape(diagnosis.fix)}[/cyan]")
            self.console.print()

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
