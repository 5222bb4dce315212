"""The systemd journal of the app's units, as entries per unit (its own processes' lines and
systemd's lines about it)."""

from __future__ import annotations

import json

from checkers.probe.runtime import run


def journal(units: list, lines: int = 300) -> dict:
    """The journal tail per unit; systemd's own messages about a unit are included (UNIT=)."""
    if not units:
        return {}
    args = ["journalctl", "--no-pager", "-n", str(lines), "-o", "json",
            "--output-fields=MESSAGE,_SYSTEMD_UNIT,UNIT,PRIORITY,_PID,INVOCATION_ID,_SYSTEMD_INVOCATION_ID"]
    for unit in units:
        args += ["-u", unit]
    result = run(args, timeout=20)
    per_unit = journal_entries(result.out, units)
    if result.rc != 0 and not any(per_unit.values()):
        return {"error": (result.err or result.out).strip()[-500:]}
    return per_unit


def journal_entries(output: str, units: list) -> dict:
    """`journalctl -o json` lines as {unit: [entry, …]}. A unit's own processes log under
    _SYSTEMD_UNIT; systemd's lines about it ("Failed with result …") come from PID 1 in init.scope
    and name it in UNIT=, with the unit's run in INVOCATION_ID."""
    per_unit = {unit: [] for unit in units}
    for line in output.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("MESSAGE")
        if isinstance(message, list):  # journald stores non-UTF-8 messages as byte arrays
            message = bytes(message).decode("utf-8", "replace")
        own = entry.get("_SYSTEMD_UNIT") in per_unit
        unit = entry.get("_SYSTEMD_UNIT") if own else entry.get("UNIT")
        if unit not in per_unit or not isinstance(message, str):
            continue
        per_unit[unit].append({
            "t": int(entry.get("__REALTIME_TIMESTAMP", "0")) / 1e6,
            "prio": int(entry.get("PRIORITY", "6")),
            "pid": entry.get("_PID"),
            "inv": entry.get("_SYSTEMD_INVOCATION_ID") if own else entry.get("INVOCATION_ID"),
            "msg": message[:2000],
        })
    return per_unit
