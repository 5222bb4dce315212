"""The breakage × variant corpus (tests/corpus/corpus.toml, facts recorded on the real VM by
`python -m tests.corpus.record`): for every combination the checker's verdicts and doctor's first
cause are the truth written in the manifest. A missing recording fails (never skips)."""

from __future__ import annotations

import copy
import re
import tomllib

import pytest

from checkers.checks import registry
from checkers.doctor import diagnose
from checkers.session import evaluate
from tests.helpers.contradictions import contradictions
from checkers.texts import table
from tests.corpus import manifest
from tests.corpus.expect import compare, load_facts, verdict_summary

COMBINATIONS = manifest.combinations()


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.key for c in COMBINATIONS])
def test_verdicts_on_recorded_facts(course, combination):
    assert combination.fixture.exists(), (
        f"no recording {combination.fixture.relative_to(manifest.REPO)}: "
        f"python -m tests.corpus.record --only {combination.key}")
    facts = load_facts(combination.fixture)
    summary = verdict_summary(facts, course)
    diffs = compare(manifest.expectation(combination, facts), summary)
    note = manifest.note(combination, facts)
    assert not diffs, "\n".join(diffs) + (f"\nnote: {note}" if note else "")


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.key for c in COMBINATIONS])
def test_no_message_contradicts_the_facts(course, combination):
    """What a failing line or doctor says is never refuted by the facts it came from (a path the
    privileged probe found called missing, a steady service called down, a working venv crashed)."""
    if not combination.fixture.exists():
        pytest.fail(f"no recording {combination.key} (see test_verdicts_on_recorded_facts)", pytrace=False)
    facts = load_facts(combination.fixture)
    results = [r for run in evaluate(copy.deepcopy(facts), course, list(course.required_steps)) for r in run.results]
    diagnoses = diagnose(copy.deepcopy(facts), course)
    assert contradictions(facts, results, diagnoses) == []


# --- the manifest itself ------------------------------------------------------------------

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_manifest_is_valid_toml_with_unique_ids():
    data = tomllib.loads(manifest.MANIFEST.read_text(encoding="utf-8"))
    variant_ids = [v["id"] for v in data["variant"]]
    breakage_ids = [b["id"] for b in data["breakage"]]
    assert len(variant_ids) == len(set(variant_ids)), variant_ids
    assert len(breakage_ids) == len(set(breakage_ids)), breakage_ids
    assert manifest.OK not in breakage_ids
    for name in variant_ids + breakage_ids:
        assert KEBAB.match(name), name


def test_enough_variants_and_breakages():
    assert "reference" in manifest.variants()
    assert len(manifest.variants()) >= 8
    assert len(manifest.breakages()) >= 30


def test_every_variant_has_its_script_and_a_full_environment():
    keys = set(manifest.load()["env_defaults"])
    assert {"PROJECT", "SETTINGS", "SERVICE", "SOCKET_UNIT", "SITE", "UPSTREAM", "STATIC_ROOT", "MEDIA_ROOT",
            "VENV"} <= keys
    for vid, variant in manifest.variants().items():
        assert set(variant.get("env", {})) <= keys, (vid, set(variant.get("env", {})) - keys)
        script = manifest.variant_script(vid)
        assert script is None or script.exists(), (vid, script)
        env = manifest.env(vid)
        assert env["SETTINGS"].startswith(env["PROJECT"] + "/") and env["VENV"].startswith(env["PROJECT"] + "/"), vid
    readme = (manifest.VARIANTS_DIR / "README.md").read_text(encoding="utf-8")
    for vid in manifest.variants():
        if manifest.variant_script(vid):
            assert f"`{manifest.variant_script(vid).name}`" in readme, vid


def test_every_breakage_is_well_formed(course):
    steps = [s.id for s in course.required_steps]
    checks = set(registry())
    diagnoses = set(table("diagnoses"))
    variants = manifest.variants()
    for bid, breakage in manifest.breakages().items():
        assert breakage.get("title", "").strip() and breakage.get("run", "").strip(), bid
        assert breakage["title"].isascii(), (bid, "titles are in English")
        listed = breakage["variants"]
        assert len(set(listed)) == len(listed) >= 2, (bid, listed)
        assert set(listed) <= set(variants), (bid, set(listed) - set(variants))
        assert set(breakage.get("override", {})) <= set(listed), (bid, "override of a variant not listed")
        assert {"failing_steps", "failing_checks", "doctor_first"} <= set(breakage["expect"]), bid
        for variant, expected in ((v, e) for v in listed
                                  for e in manifest.every_expectation(manifest.Combination(v, bid))):
            assert set(expected["failing_steps"]) <= set(steps), (bid, variant, expected["failing_steps"])
            assert set(expected["failing_checks"]) <= checks, (bid, variant, set(expected["failing_checks"]) - checks)
            assert set(expected.get("unverified_checks", [])) <= checks, (bid, variant)
            owning = {course.step_of_check(c).id for c in expected["failing_checks"]}
            assert owning <= set(expected["failing_steps"]), (bid, variant, "a failing check's step must fail")
            first = expected["doctor_first"]
            assert first == "" or first in diagnoses or first.startswith("TODO:"), (bid, variant, first)
            assert not first or not first.startswith("doctor.A"), (bid, "doctor_first names causes (doctor.D…)")


def test_the_scripts_are_written_against_the_variant_environment():
    """Breakages use the exported variables, not one variant's paths."""
    for bid, breakage in manifest.breakages().items():
        for path in ("/srv/my_project", "/var/www/my_project", "/home/vagrant/my_project", "/tmp/gunicorn.sock",
                     "/etc/nginx/sites-available/my_project", "/etc/systemd/system/gunicorn.service"):
            assert path not in breakage["run"], (bid, path)


def test_an_outcome_that_depends_on_the_machines_speed_is_chosen_by_the_recorded_unit_state():
    """socket-activation:import-error-crash-loop ends either with the socket still accepting (slow
    machine: nothing answers, web.E001) or closed by systemd after too many starts (fast machine:
    502, web.E002); the recording says which, and a state no `when` names keeps the base outcome."""
    combination = manifest.Combination("socket-activation", "import-error-crash-loop")
    facts = load_facts(combination.fixture)
    assert facts["systemd"]["units"]["gunicorn.socket"]["active_state"] == "active"
    assert "web.E001" in manifest.expectation(combination, facts)["failing_checks"]
    closed = copy.deepcopy(facts)
    closed["systemd"]["units"]["gunicorn.socket"].update(active_state="failed", result="service-start-limit-hit")
    assert "web.E002" in manifest.expectation(combination, closed)["failing_checks"]
    assert "closed the socket" in manifest.note(combination, closed)
    other = copy.deepcopy(facts)
    other["systemd"]["units"]["gunicorn.socket"].update(active_state="failed", result="resources")
    assert manifest.expectation(combination, other) == manifest.expectation(combination)
