"""A static or uploaded file nginx refuses (403): recorded on the real course VM (corpus
static-root-0700-root, media-files-unreadable, collected-admin-closed). Step 11 says nginx refused
the file, not only its status; doctor names the rights (D009) with what it saw."""

from __future__ import annotations

import pytest

from checkers.checks.base import Status
from checkers.doctor import diagnose
from tests.helpers.recorded import all_results, corpus_facts
from tests.unit.test_checks_on_recorded_facts import COURSE


@pytest.mark.parametrize("name, check, url", [
    ("reference/static-root-0700-root.json.gz", "web.E005", "/static/galerie/styl.css"),
    ("home-dir/media-files-unreadable.json.gz", "web.E006", "/media/obrazky/ukazka.svg"),
])
def test_a_file_nginx_refuses_is_said_to_be_refused(name, check, url):
    facts = corpus_facts(name)
    result = all_results(COURSE, facts)[check]
    assert (result.status, result.reason) == (Status.FAILED, "forbidden")
    assert url in result.message and "403" in result.message and "www-data" in result.hint
    assert "doctor.D009" in [d.id for d in diagnose(facts, COURSE)]


def test_a_missing_file_is_no_refusal():
    result = all_results(COURSE, corpus_facts("reference/alias-no-trailing-slash.json.gz"))["web.E005"]
    assert (result.status, result.reason) == (Status.FAILED, "status") and "404" in result.message


def test_served_files_pass():
    results = all_results(COURSE, corpus_facts("reference/ok.json.gz"))
    assert results["web.E005"].status == results["web.E006"].status == Status.PASSED


@pytest.mark.parametrize("name, check, reason, url", [
    ("reference/media-files-unreadable.json.gz", "nginx.E008", "forbidden", "/media/obrazky/ukazka.svg"),
    ("conf-d/collected-admin-closed.json.gz", "nginx.E007", "forbidden", "/static/admin/css/autocomplete.css"),
])
def test_files_the_probes_user_may_not_read_are_requested_all_the_same(name, check, reason, url):
    # Before, the probe dropped a sample it could not read and step 7 passed by behaviour.
    facts = corpus_facts(name)
    result = all_results(COURSE, facts)[check]
    assert (result.status, result.reason) == (Status.FAILED, reason), result.message
    assert url in result.message and "Permission denied" in result.message
    cause = next(d for d in diagnose(facts, COURSE) if d.id.startswith("doctor.D"))
    assert cause.id == "doctor.D009" and cause.reason.endswith("_file")
