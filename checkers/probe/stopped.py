"""Where a Django inspection that did not finish stopped: the project's file and line.

A hang: django_inspect writes one marked JSON line with the main thread's stack shortly before
the probe ends it. A crash of the interpreter (a signal): faulthandler's dump of the current
thread ("File "…", line N in …", most recent call first). Either gives the project's innermost
frame, so the student reads "settings import hangs at my_project/settings.py:131", never
"broken venv". Locations only: neither source carries a value.
"""

from __future__ import annotations

import json
import re

HANG_MARKER = "KURZ_INSPECTION_STOPPED_AT "
FAULTHANDLER_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>.+)$')


def _ours(path: str, project_dir: str) -> bool:
    if not path or path.startswith("<"):
        return False
    if "-packages/" in path or "/lib/python3" in path and not path.startswith(project_dir + "/"):
        return False
    return path.startswith(project_dir + "/") if project_dir else True


def where_stopped(django: dict, project_dir: str | None) -> dict | None:
    """{"how": "hang"|"crash", "file", "line"} for an inspection that hung or crashed, else None;
    the marker line is removed from the stderr shown to the student."""
    if not isinstance(django, dict) or django.get("not_run") not in ("timeout", "crashed"):
        return None
    text = django.get("stderr") or ""
    project_dir = (project_dir or "").rstrip("/")
    how = "hang" if django["not_run"] == "timeout" else "crash"
    found = None
    kept = []
    for line in text.splitlines():
        if line.startswith(HANG_MARKER):
            try:
                data = json.loads(line[len(HANG_MARKER):])
            except ValueError:
                continue
            stack = [(f, n) for f, n in data.get("stack") or [] if isinstance(f, str)]
            ours = [(f, n) for f, n in stack if _ours(f, project_dir)]
            file, number = ours[0] if ours else (data.get("file"), data.get("line"))
            found = {"how": how, "file": file, "line": number}
            continue
        kept.append(line)
        match = FAULTHANDLER_FRAME.match(line)
        if found is None and match and _ours(match.group("file"), project_dir):
            found = {"how": how, "file": match.group("file"), "line": int(match.group("line"))}
    if found is None and "Timeout" not in text and how == "hang":
        return None
    django["stderr"] = "\n".join(kept).strip()
    if found is not None:
        django["stopped_at"] = found
    return found
