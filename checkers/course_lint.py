"""The course data linter: course.toml, the check registry, the Czech texts and the book agree.

Run by the tests and by authors (`./kurz lint`); returns a list of Czech problems.
"""

from __future__ import annotations

import ast
import re
import string
from collections import Counter
from pathlib import Path

from checkers.check_reasons import all_reasons
from checkers.checks import registry
from checkers.checks.base import Check, Kind, Level
from checkers.course import Course
from checkers.paths import BOOK_DIR, EXERCISES_DIR, REPO_ROOT
from checkers.texts import COMMON, PLURAL_FIELD, SEEN, table

# component.E### must pass (Level.REQUIRED) · component.W### is recommended (Level.RECOMMENDED: a
# failure is advice) · component.I### is informational (always passes, with an explanation).
CHECK_ID = re.compile(r"(?P<component>[a-z][a-z0-9_]*)\.(?P<kind>[EWI])(?P<number>\d{3})")
# doctor's causes: doctor.D### names a cause, doctor.A### gives advice (a recommendation).
CAUSE_ID = re.compile(r"doctor\.(?P<kind>[DA])(?P<number>\d{3})")
KIND_LEVELS = {"E": Level.REQUIRED, "W": Level.RECOMMENDED}
LEVEL_WORDS = {Level.REQUIRED: "povinná (REQUIRED)", Level.RECOMMENDED: "doporučená (RECOMMENDED)"}
# Ids that once meant something: never used again (saved facts, gradebooks and exports name them).
RETIRED_CHECKS = {
    "systemd.E006": "Restart= required; the lesson's unit has none (succeeded by systemd.W001, a recommendation)",
}
# Reasons the engine itself gives (checkers/engine.py): their texts are in checks.toml's [_common].
ENGINE_REASONS = ("error_crash", "error_prerequisite", "error_prerequisite_failed", "skipped")
# The pure layer holds no Czech: its prose is in checkers/texts/ (a Czech letter in a string literal
# other than a docstring is prose that belongs there).
PURE_LAYER = ("checkers/checks/*.py", "checkers/checks/causes/*.py", "checkers/engine.py", "checkers/factsview.py", "checkers/check_reasons.py")
CZECH_LETTER = re.compile("[áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ]")
# Files of the pure layer whose Czech is still to move, and why (the texts are ready in [_common]).
CZECH_PENDING: dict[str, str] = {}  # path → why its Czech literals may stay for now (none)


def check_id_problems(checks: dict[str, Check]) -> list[str]:
    """Each id has the form component.E###/W###/I###, and an E or W id matches its check's level."""
    problems = []
    for check_id, check in checks.items():
        if check.kind is Kind.CAUSE:
            continue  # doctor's causes have their own form (cause_problems)
        if check_id in RETIRED_CHECKS:
            problems.append(f"Kontrola {check_id} používá vyřazené id ({RETIRED_CHECKS[check_id]}); zvolte nové.")
        if check.id != check_id:
            problems.append(f"Kontrola {check.id} je v registru pod jiným id ({check_id}).")
        match = CHECK_ID.fullmatch(check_id)
        if match is None:
            problems.append(f"Kontrola {check_id} nemá id tvaru komponenta.E### (povinná), komponenta.W### "
                            "(doporučená) ani komponenta.I### (informativní).")
            continue
        expected = KIND_LEVELS.get(match["kind"])
        if expected is not None and check.level is not expected:
            problems.append(f"Kontrola {check_id} má úroveň {LEVEL_WORDS.get(check.level, check.level)}, ale id "
                            f"s {match['kind']} patří kontrole, která je {LEVEL_WORDS[expected]}.")
    return problems


def cause_problems(causes: dict[str, Check], texts: dict) -> list[str]:
    """doctor's causes: their id form, their texts in diagnoses.toml, what they supersede."""
    problems = []
    for cause_id, cause in causes.items():
        match = CAUSE_ID.fullmatch(cause_id)
        if match is None:
            problems.append(f"Příčina {cause_id} nemá id tvaru doctor.D### (příčina) ani doctor.A### (doporučení).")
        elif (match["kind"] == "A") != (cause.level is Level.RECOMMENDED):
            problems.append(f"Příčina {cause_id} má úroveň {LEVEL_WORDS.get(cause.level, cause.level)}, která k id "
                            "neodpovídá (doctor.A### je doporučení).")
        entry = texts.get(cause_id)
        if entry is None:
            problems.append(f"Příčina {cause_id} nemá texty v diagnoses.toml.")
        else:
            problems += [f"Příčina {cause_id} nemá text {key}." for key in ("title", "explanation", "fix")
                         if not str(entry.get(key, "")).strip()]
        problems += [f"Příčina {cause_id} zastiňuje neznámou příčinu {s}." for s in cause.supersedes if s not in causes]
    problems += [f"V diagnoses.toml jsou texty pro neexistující příčinu {k}." for k in texts
                 if k != COMMON and k not in causes]
    return problems


def reason_problems(reasons: dict[str, set], texts: dict) -> list[str]:
    """Every reason a check can fail or be unverifiable with has its text (fail_/error_REASON in the
    check's entry or in [_common]); the engine's own reasons have theirs in [_common]."""
    common = texts.get(COMMON, {})
    problems = [f"V checks.toml chybí v [_common] text {key}, který používá engine." for key in ENGINE_REASONS
                if key not in common]
    for check_id, found in sorted(reasons.items()):
        entry = texts.get(check_id, {})
        for kind, reason in sorted(found, key=lambda kr: (kr[0], kr[1] or "")):
            if kind == "pass" or reason == "":  # a green line's detail is optional; no reason: the plain fail/error
                continue
            if reason is None:  # computed from the facts: whatever it is, the generic text of its kind shows
                if kind not in entry and kind not in common:
                    problems.append(f"Kontrola {check_id} vrací důvod spočítaný z faktů, a tak potřebuje obecný "
                                    f"text {kind} pro důvody, které nemají vlastní.")
                continue
            key = f"{kind}_{reason}"
            if key not in entry and key not in common:
                problems.append(f"Kontrola {check_id} může vrátit důvod „{reason}“, "
                                f"ale v checks.toml nemá text {key}.")
    return problems


def czech_literal_problems(paths: list[Path], pending: dict | None = None) -> list[str]:
    """String literals with Czech letters in the pure layer (docstrings aside)."""
    pending = CZECH_PENDING if pending is None else pending
    problems = []
    for path in paths:
        name = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
        if name in pending:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and CZECH_LETTER.search(node.value)):
                problems.append(f"{name}:{node.lineno}: český text v Pythonu ({node.value[:40]!r}) patří do "
                                "checkers/texts/checks.toml (u kontroly, nebo do [_seen] a přes word(\"klíč\")).")
    return problems


def pure_layer_files() -> list[Path]:
    return sorted(path for pattern in PURE_LAYER for path in REPO_ROOT.glob(pattern))


def placeholder_problems(name: str, texts: dict) -> list[str]:
    """Every {field} of a text is a name the check fills (or a plural field); braces meant literally
    (nginx's `location /x/ { … }`) are doubled, else the student reads `location /x/ ?`."""
    problems = []
    for section, entry in texts.items():
        for key, value in entry.items() if isinstance(entry, dict) else ():
            if not isinstance(value, str):
                continue
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(PLURAL_FIELD.sub("", value)) if f is not None]
            except ValueError as exc:
                problems.append(f"{name}.toml [{section}] {key}: složené závorky nejdou přečíst ({exc}); "
                                "doslovné závorky pište zdvojené {{ }}.")
                continue
            problems += [f"{name}.toml [{section}] {key}: „{{{f}}}“ není jméno hodnoty; doslovné závorky pište "
                         "zdvojené {{ }}." for f in fields if not re.fullmatch(r"\w+", f)]
    return problems


def prerequisite_problems(course: Course, checks: dict[str, Check]) -> list[str]:
    """A check's prerequisites exist, form no cycle, and none is taught in a later step than the check."""
    problems = [f"Kontrola {c} vyžaduje neznámou kontrolu {r}." for c, check in checks.items()
                for r in check.requires if r not in checks]
    order = {step.id: number for number, step in enumerate(course.steps)}
    for check_id, check in checks.items():
        step = course.step_of_check(check_id)
        for required in check.requires:
            before = course.step_of_check(required)
            if step and before and order[before.id] > order[step.id]:
                problems.append(f"Kontrola {check_id} ({step.id}) vyžaduje {required}, která je až v pozdějším "
                                f"kroku {before.id}; předpoklad musí být ve stejném nebo dřívějším kroku.")
    state: dict[str, str] = {}

    def visit(check_id: str, path: list[str]) -> None:
        if state.get(check_id) == "done" or check_id not in checks:
            return
        if state.get(check_id) == "open":
            cycle = path[path.index(check_id):] + [check_id]
            problems.append(f"Předpoklady kontrol tvoří kruh: {' → '.join(cycle)}.")
            return
        state[check_id] = "open"
        for required in checks[check_id].requires:
            visit(required, path + [check_id])
        state[check_id] = "done"

    for check_id in checks:
        visit(check_id, [])
    return problems


def lint(course: Course, checks: dict[str, Check] | None = None, texts: dict | None = None,
         reasons: dict[str, set] | None = None) -> list[str]:
    """Every problem found, in Czech; `checks`, `texts` and `reasons` default to the registry, checks.toml
    and the reasons read from checkers/checks/*.py."""
    problems: list[str] = []
    checks = registry() if checks is None else checks
    causes = {check_id: check for check_id, check in checks.items() if check.kind is Kind.CAUSE}
    checks = {check_id: check for check_id, check in checks.items() if check.kind is not Kind.CAUSE}
    problems += cause_problems(causes, table("diagnoses"))
    texts = table("checks") if texts is None else texts
    reasons = all_reasons() if reasons is None else reasons

    for step_id, count in Counter(s.id for s in course.steps).items():
        if count > 1:
            problems.append(f"Krok {step_id} je v datech kurzu {count}×.")
    used = Counter(c for s in course.steps for c in s.checks)
    for check_id, count in used.items():
        if count > 1:
            problems.append(f"Kontrola {check_id} je ve více krocích ({count}×); každá patří do jednoho.")
    for step in course.steps:
        where = f"Krok {step.id}"
        if not step.title.strip():
            problems.append(f"{where} nemá název.")
        if step.points <= 0:
            problems.append(f"{where} má {step.points} bodů; musí mít aspoň 1.")
        if not step.checks:
            problems.append(f"{where} nemá žádné kontroly.")
        if not step.hints:
            problems.append(f"{where} nemá žádnou nápovědu.")
        problems += [f"{where}: nápověda č. {i} je prázdná." for i, hint in enumerate(step.hints, 1) if not hint.strip()]
        problems += [f"{where}: kontrola {c} neexistuje." for c in step.checks if c not in checks]
        if not (EXERCISES_DIR / step.solution).is_file():
            problems.append(f"{where}: chybí referenční řešení {step.solution}.")
        if not (BOOK_DIR / f"{step.section}.md").is_file():
            problems.append(f"{where}: v knize chybí kapitola {step.section}.md.")
    problems += [f"Kontrola {c} není v žádném kroku." for c in checks if c not in used]
    problems += check_id_problems(checks)

    for check_id, check in checks.items():
        entry = texts.get(check_id)
        if entry is None:
            problems.append(f"Kontrola {check_id} nemá texty v checks.toml.")
            continue
        if not entry.get("title", "").strip():
            problems.append(f"Kontrola {check_id} nemá název (title).")
        can_fail = re.search(r"\.[EW]\d", check_id) is not None  # a W check's failure is shown as advice
        has_fail = any(k == "fail" or k.startswith("fail_") for k in entry)
        if can_fail and not has_fail:
            problems.append(f"Kontrola {check_id} nemá text pro neúspěch (fail).")
        if can_fail and not any(k == "hint" or k.startswith("hint_") for k in entry):
            problems.append(f"Kontrola {check_id} nemá nápovědu (hint).")
        problems += [f"Kontrola {check_id}: prázdný text {k}." for k, v in entry.items() if isinstance(v, str) and not v.strip()]
        problems += [f"Kontrola {check_id}: text {k} není dopsaný (TODO)." for k, v in entry.items()
                     if isinstance(v, str) and "TODO" in v]
    problems += [f"V checks.toml jsou texty pro neexistující kontrolu {k}." for k in texts
                 if k not in (COMMON, SEEN) and k not in checks]
    problems += reason_problems({c: r for c, r in reasons.items() if c in checks}, texts)
    problems += czech_literal_problems(pure_layer_files())
    problems += prerequisite_problems(course, checks)
    problems += placeholder_problems("checks", texts) + placeholder_problems("diagnoses", table("diagnoses"))
    return problems
