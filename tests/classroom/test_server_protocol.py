"""The submission protocol's pure parts: the quick secret pre-check never lets a maskable value
through unmasked (it may only say "maybe" too often), depth and size bounds, class codes."""

from __future__ import annotations

import gzip
import json

import pytest

from checkers import class_protocol as protocol
from tests.classroom.server_helpers import FACTS, submission

SECRETS = ["SECRET_KEY = 'abcdef12'", 'SECRET_KEY = "abcdef12"', 'DB_PASSWORD:\t"abcd1234"',
           'api_token="x1y2z3w4"', "secret_key\t=\t'tajne123'", 'MOJE_HESLO_PASSWORD = "žluťoučký"',
           "DATABASE_URL=postgres://app:heslo987@localhost/db", "redis://:tajne@127.0.0.1:6379/0",
           "mysql://uživatel:heslíčko@db/x", 'nested "SECRET_KEY": "inner-value-1"']


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_every_value_the_masking_changes_passes_the_precheck(secret, ensure_ascii):
    doc = submission(1)
    doc["facts"]["errors"] = [f"line before\n{secret}\nline after"]
    text = json.dumps(doc, ensure_ascii=ensure_ascii)
    assert protocol.mask_document(doc) != doc, "the probe's masking no longer catches this sample"
    assert protocol.may_hold_secret(text)
    stored = protocol.prepare(text.encode())
    assert "«skryto»" in json.dumps(stored, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(p.stem for p in FACTS.glob("*.json")))
def test_recorded_facts_need_no_masking_walk_and_lose_nothing(name):
    text = (FACTS / f"{name}.json").read_text(encoding="utf-8")
    assert protocol.mask_document(json.loads(text)) == json.loads(text)  # nothing to mask…
    assert not protocol.may_hold_secret(text)  # …and the pre-check knows it


def test_prepare_refuses_deep_documents_and_bounds_gzip():
    doc = submission(1)
    doc["verdicts"] = json.loads('{"a":' * 70 + "1" + "}" * 70)
    with pytest.raises(protocol.ProtocolError, match="zanořený"):
        protocol.prepare(json.dumps(doc).encode())
    assert protocol.validate(doc) == (False, "Dokument je příliš hluboce zanořený.")
    with pytest.raises(protocol.ProtocolError) as bomb:
        protocol.prepare(gzip.compress(b" " * (protocol.MAX_DECOMPRESSED + 10)), "gzip")
    assert bomb.value.status == 413
    with pytest.raises(protocol.ProtocolError) as unknown:
        protocol.prepare(b"{}", "br")
    assert unknown.value.status == 415


def test_protocol_errors_survive_the_trip_to_a_grading_process():
    import pickle

    error = pickle.loads(pickle.dumps(protocol.ProtocolError("Příliš velký.", 413)))
    assert (error.reason, error.status) == ("Příliš velký.", 413)


def test_class_codes_are_short_unambiguous_and_compared_leniently():
    codes = {protocol.new_class_code() for _ in range(200)}
    assert len(codes) > 190 and all(protocol.CODE_PATTERN.match(c) for c in codes)
    assert not any(ch in c for c in codes for ch in "IO")
    assert protocol.code_matches(" abcd1234 ", "ABCD-1234") and not protocol.code_matches("ABCD-1235", "ABCD-1234")
