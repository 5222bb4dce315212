"""The grading policy: excused steps, a deadline and Czech marks, from a TOML file (`--policy FILE`).

    deadline = 2026-12-18T23:59:00+01:00     # optional; a time without an offset is the computer's local
                                             # time, a bare date means the end of that day
    [marks]                                  # optional; the least percentage of points for marks 1…4
    1 = 90                                   # (below the last one: 5). These are the defaults.
    2 = 75
    3 = 60
    4 = 45
    [[excused]]                              # any number of these
    student = "jana.novakova@skola.cz"       # the roster's id, or the student's name; "*" = everybody
    steps = ["step9", "step10"]              # step ids or numbers ("step9", 9, "9", "Krok 9")
    reason = "nemoc 3.–10. 12."              # required: shown wherever the step would be

An excused step is shown as "omluveno" with its reason: never a 0, and its points leave the maximum.
Everything is validated at load time (unknown keys too, so a typo is never silently ignored); any
problem is one CheckerError listing every problem in Czech (exit code 2).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from fractions import Fraction
from pathlib import Path

from rich.markup import escape

from checkers.errors import CheckerError
from checkers.grading.model import display_text
from checkers.texts import plural

DEFAULT_THRESHOLDS: tuple[tuple[int, Fraction], ...] = ((1, Fraction(90)), (2, Fraction(75)), (3, Fraction(60)),
                                                        (4, Fraction(45)))
EXCUSED = "excused"  # a step's status once the policy excuses it
EXCUSED_LABEL = "omluveno"
EVERYBODY = "*"
MAX_FILE = 1 << 20  # a policy is a few lines; a bigger file is a mistake (a wrong path)
MAX_REASON = 300
KEYS = {"deadline", "marks", "excused"}
EXCUSE_KEYS = {"student", "steps", "step", "reason"}
HINT = ("Pravidla hodnocení jsou soubor TOML, např.\n"
        "  deadline = 2026-12-18T23:59:00+01:00\n"
        "  [marks]\n  1 = 90\n  2 = 75\n  3 = 60\n  4 = 45\n"
        "  [[excused]]\n  student = \"jana.novakova@skola.cz\"\n  steps = [\"step9\"]\n  reason = \"nemoc\"\n"
        "Popis je v knize v kapitole Pro učitele (Pravidla hodnocení).")


@dataclass(frozen=True)
class Excuse:
    student: str  # the roster id or name as written; EVERYBODY for the whole class
    steps: tuple[str, ...]  # step ids
    reason: str


@dataclass(frozen=True)
class Policy:
    source: str = ""  # the file it came from ("" = defaults)
    deadline: datetime | None = None  # aware (UTC offset known)
    thresholds: tuple[tuple[int, Fraction], ...] = DEFAULT_THRESHOLDS
    excuses: tuple[Excuse, ...] = field(default_factory=tuple)

    def excused_steps(self, name: str, student_id: str) -> dict[str, str]:
        """step id -> reason, for one student (several reasons for one step are joined)."""
        keys = {fold(name), fold(student_id)}
        found: dict[str, str] = {}
        for excuse in self.excuses:
            if excuse.student == EVERYBODY or fold(excuse.student) in keys:
                for step in excuse.steps:
                    found[step] = f"{found[step]}; {excuse.reason}" if step in found else excuse.reason
        return found

    def unmatched(self, students: list[tuple[str, str]]) -> list[str]:
        """Excuses naming nobody in these (name, id) pairs: most likely a typo, the teacher is told."""
        known = {fold(v) for pair in students for v in pair}
        return [e.student for e in self.excuses if e.student != EVERYBODY and fold(e.student) not in known]

    def mark(self, points: int, max_points: int) -> int | None:
        """Czech mark 1–5 for points out of max_points (None when nothing is counted). A percentage
        exactly at a threshold earns the better mark; computed in fractions, no rounding surprises."""
        if max_points <= 0:
            return None
        share = Fraction(points * 100, max_points)
        for mark, least in self.thresholds:
            if share >= least:
                return mark
        return 5

    def on_time(self, when: str | None) -> bool:
        """Whether an ISO 8601 time is at or before the deadline (always, without a deadline)."""
        if self.deadline is None:
            return True
        moment = parse_time(when)
        return moment is not None and moment <= self.deadline

    def deadline_text(self) -> str:
        return shown_time(self.deadline) if self.deadline else ""


def fold(text: str) -> str:
    """Case- and accent-insensitive key ("Jana Nováková" = "jana novakova")."""
    decomposed = unicodedata.normalize("NFKD", " ".join(str(text).split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def shown_time(moment: datetime) -> str:
    """A time as a Czech reader writes it, in the computer's local time: 18. 12. 2026 23:59."""
    local = moment.astimezone()
    return f"{local.day}. {local.month}. {local.year} {local:%H:%M}"


# ------------------------------------------------------------------------------------- loading
def load_policy(path: str | Path, course) -> Policy:
    path = Path(path)
    try:
        if path.is_dir():
            raise CheckerError(f"{path} zadaný v --policy je adresář, ne soubor s pravidly hodnocení.", HINT)
        raw = path.read_bytes()[: MAX_FILE + 1]
    except FileNotFoundError as exc:
        raise CheckerError(f"Soubor s pravidly hodnocení {path} neexistuje.",
                           "Zkontrolujte cestu v --policy.\n" + HINT) from exc
    except OSError as exc:
        raise CheckerError(f"Soubor s pravidly hodnocení {path} nejde přečíst: {exc.strerror}.",
                           "Zkontrolujte cestu a práva k souboru.") from exc
    if len(raw) > MAX_FILE:
        raise CheckerError(f"Soubor {path} zadaný v --policy je větší než 1 MiB, pravidla hodnocení to nebudou.", HINT)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CheckerError(f"Soubor s pravidly hodnocení {path} není v kódování UTF-8.",
                           "Uložte ho jako UTF-8 (v Poznámkovém bloku: Uložit jako → Kódování UTF-8).") from exc
    return parse_policy(text, str(path), course)


def parse_policy(text: str, source: str, course) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CheckerError(f"Soubor s pravidly hodnocení {source} není platný TOML: {_toml_error(exc)}.", HINT) from exc
    problems: list[str] = []
    for key in data:
        if key not in KEYS:
            problems.append(f"neznámá položka „{key}“ (možné: deadline, [marks], [[excused]])")
    deadline = _deadline(data.get("deadline"), problems)
    thresholds = _thresholds(data.get("marks"), problems)
    excuses = _excuses(data.get("excused", []), course, problems)
    if problems:
        listing = "\n".join(f"  • {p}" for p in problems)
        raise CheckerError(f"Pravidla hodnocení {source} mají chyby, nic jsem nehodnotil:\n{listing}", HINT)
    return Policy(source, deadline, thresholds, excuses)


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    return f"chyba na řádku {match.group(1)}, ve sloupci {match.group(2)}" if match else "chyba zápisu"


def _deadline(value, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.astimezone()  # no offset: the computer's local time
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59)).astimezone()
    if isinstance(value, str):
        try:
            return _deadline(datetime.fromisoformat(value.strip()), problems)
        except ValueError:
            pass
    problems.append(f"deadline „{value}“ není datum a čas (napište např. deadline = 2026-12-18T23:59:00+01:00, "
                    "bez uvozovek)")
    return None


def _thresholds(value, problems: list[str]) -> tuple[tuple[int, Fraction], ...]:
    if value is None:
        return DEFAULT_THRESHOLDS
    if not isinstance(value, dict):
        problems.append("[marks] musí být tabulka: řádky 1 = 90, 2 = 75, 3 = 60, 4 = 45")
        return DEFAULT_THRESHOLDS
    before = len(problems)
    found: dict[int, Fraction] = {}
    for key, least in value.items():
        if key not in ("1", "2", "3", "4"):
            problems.append(f"[marks]: „{key}“ není známka 1 až 4 (pětka je všechno pod hranicí čtyřky)")
            continue
        if isinstance(least, bool) or not isinstance(least, (int, float)) or not 0 <= least <= 100:
            problems.append(f"[marks]: hranice známky {key} „{least}“ není procento od 0 do 100")
            continue
        found[int(key)] = Fraction(str(least)) if isinstance(least, float) else Fraction(least)
    missing = [m for m in ("1", "2", "3", "4") if m not in value]
    if missing:
        problems.append(f"[marks]: chybí hranice pro známky {', '.join(missing)} (zadejte všechny čtyři)")
    elif len(found) == 4:
        order = [found[m] for m in (1, 2, 3, 4)]
        if any(better <= worse for better, worse in zip(order, order[1:])):
            shown = ", ".join(f"{m} = {_percent(found[m])}" for m in (1, 2, 3, 4))
            problems.append(f"[marks]: hranice musí od jedničky ke čtyřce klesat ({shown})")
    if len(problems) > before:
        return DEFAULT_THRESHOLDS
    return tuple((m, found[m]) for m in (1, 2, 3, 4))


def _percent(value: Fraction) -> str:
    return f"{float(value):g}".replace(".", ",")


def _excuses(value, course, problems: list[str]) -> tuple[Excuse, ...]:
    if not isinstance(value, list):
        problems.append("omluvy se zapisují jako [[excused]] (každá omluva svou tabulkou)")
        return ()
    excuses = []
    for number, item in enumerate(value, 1):
        where = f"[[excused]] č. {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: není tabulka")
            continue
        before = len(problems)
        for key in item:
            if key not in EXCUSE_KEYS:
                problems.append(f"{where}: neznámá položka „{key}“ (možné: student, steps, reason)")
        student = item.get("student")
        if not isinstance(student, str) or not student.strip():
            problems.append(f"{where}: chybí student (identifikátor ze soupisky, jméno, nebo \"*\" pro všechny)")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: chybí důvod (reason), omluvený krok se vždy ukazuje s důvodem")
        elif len(reason) > MAX_REASON or re.search(r"[\x00-\x1f\x7f]", reason):
            problems.append(f"{where}: důvod je delší než {plural(MAX_REASON, 'znak', 'znaky', 'znaků')} nebo obsahuje "
                            "konec řádku")
        raw_steps = item.get("steps", item.get("step"))
        if "steps" in item and "step" in item:
            problems.append(f"{where}: zadejte buď steps, nebo step, ne obojí")
        if isinstance(raw_steps, (str, int)) and not isinstance(raw_steps, bool):
            raw_steps = [raw_steps]
        steps = []
        if not isinstance(raw_steps, list) or not raw_steps:
            problems.append(f"{where}: chybí kroky (steps = [\"step9\"])")
        else:
            for raw in raw_steps:
                step = _step_id(raw, course)
                if step is None:
                    known = ", ".join(s.id for s in course.required_steps)
                    problems.append(f"{where}: krok „{raw}“ kurz nemá (povinné kroky: {known})")
                elif step not in steps:
                    steps.append(step)
        if len(problems) == before:
            excuses.append(Excuse(student.strip(), tuple(steps), " ".join(reason.split())))
    return tuple(excuses)


def _step_id(raw, course) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    text = str(raw).strip()
    number = re.fullmatch(r"(?:step|krok)?\s*(\d+)", text, re.IGNORECASE)
    candidates = [text, f"step{number.group(1)}"] if number else [text]
    ids = {s.id: s.id for s in course.steps}
    labels = {fold(s.label): s.id for s in course.steps if getattr(s, "label", None)}
    for candidate in candidates:
        if candidate in ids:
            return candidate
    return labels.get(fold(text))


def policy_warnings(console, policy, result) -> None:
    """An excuse naming nobody in the class is most likely a typo: said, never silently ignored."""
    if policy is None:
        return
    for student in policy.unmatched([(t.entry.name, t.entry.student_id) for t in result.targets]):
        console.print(f"[yellow]Pozor:[/yellow] omluva v {escape(display_text(policy.source))} pro "
                      f"„{escape(display_text(student))}“ nepatří nikomu ze třídy (překlep?).",
                      soft_wrap=not console.is_terminal)
