"""Facts recorded from real machines (tests/fixtures/facts/) and the checks' verdicts on them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from checkers.engine import Evaluator
from checkers.session import evaluate

FACTS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "facts"
CORPUS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def recorded_facts(name: str) -> dict:
    """A fresh copy of the recording tests/fixtures/facts/NAME.json."""
    return json.loads((FACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def corpus_facts(name: str) -> dict:
    """A fresh copy of the corpus recording tests/fixtures/corpus/NAME (VARIANT/BREAKAGE.json.gz)."""
    with gzip.open(CORPUS_DIR / name, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def all_results(course, facts: dict) -> dict:
    """check id -> result, every check of the course's required steps evaluated on `facts`."""
    return {r.id: r for r in Evaluator(facts, course).results([c for s in course.required_steps for c in s.checks])}


def step_results(course, facts: dict, step_id: str) -> dict:
    """check id -> result, for the whole step evaluated on `facts`."""
    return {r.id: r for r in evaluate(facts, course, [course.step(step_id)])[0].results}


def nginx_log_line(facts: dict, level: str, message: str, when: str = "2026/11/24 10:00:00") -> str:
    """An error.log line as one of the running nginx's workers in `facts` writes it (the checks read
    only lines of nginx's present processes)."""
    pid = next(p["pid"] for p in facts["processes"] if p["argv"] and p["argv"][0].startswith("nginx: worker"))
    return f"{when} [{level}] {pid}#{pid}: {message}"
