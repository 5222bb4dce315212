"""The class client's pure parts: addresses and certificate fingerprints as students type them."""

from __future__ import annotations

import base64
import hashlib

import pytest

from checkers.classroom.client import format_fingerprint, normalize_address, parse_fingerprint
from checkers.errors import CheckerError

DIGEST = hashlib.sha256(b"certificate").digest()


@pytest.mark.parametrize("typed, expected", [
    ("192.168.1.10:8765", "http://192.168.1.10:8765"),
    ("http://192.168.1.10:8765/", "http://192.168.1.10:8765"),
    (" https://ucebna.local:8443 ", "https://ucebna.local:8443"),
    ("https://10.0.0.5", "https://10.0.0.5:443"),
    ("http://[::1]:8765", "http://[::1]:8765"),
])
def test_addresses_students_type_are_accepted(typed, expected):
    assert normalize_address(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://10.0.0.5", "http://10.0.0.5:99999", "http://user:heslo@10.0.0.5",
                                   "http://10.0.0.5/cesta", "http://10.0.0.5?x=1", "http://a b"])
def test_other_addresses_are_refused_in_czech(typed):
    with pytest.raises(CheckerError) as refused:
        normalize_address(typed)
    assert "není adresa serveru třídy" in refused.value.message and "heslo" not in refused.value.message


@pytest.mark.parametrize("typed", [
    format_fingerprint(DIGEST), format_fingerprint(DIGEST).lower(), DIGEST.hex(), DIGEST.hex().upper(),
    "SHA256:" + base64.b64encode(DIGEST).decode().rstrip("="), "sha256=" + DIGEST.hex(),
    " ".join(format_fingerprint(DIGEST).split(":")[1:]),
])
def test_a_fingerprint_is_read_in_every_usual_form(typed):
    assert parse_fingerprint(typed) == DIGEST


@pytest.mark.parametrize("typed", ["", "SHA256:", "SHA256:AB:CD", DIGEST.hex()[:-1], "SHA256:" + "zz" * 32,
                                   base64.b64encode(DIGEST[:20]).decode()])
def test_a_wrong_fingerprint_is_refused_in_czech(typed):
    with pytest.raises(CheckerError) as refused:
        parse_fingerprint(typed)
    assert "Otisk certifikátu" in refused.value.message


def test_the_fingerprint_is_printed_as_the_server_prints_it():
    from checkers import class_protocol as protocol

    if hasattr(protocol, "format_fingerprint"):  # the server's own function takes the certificate itself
        assert protocol.format_fingerprint(b"certificate") == format_fingerprint(DIGEST)
    assert format_fingerprint(DIGEST).startswith("SHA256:") and len(format_fingerprint(DIGEST)) == 7 + 95
