"""The course data linter: course.toml, the check registry, the Czech texts and the book agree.

Run by the tests and by authors (`python -m checkers lint`); returns a list of Czech problems.
"""

from __future__ import annotations

from collections import Counter

from checkers.checks import registry
from checkers.course import Course
from checkers.paths import BOOK_DIR, EXERCISES_DIR
from checkers.texts import COMMON, table


def lint(course: Course) -> list[str]:
    problems: list[str] = []
    checks = registry()
    texts = table("checks")

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

    for check_id, check in checks.items():
        entry = texts.get(check_id)
        if entry is None:
            problems.append(f"Kontrola {check_id} nemá texty v checks.toml.")
            continue
        if not entry.get("title", "").strip():
            problems.append(f"Kontrola {check_id} nemá název (title).")
        has_fail = any(k == "fail" or k.startswith("fail_") for k in entry)
        if ".E" in check_id and not has_fail:
            problems.append(f"Kontrola {check_id} nemá text pro neúspěch (fail).")
        if ".E" in check_id and not any(k == "hint" or k.startswith("hint_") for k in entry):
            problems.append(f"Kontrola {check_id} nemá nápovědu (hint).")
        problems += [f"Kontrola {check_id} vyžaduje neznámou kontrolu {r}." for r in check.requires if r not in checks]
        problems += [f"Kontrola {check_id}: prázdný text {k}." for k, v in entry.items() if isinstance(v, str) and not v.strip()]
    problems += [f"V checks.toml jsou texty pro neexistující kontrolu {k}." for k in texts if k != COMMON and k not in checks]
    return problems
