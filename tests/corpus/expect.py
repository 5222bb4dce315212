"""The verdicts of the real engine on recorded facts, and how they differ from expectations."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

from checkers.doctor import diagnose
from checkers.session import evaluate

SUMMARY_KEYS = ("failing_steps", "failing_checks", "doctor_first", "unverified_checks")


def load_facts(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def _value(status) -> str:
    return getattr(status, "value", status)


def verdict_summary(facts: dict, course) -> dict:
    """What the checker says on these facts, as `python -m checkers all` and `doctor` would:
    failing_steps (status "failed"), failing_checks (own status "failed"), doctor_first (first
    diagnosis id starting with doctor.D, "" for none), unverified_checks; error_checks lists
    checks that crashed (never expected)."""
    runs = evaluate(copy.deepcopy(facts), course, list(course.required_steps))
    results = [r for run in runs for r in run.results]
    findings = diagnose(copy.deepcopy(facts))
    return {
        "failing_steps": [run.step.id for run in runs if run.status == "failed"],
        "failing_checks": sorted(r.id for r in results if _value(r.status) == "failed"),
        "doctor_first": next((f.id for f in findings if f.id.startswith("doctor.D")), ""),
        "unverified_checks": sorted(r.id for r in results if _value(r.status) == "unverified"),
        "error_checks": sorted(r.id for r in results if _value(r.status) == "error"),
        "doctor_all": [f.id for f in findings],
    }


def compare(expected: dict, summary: dict) -> list[str]:
    """Human-readable differences between the expectation and the summary ([] = as expected).
    unverified_checks is compared only when the expectation gives it; a crashed check always differs."""
    diffs = []
    for key in ("failing_steps", "failing_checks", "unverified_checks"):
        if key not in expected:
            continue
        want, got = set(expected[key]), set(summary.get(key, []))
        if want != got:
            parts = []
            if want - got:
                parts.append("missing " + ", ".join(sorted(want - got)))
            if got - want:
                parts.append("unexpected " + ", ".join(sorted(got - want)))
            diffs.append(f"{key}: {'; '.join(parts)} (expected [{', '.join(sorted(want))}], "
                         f"got [{', '.join(sorted(got))}])")
    if "doctor_first" in expected and expected["doctor_first"] != summary.get("doctor_first", ""):
        diffs.append(f"doctor_first: expected {expected['doctor_first'] or '(none)'}, "
                     f"got {summary.get('doctor_first') or '(none)'} (all: {', '.join(summary.get('doctor_all', [])) or '-'})")
    if summary.get("error_checks"):
        diffs.append("checks crashed: " + ", ".join(summary["error_checks"]))
    return diffs


def state_outline(facts: dict) -> str:
    """What a failing re-recording saw, for the CI log (the facts themselves stay on that machine):
    the app units at the first look and at the probe's end, gunicorn masters and nginx's last
    upstream error. Timing decides these on crash loops."""
    systemd = facts.get("systemd") or {}
    later = systemd.get("resampled") or {}
    lines = [f"probe: {((facts.get('probe') or {}).get('duration'))} s"]
    for name in systemd.get("app_units") or []:
        unit = (systemd.get("units") or {}).get(name) or {}
        shown = {k: unit.get(k) for k in ("active_state", "sub_state", "result", "n_restarts", "main_pid", "main_started_ago")}
        end = {k: v for k, v in (later.get(name) or {}).items() if k != "journal"}
        failures = sum("Failed with result" in (e.get("msg") or "") for e in (systemd.get("journal") or {}).get(name) or [])
        lines.append(f"{name}: first {shown}; end {end or '-'}; 'Failed with result' lines: {failures}"
                     + ("; journal read again" if "journal" in (later.get(name) or {}) else ""))
    masters = [p.get("pid") for p in facts.get("processes") or [] if "gunicorn" in " ".join(p.get("argv") or [])
               and not any("gunicorn" in " ".join(q.get("argv") or []) and q.get("pid") == p.get("ppid")
                           for q in facts.get("processes") or [])]
    lines.append(f"gunicorn masters: {masters or '-'}")
    logs = ((facts.get("nginx") or {}).get("error_log") or {}).values()
    upstream = [line for log in logs if isinstance(log, list) for line in log if "upstream" in line]
    lines.append(f"nginx's last upstream error: {upstream[-1][:220] if upstream else '-'}")
    return "\n".join(lines)
