"""A rotating part of the breakage × variant corpus re-recorded on the real VM (issue 13, point 7):
the facts gathered right now give the verdicts written in tests/corpus/corpus.toml, like the
recordings the unit tests use (tests/unit/test_corpus.py).

Default: 6 combinations picked from the UTC date (a different slice every day, the same all day);
KURZ_CORPUS_SUBSET=variant:breakage,… (or a bare variant) chooses them instead. Set
KURZ_RECORD_FACTS=1 to refresh the recordings of the combinations that ran."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest

from checkers.course import load_course
from tests.corpus import manifest
from tests.corpus.expect import compare, load_facts, state_outline, verdict_summary
from tests.corpus.record import RecordError, record_one

pytestmark = pytest.mark.vm
DEFAULT_COUNT = 6


def todays_subset(count: int = DEFAULT_COUNT, day: dt.date | None = None, variants: int = 2) -> list[manifest.Combination]:
    """`count` combinations of at most `variants` variants (setting a variant up costs minutes on
    the emulated VM), chosen by the date: every day another slice, over the days all of them."""
    every = manifest.combinations()
    day = day or dt.datetime.now(dt.timezone.utc).date()

    def rank(text: str) -> str:
        return hashlib.sha256(f"{day.isoformat()}:{text}".encode()).hexdigest()

    picked_variants = sorted({c.variant for c in every}, key=rank)[:variants]
    ranked = sorted((c for c in every if c.variant in picked_variants), key=lambda c: rank(c.key))
    chosen = ranked[:count]
    return sorted(chosen, key=every.index)  # variant by variant: each variant's snapshot is made once


def chosen() -> list[manifest.Combination]:
    spec = os.environ.get("KURZ_CORPUS_SUBSET", "").strip()
    return manifest.select(spec) if spec else todays_subset()


SUBSET = chosen()


@pytest.mark.parametrize("combination", SUBSET, ids=[c.key for c in SUBSET])
def test_recorded_now_gives_the_expected_verdicts(vm, tmp_path, combination):
    # The committed recording is replaced only when asked to (KURZ_RECORD_FACTS=1).
    out = combination.fixture if os.environ.get("KURZ_RECORD_FACTS") else tmp_path / "facts.json.gz"
    try:
        record_one(vm, combination, tmp_path, out=out)
    except RecordError as exc:
        pytest.fail(str(exc), pytrace=False)
    facts = load_facts(out)
    summary = verdict_summary(facts, load_course())
    diffs = compare(manifest.expectation(combination, facts), summary)
    note = manifest.note(combination, facts)
    assert not diffs, "\n".join(diffs) + (f"\nnote: {note}" if note else "") + "\n" + state_outline(facts)
