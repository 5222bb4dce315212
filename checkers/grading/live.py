"""The live view while a class is graded (rich): finished students scroll by above a progress
bar and the list of machines being checked right now. Without a terminal (CI, a pipe) it prints
one plain line per finished student.

A graded student's line counts the steps passed, those that could not be verified ("nelze ověřit",
yellow: not the student's fault, never worded as a failure), crashed checks, and advice (magenta;
never lowers points).

Names and targets come from the roster: they are shown with rich markup escaped and control
characters made visible, so no roster field can restyle or move the teacher's terminal.
"""

from __future__ import annotations

import time

from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from checkers.grading.model import GRADED, STATE_LABELS, RosterEntry, TargetGrade, display_text
from checkers.report.terminal import outcome_parts
from checkers.texts import plural

STATE_STYLES = {GRADED: "green", "unreachable": "yellow", "timeout": "yellow", "error": "red", "pending": "dim"}


def shown(text: str, limit: int = 48) -> str:
    text = display_text(text)
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def seconds(value: float) -> str:
    return f"{value:.1f} s".replace(".", ",")


class LiveBoard:
    def __init__(self, console, entries: list[RosterEntry], phases=lambda: {}):
        self.console = console
        self.entries = entries
        self.phases = phases  # () -> {index: phase}
        self.started_at: dict[int, float] = {}
        self.done = 0
        self.interactive = console.is_terminal
        self.progress = Progress(TextColumn("[bold]Známkuji třídu"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task = self.progress.add_task("", total=len(entries))
        self.live = Live(console=console, refresh_per_second=8, transient=True,
                         get_renderable=self._render) if self.interactive else None

    def __enter__(self):
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.stop()
        return False

    def started(self, index: int, entry: RosterEntry) -> None:
        self.started_at[index] = time.monotonic()

    def finished(self, index: int, grade: TargetGrade) -> None:
        self.done += 1
        self.started_at.pop(index, None)
        self.progress.update(self.task, completed=self.done)
        self.console.print(self.line(grade), soft_wrap=not self.interactive)

    def tick(self) -> None:
        if self.live:
            self.live.refresh()

    def line(self, grade: TargetGrade) -> str:
        entry = grade.entry
        counter = f"[{self.done:>{len(str(len(self.entries)))}}/{len(self.entries)}]"
        style = STATE_STYLES.get(grade.state, "white")
        who = f"{shown(entry.name)} [dim]· {shown(entry.target)}[/dim]"
        if grade.state == GRADED:
            passed = sum(1 for s in grade.steps if s.status == "passed")
            unverified = sum(1 for s in grade.steps if s.status == "unverified")
            crashed = sum(1 for s in grade.steps if s.status == "error")
            advice = sum(1 for c in grade.checks if c.status == "advice")
            maximum = sum(s.max_points for s in grade.steps)
            what = ", ".join([f"[{style}]{grade.points}/{maximum} b.[/{style}]",
                              f"splněno {passed} z {plural(len(grade.steps), 'kroku', 'kroků', 'kroků')}",
                              *outcome_parts(unverified, crashed, advice, "chyba kontroly")])
        else:
            what = f"[{style}]{STATE_LABELS[grade.state]}[/{style}]: {shown(grade.reason, 120)}"
        return f"{counter} {who} · {what} [dim]· {seconds(grade.seconds)}[/dim]"

    def _render(self):
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(style="dim")
        table.add_column()
        table.add_column(justify="right")
        phases = self.phases()
        now = time.monotonic()
        for index, since in sorted(self.started_at.items()):
            entry = self.entries[index]
            table.add_row(shown(entry.name, 32), shown(entry.target, 40), phases.get(index, "…"),
                          seconds(now - since))
        return Group(self.progress, table)
