"""live.* checks on recorded facts (a real run against nginx + gunicorn on loopback), each check
with a passing and a failing case, and the client's pure helpers."""

from __future__ import annotations

import socket
import ssl

import pytest

from checkers.checks.live import exposed_files, hsts_max_age
from checkers.web.live import fatal_error
from checkers.web.client import classify, parse_connect_to
from checkers.web.gather import asset_links, looks_like_file

from tests.helpers.recorded import recorded_facts, step_results


@pytest.fixture
def facts() -> dict:
    return recorded_facts("live-nginx-good")


def results(course, facts) -> dict:
    return step_results(course, facts, "web")


def put(facts: dict, path: str, value) -> dict:
    node = facts
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is DELETE:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return facts


DELETE = object()


def test_recorded_good_site_passes_every_check(course, facts):
    found = results(course, facts)
    assert {r.status.value for r in found.values()} == {"passed"}, {k: r.message for k, r in found.items()}


# (check, changes to the recorded facts, expected status, a fragment of the Czech message)
CASES = [
    ("live.E001", {"live.scheme": "http", "live.https_error": {"kind": "refused", "detail": "Connection refused"}},
     "failed", "jen na nešifrovaném HTTP"),
    ("live.E001", {"live.fatal": {"kind": "tls_verify", "host": "kurz.test", "port": 443,
                                  "detail": "certificate has expired"}}, "unverified", "certificate has expired"),
    ("live.E002", {"live.http_redirect.status": 200}, "failed", "bez šifrování"),
    ("live.E002", {"live.http_redirect.headers.location": "http://kurz.test/"}, "failed", "ne na https://"),
    ("live.E002", {"live.http_redirect": {"status": None, "error": "refused", "error_detail": "Connection refused"}},
     "failed", "nejde připojit"),
    ("live.E003", {"live.home.markers": ["svs_placeholder"], "live.home.title": "Výchozí stránka AVAVA"},
     "failed", "výchozí stránka SVS"),
    ("live.E003", {"live.home.status": 400}, "failed", "ALLOWED_HOSTS"),
    ("live.E003", {"live.home.status": 502}, "failed", "gunicorn neběží"),
    ("live.E003", {"live.home.markers": ["django_install_worked"]}, "failed", "install worked"),
    ("live.E003", {"live.home.django_headers": False, "live.home.headers": {}, "live.home.cookies": [],
                   "live.home.servers": ["nginx"]}, "failed", "nepřišla od Djanga"),
    ("live.E004", {"live.home.servers": ["Caddy", "WSGIServer/0.2 CPython/3.11.7"]}, "failed", "runserver"),
    ("live.E005", {"live.not_found.markers": ["django_debug"]}, "failed", "DEBUG je zapnutý"),
    ("live.E005", {"live.not_found.status": 200}, "failed", "místo 404"),
    ("live.E006", {"live.bad_host.status": 200, "live.bad_host.same_as_home": True}, "failed", "ALLOWED_HOSTS"),
    ("live.E006", {"live.bad_host.status": 200, "live.bad_host.same_as_home": False,
                   "live.bad_host.django_headers": False, "live.bad_host.headers": {}}, "passed", "webový server"),
    ("live.E007", {"live.static": DELETE}, "failed", "neodkazují"),
    ("live.E007", {"live.static.status": 404}, "failed", "HTTP 404"),
    ("live.E007", {"live.static.headers.content-type": "text/plain"}, "failed", "text/plain"),
    ("live.E008", {"live.home.headers.x-content-type-options": DELETE}, "failed", "nosniff"),
    ("live.E008", {"live.home.headers.x-frame-options": DELETE}, "failed", "X-Frame-Options"),
    ("live.E009", {"live.home.headers.strict-transport-security": DELETE,
                   "live.not_found.headers.strict-transport-security": DELETE}, "failed", "W004"),
    ("live.E009", {"live.home.headers.strict-transport-security": "max-age=0"}, "failed", "nulovou"),
    ("live.E010", {"live.cookies": [{"name": "csrftoken", "secure": False, "httponly": False}]},
     "failed", "csrftoken bez Secure"),
    ("live.E010", {"live.cookies": [{"name": "sessionid", "secure": True, "httponly": False}]},
     "failed", "sessionid bez HttpOnly"),
    ("live.E010", {"live.cookies": []}, "passed", "sessionid se ověří"),
    ("live.E011", {"live.admin_login.post.status": 403}, "failed", "CSRF"),
    ("live.E011", {"live.admin_login.get": {"status": 404, "markers": []}}, "passed", "nemá administraci"),
    ("live.E012", {"live.sensitive./.env": {"status": 200, "content_type": "application/octet-stream",
                                            "looks_like_file": True, "body_length": 40}}, "failed", "/.env"),
    ("live.E012", {"live.sensitive./manage.py": {"status": 200, "content_type": "text/html; charset=utf-8",
                                                 "looks_like_file": False, "same_as_home": True,
                                                 "body_length": 1600}}, "passed", "nic neprozradila"),
    ("live.I001", {"live.home.headers.strict-transport-security": "max-age=3600; includeSubDomains; preload"},
     "passed", "jiným studentům"),
]


@pytest.mark.parametrize("check_id, changes, status, fragment", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_on_changed_facts(course, facts, check_id, changes, status, fragment):
    for path, value in changes.items():
        if path.startswith("live.sensitive./"):
            facts["live"]["sensitive"][path.split(".", 2)[2]] = value
        else:
            put(facts, path, value)
    result = results(course, facts)[check_id]
    assert result.status.value == status, result.message
    assert fragment.lower() in (result.message + result.hint).lower() or fragment in result.message, result.message


def test_unreachable_site_makes_every_check_unknown_not_failed(course, facts):
    facts["live"] = {"fatal": {"kind": "refused", "host": "kurz.test", "port": 443, "detail": "Connection refused"}}
    found = results(course, facts)
    assert {r.status.value for r in found.values()} <= {"unverified"}
    assert "nikdo nepřijímá spojení" in found["live.E001"].message


def test_fatal_errors_explained_in_czech():
    for kind, fragment in (("dns", "DNS"), ("refused", "nikdo nepřijímá"), ("tls_verify", "nejde ověřit"),
                           ("tls", "TLS"), ("timeout", "neodpověděl"), ("reset", "přerušilo"),
                           ("network", "selhalo")):
        error = fatal_error({"fatal": {"kind": kind, "host": "kurz.test", "port": 443, "detail": "x"}})
        assert fragment in error.message and error.hint and int(error.exit_code) == 2


def test_connect_to_entries():
    assert parse_connect_to("kurz.test:443:127.0.0.1:8443, kurz.test::127.0.0.1:") == [
        ("kurz.test", 443, "127.0.0.1", 8443), ("kurz.test", None, "127.0.0.1", None)]
    assert parse_connect_to("") == []
    with pytest.raises(ValueError):
        parse_connect_to("kurz.test:443")


def test_error_classification():
    assert classify(socket.gaierror(-2, "Name or service not known"))[0] == "dns"
    assert classify(ConnectionRefusedError(111, "refused"))[0] == "refused"
    assert classify(socket.timeout("timed out"))[0] == "timeout"
    assert classify(ssl.SSLCertVerificationError(1, "certificate verify failed"))[0] == "tls_verify"
    assert classify(UnicodeError("label too long"))[0] == "dns"


def test_leaked_file_signatures():
    assert looks_like_file("/.env", b"SECRET_KEY=abc\nDEBUG=1\n", "application/octet-stream")
    assert looks_like_file("/.git/config", b"[core]\n\trepositoryformatversion = 0\n", "text/plain")
    assert looks_like_file("/db.sqlite3", b"SQLite format 3\x00....", "application/octet-stream")
    assert looks_like_file("/my_project/settings.py", b"INSTALLED_APPS = []", "text/x-python")
    assert not looks_like_file("/.env", b"<html><body>404</body></html>", "text/html")
    assert exposed_files({"sensitive": {"/.env": {"status": 404}, "/manage.py": {
        "status": 200, "content_type": "text/plain", "looks_like_file": True, "body_length": 10}}}) == ["/manage.py"]


def test_asset_links_prefer_same_site_static_css():
    body = (b'<link href="https://cdn.example.org/x.css" rel="stylesheet">'
            b'<script src="/static/app.js"></script><link href="/static/styl.css" rel="stylesheet">'
            b'<a href="/o-nas/">O nas</a>')
    assert asset_links("https://kurz.test/", body, "kurz.test") == ["https://kurz.test/static/styl.css",
                                                                    "https://kurz.test/static/app.js"]


def test_hsts_max_age():
    assert hsts_max_age("max-age=31536000; includeSubDomains") == 31536000
    assert hsts_max_age('max-age="0"') == 0
    assert hsts_max_age("includeSubDomains") is None
