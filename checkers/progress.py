"""The student's progress: an attempts log, the current state, and the book's data file.

Layout under paths.state_dir():
  state.json      {"schema": 1, "updated_at": ISO, "steps": {step_id: StepState},
                   "hints": {step_id: number of hint tiers revealed}}
  attempts.jsonl  one JSON line per evaluated step per run (append-only history)
  .lock           taken while writing, so two concurrent runs cannot corrupt anything

StepState = {"status": "passed"|"failed"|"unverified"|"error", "checked_at": ISO, "target": str,
             "points": int, "max_points": int, "passed": int, "failed": int,
             "skipped": int, "unverified": int, "advice": int, "errors": int,
             "checks": {check_id: status}, "failed_titles": [str]}

A step is "unverified" when nothing failed but some evidence was missing ("nelze ověřit", never
the student's fault); "error" when a check itself crashed. A check's status is one of
passed · failed · skipped · unverified · advice · error; "advice" (a recommendation beyond the
lesson) never stands in the way of "passed". "errors" counts crashes only. States written before
"unverified" and "advice" existed lack those two counts: readers take a missing count as 0.

The book reads the same state as `window.COURSE_PROGRESS` from
<book html>/_static/progress.js (a <script src> works over file://, fetch() does not).
This module is the only place that knows either format.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from checkers.errors import CheckerError
from checkers.paths import BOOK_HTML_DIR
from checkers.storage import write_atomic

SCHEMA = 1
STEP_STATUSES = ("passed", "failed", "unverified", "error")
CHECK_STATUSES = ("passed", "failed", "skipped", "unverified", "advice", "error")
STATE_FILE = "state.json"
ATTEMPTS_FILE = "attempts.jsonl"
BOOK_DATA_FILE = Path("_static") / "progress.js"


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def book_html_dir() -> Path:
    override = os.environ.get("CHECKERS_BOOK_HTML")
    return Path(override) if override else BOOK_HTML_DIR


@dataclass
class StepOutcome:
    """What one run found for one step; the input of ProgressStore.record()."""

    step: str
    status: str  # one of STEP_STATUSES
    points: int
    max_points: int
    checks: dict[str, str]
    failed_titles: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.status not in STEP_STATUSES:
            raise ValueError(f"unknown step status {self.status!r} (expected one of {STEP_STATUSES})")

    def counts(self) -> dict[str, int]:
        statuses = list(self.checks.values())
        return {
            "passed": statuses.count("passed"),
            "failed": statuses.count("failed"),
            "skipped": statuses.count("skipped"),
            "unverified": statuses.count("unverified"),
            "advice": statuses.count("advice"),
            "errors": statuses.count("error"),
        }


class ProgressStore:
    def __init__(self, root: Path):
        self.root = root
        self.warnings: list[str] = []

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".lock"), timeout=30)

    def load(self) -> dict:
        """The current state; a corrupt file is kept aside (never silently overwritten)."""
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return empty_state()
        except OSError as exc:
            raise CheckerError(f"Soubor s postupem {self.state_path} nejde přečíst: {exc.strerror}.",
                               "Zkontrolujte práva k adresáři s postupem.") from exc
        try:
            state = json.loads(text)
            if not isinstance(state, dict) or state.get("schema") != SCHEMA or not isinstance(state.get("steps"), dict):
                raise ValueError("unexpected shape")
            return state
        except ValueError:
            kept = self.state_path.with_name(f"{STATE_FILE}.poskozeny-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.state_path, kept)
            self.warnings.append(
                f"Soubor s postupem byl poškozený; uložil jsem ho stranou jako {kept.name} a začínám nový. "
                "Historie pokusů v attempts.jsonl zůstala."
            )
            return empty_state()

    def record(self, outcomes: list[StepOutcome], target: str, at: str | None = None) -> dict:
        """Append the attempts and update the state, under the lock; returns the new state."""
        at = at or now_iso()
        try:
            with self._lock():
                state = self.load()
                with open(self.root / ATTEMPTS_FILE, "a", encoding="utf-8") as log:
                    for outcome in outcomes:
                        entry = {"at": at, "step": outcome.step, "target": target, "status": outcome.status,
                                 "points": outcome.points, "checks": outcome.checks}
                        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
                        state["steps"][outcome.step] = {
                            "status": outcome.status,
                            "checked_at": at,
                            "target": target,
                            "points": outcome.points,
                            "max_points": outcome.max_points,
                            **outcome.counts(),
                            "checks": outcome.checks,
                            "failed_titles": outcome.failed_titles,
                        }
                state["updated_at"] = at
                write_atomic(self.state_path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
        except Timeout as exc:
            raise CheckerError("Postup právě zapisuje jiný běh checkeru a zámek se neuvolnil do 30 s.",
                               f"Počkejte, až doběhne, případně smažte {self.root / '.lock'}.") from exc
        return state

    def reveal_hints(self, step: str, total: int, more: bool) -> int:
        """How many hint tiers of `step` the student has revealed (at least one; --more adds one)."""
        with self._lock():
            state = self.load()
            hints = state.setdefault("hints", {})
            revealed = max(1, int(hints.get(step, 0)))
            if more and hints.get(step):
                revealed = min(total, revealed + 1)
            hints[step] = revealed
            write_atomic(self.state_path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
        return revealed

    def attempts(self) -> list[dict]:
        path = self.root / ATTEMPTS_FILE
        if not path.exists():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a torn line from a crash is skipped, the rest stays usable
        return entries


def empty_state() -> dict:
    return {"schema": SCHEMA, "updated_at": None, "steps": {}, "hints": {}}


def book_data(state: dict, course) -> dict:
    """The book's view of the state: per-step records plus course totals (bonus steps apart).
    "unverified_steps" counts required steps that could not be fully verified (not failed)."""
    steps = state.get("steps", {})
    required = [s.id for s in course.required_steps]
    bonus = [s.id for s in course.optional_steps]
    return {
        "schema": SCHEMA,
        "updated_at": state.get("updated_at"),
        "earned_points": sum(steps.get(i, {}).get("points", 0) for i in required),
        "total_points": course.total_points,
        "passed_steps": sum(1 for i in required if steps.get(i, {}).get("status") == "passed"),
        "unverified_steps": sum(1 for i in required if steps.get(i, {}).get("status") == "unverified"),
        "total_steps": len(required),
        "bonus_points": sum(steps.get(i, {}).get("points", 0) for i in bonus),
        "steps": steps,
    }


def write_book_progress(html_dir: Path, state: dict, course) -> Path | None:
    """Write <html_dir>/_static/progress.js if the book has been built; returns its path."""
    if not (html_dir / "_static").is_dir():
        return None
    data = book_data(state, course)
    target = html_dir / BOOK_DATA_FILE
    write_atomic(target, "window.COURSE_PROGRESS = " + json.dumps(data, ensure_ascii=False, indent=1) + ";\n")
    return target
