"""The course data (exercises/course.toml): steps, points, checks, hints, solutions."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from checkers.errors import CheckerError
from checkers.paths import COURSE_FILE


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    points: int
    section: str
    solution: str
    checks: tuple[str, ...]
    hints: tuple[str, ...]
    optional: bool = False  # bonus steps (live web, App Engine, SVS): not in `all` nor in the course total
    profile: str = "vm"  # which probe profile gathers its facts
    command: str = ""  # the command the book shows for this step
    checkpoint: bool = False  # verifies earlier steps' work; its reference solution changes nothing

    def __post_init__(self):
        if not self.command:
            object.__setattr__(self, "command", f"./kurz {self.id}")

    @property
    def number(self) -> int | None:
        """3 for step3; None for a bonus step named by a word (web, appengine, svs)."""
        rest = self.id.removeprefix("step")
        return int(rest) if rest.isdigit() else None

    @property
    def label(self) -> str:
        """How the terminal names the step: "Krok 3", or "Bonusový krok svs"."""
        return f"Krok {self.number}" if self.number is not None else f"Bonusový krok {self.id}"


@dataclass(frozen=True)
class Course:
    title: str
    project_dir: str
    site_host: str
    browser_port: int
    steps: tuple[Step, ...]
    source: Path

    @property
    def required_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if not step.optional)

    @property
    def optional_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.optional)

    @property
    def total_points(self) -> int:
        return sum(step.points for step in self.required_steps)

    def step(self, name: str) -> Step:
        """Find a step by `step3`, `3` or `Step3`; unknown names are the user's input error."""
        key = name.strip().lower()
        if key.isdigit():
            key = f"step{int(key)}"
        for step in self.steps:
            if step.id == key:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise CheckerError(
            f"Krok „{name}“ v kurzu není.",
            f"Zadejte jeden z kroků: {known} (nebo jen číslo, např. 3). Seznam ukáže `./kurz list`.",
        )

    def step_of_check(self, check_id: str) -> Step | None:
        return next((s for s in self.steps if check_id in s.checks), None)


def load_course(path: Path = COURSE_FILE) -> Course:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CheckerError(f"Data kurzu v {path} nejdou načíst: {exc}", "Zkontrolujte soubor s daty kurzu.") from exc
    try:
        steps = tuple(
            Step(
                id=raw["id"],
                title=raw["title"],
                points=int(raw["points"]),
                section=raw["section"],
                solution=raw["solution"],
                checks=tuple(raw["checks"]),
                hints=tuple(raw["hints"]),
                optional=bool(raw.get("optional", False)),
                profile=raw.get("profile", "vm"),
                command=raw.get("command", ""),
                checkpoint=bool(raw.get("checkpoint", False)),
            )
            for raw in data["step"]
        )
        return Course(
            title=data["title"],
            project_dir=data["project_dir"],
            site_host=data["site_host"],
            browser_port=int(data.get("browser_port", 80)),
            steps=steps,
            source=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckerError(f"Data kurzu v {path} nemají očekávaný tvar (chybí nebo je špatně {exc}).",
                           "Porovnejte soubor s popisem v jeho záhlaví.") from exc
