"""The probe's reading of systemd: the journal per unit, and when a unit changed during the probe."""

from __future__ import annotations

import json

from checkers.probe.journal import journal_entries
from checkers.probe.systemd import unit_changed

UNITS = ["gunicorn.service", "gunicorn.socket"]


def _line(**fields) -> str:
    return json.dumps({"__REALTIME_TIMESTAMP": "1796360606978765", "PRIORITY": "6", **fields})


def test_systemds_own_lines_about_the_unit_are_kept_with_the_units_run():
    # journalctl -u gunicorn.service -o json, as on the course VM: gunicorn's own line, then PID 1's
    output = "\n".join([
        _line(MESSAGE="gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>", _PID="2779",
              _SYSTEMD_UNIT="gunicorn.service", _SYSTEMD_INVOCATION_ID="878f"),
        _line(MESSAGE="gunicorn.service: Failed with result 'exit-code'.", _PID="1", PRIORITY="4",
              _SYSTEMD_UNIT="init.scope", UNIT="gunicorn.service", INVOCATION_ID="878f"),
        _line(MESSAGE="gunicorn.socket: Failed with result 'service-start-limit-hit'.", _PID="1",
              _SYSTEMD_UNIT="init.scope", UNIT="gunicorn.socket"),
        _line(MESSAGE="Started session-3.scope.", _PID="1", _SYSTEMD_UNIT="init.scope", UNIT="session-3.scope"),
        "not json",
    ])
    found = journal_entries(output, UNITS)
    service = found["gunicorn.service"]
    assert [e["msg"] for e in service] == ["gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>",
                                           "gunicorn.service: Failed with result 'exit-code'."]
    assert [e["inv"] for e in service] == ["878f", "878f"]  # one run: the crash and systemd's verdict on it
    assert service[1]["pid"] == "1" and service[1]["prio"] == 4 and service[1]["t"] == 1796360606.978765
    assert [e["msg"] for e in found["gunicorn.socket"]] == ["gunicorn.socket: Failed with result 'service-start-limit-hit'."]


def test_a_message_journald_stored_as_bytes_is_decoded():
    output = _line(MESSAGE=list("chyba \u017e".encode()), _SYSTEMD_UNIT="gunicorn.service", _PID="7")
    assert journal_entries(output, UNITS)["gunicorn.service"][0]["msg"] == "chyba \u017e"


def test_the_journal_is_read_again_only_for_a_unit_that_changed_during_the_probe():
    first = {"active_state": "active", "sub_state": "running", "main_pid": 812, "n_restarts": 2}
    same = {"active_state": "active", "sub_state": "running", "main_pid": 812, "n_restarts": 2}
    assert not unit_changed(first, same)
    assert unit_changed(first, {**same, "n_restarts": 3})  # restarted by systemd and up again
    assert unit_changed(first, {**same, "main_pid": 0, "active_state": "activating", "sub_state": "auto-restart"})
    assert unit_changed(first, {**same, "main_pid": 901})  # restarted by hand: NRestarts starts at 0 again
    assert unit_changed(None, same)  # never seen at the first look


def test_a_verify_that_does_not_finish_is_recorded_as_such_not_as_an_error(monkeypatch, tmp_path):
    # A busy VM (a crash loop, software emulation) once kept systemd-analyze verify past its 20 s;
    # here a real process that outlives a short limit stands in for it, run by the probe's own runner.
    from checkers.probe import systemd
    from checkers.probe.runtime import run as real_run
    monkeypatch.setattr(systemd, "run", lambda args, timeout: real_run(["sleep", "5"], timeout=0.3))
    unit = tmp_path / "gunicorn.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    found = systemd.SystemdFacts.verify({"app_units": ["gunicorn.service"],
                                         "units": {"gunicorn.service": {"fragment_path": str(unit)}}})
    assert found["gunicorn.service"]["timed_out"] is True
    assert found["gunicorn.service"]["rc"] == 124 and "timed out after" in found["gunicorn.service"]["output"]


def test_a_verify_that_finished_has_no_timeout_mark(monkeypatch, tmp_path):
    from checkers.probe import systemd
    from checkers.probe.runtime import run as real_run
    monkeypatch.setattr(systemd, "run", lambda args, timeout: real_run(["sh", "-c", "echo 'Unknown key Userr' >&2; exit 1"],
                                                                      timeout=5))
    unit = tmp_path / "gunicorn.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    found = systemd.SystemdFacts.verify({"app_units": ["gunicorn.service"],
                                         "units": {"gunicorn.service": {"fragment_path": str(unit)}}})
    assert found["gunicorn.service"] == {"rc": 1, "output": "Unknown key Userr", "timed_out": False}
