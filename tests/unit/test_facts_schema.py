"""The facts schema (checkers/facts_schema.json) holds for every recorded facts document, rejects a
damaged one with the path of what is wrong, and the typed accessors refuse a name it does not have."""

from __future__ import annotations

import ast
import copy
import gzip
import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

from checkers.factsview import Facts, UnknownFact, fallback, schema

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
RECORDED = sorted(FIXTURES.glob("facts/*.json")) + sorted(FIXTURES.glob("corpus/**/*.json.gz"))
VALIDATOR = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


def load(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def errors(doc: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_every_recording_is_found():
    assert len(RECORDED) >= 90  # 5 machines' recordings and the breakage x variant corpus


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_recorded_facts_follow_the_schema(path):
    assert errors(load(path)) == []


SOLVED = FIXTURES / "facts" / "vm-solved.json"
DAMAGES = {  # change -> where the error is reported
    "typo_in_a_key": (lambda f: f["nginx"].update(runing=True), "$.nginx"),
    "wrong_type": (lambda f: f["nginx"]["test"].update(rc="0"), "$.nginx.test.rc"),
    "string_for_a_list": (lambda f: f["django"]["settings"].update(ALLOWED_HOSTS="*"), "$.django.settings.ALLOWED_HOSTS"),
    "wrong_version": (lambda f: f.update(schema=2), "$.schema"),
    "unit_property_typo": (lambda f: f["systemd"]["units"]["nginx.service"].update(activ_state="active"),
                           "$.systemd.units['nginx.service']"),
    "response_status_as_text": (lambda f: f["http"]["web"]["home"].update(status="200"), "$.http.web.home.status"),
    "unknown_component": (lambda f: f.update(ngnix={}), "$"),
    "missing_envelope": (lambda f: f.pop("gathered"), "$"),
}


@pytest.mark.parametrize("name", DAMAGES)
def test_a_damaged_document_is_rejected_with_the_path(name):
    change, where = DAMAGES[name]
    doc = load(SOLVED)
    change(doc)
    found = errors(doc)
    assert found, f"{name} was accepted"
    assert any(e.startswith(where + ":") for e in found), found


def test_an_undamaged_copy_is_accepted():
    assert errors(copy.deepcopy(load(SOLVED))) == []


def test_accessors_follow_digs_defaults():
    facts = Facts(load(SOLVED))
    assert facts.nginx.test.rc == 0
    assert facts.django.settings.DEBUG is False
    assert facts.systemd.units["nginx.service"].active_state == "active"
    empty = Facts({"schema": 1})
    assert not empty.nginx and empty.nginx.test.rc is None  # a missing object is an empty view
    assert empty.postgres.databases == []  # a missing list is []
    assert fallback(empty.app.unit, "?") == "?"
    assert fallback(Facts({"app": {"unit": ""}}).app.unit, "?") == ""  # only a missing or null value is defaulted
    assert Facts(facts) is facts


def test_accessors_refuse_a_name_the_schema_does_not_have():
    facts = Facts(load(SOLVED))
    with pytest.raises(UnknownFact):
        facts.nginx.runing  # noqa: B018
    with pytest.raises(UnknownFact):
        facts.http.web.get("hom")  # .get() does not swallow a typo either
    assert facts.systemd.units.get("no-such.service") is None  # a map's keys are data: any name may be absent


def test_the_accessors_types_are_generated_from_the_schema():
    """checkers/factsview.pyi is what scripts/facts_types.py makes of the schema today: after a schema
    change, run `python scripts/facts_types.py`."""
    spec = importlib.util.spec_from_file_location("facts_types", REPO / "scripts" / "facts_types.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    stub = (REPO / "checkers" / "factsview.pyi").read_text(encoding="utf-8")
    assert stub == generator.render(schema()), "stale checkers/factsview.pyi: run python scripts/facts_types.py"
    tree = ast.parse(stub)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    fields = {item.target.id for item in classes["NginxTest"].body if isinstance(item, ast.AnnAssign)}
    assert fields == {"rc", "output", "timed_out"}
    stale = generator.render({**schema(), "properties": {**schema()["properties"], "ngnix": {"type": "object"}}})
    assert stale != stub  # a schema change shows
