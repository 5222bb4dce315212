"""The facts document's envelope, written the same way by every profile: errors, schema, the
probe's own data, the parameters — and every secret the probe saw masked, wherever it is quoted."""

from __future__ import annotations

import os
import pwd
import re
import sys
import time

SCHEMA = 1
PROBE_VERSION = "1"
MASK = "«skryto»"


def seal(facts: dict, probe, started: float, profile: str | None = None) -> dict:
    facts["errors"] = probe.errors
    facts["schema"] = SCHEMA
    facts["probe"] = {
        "version": PROBE_VERSION, "started_at": started, "duration": round(time.time() - started, 3),
        "user": pwd.getpwuid(os.geteuid()).pw_name, "privileged": os.geteuid() == 0,
        "python": sys.version.split()[0], "timings": probe.timings,
    }
    if profile is not None:
        facts["probe"]["profile"] = profile
    facts["params"] = {k: v for k, v in probe.params.items() if not k.startswith("_")}
    return mask(facts, probe.scrub)


# Assignments of secret-looking names in any text we pass on (a traceback in the journal quotes
# the source line `SECRET_KEY = '…'` even when the settings could not be imported).
SECRET_ASSIGNMENT = re.compile(
    r"""(?P<name>\b[\w]*(?:SECRET|PASSWORD|PASSWD|TOKEN)[\w]*['"]?\s*[:=]\s*)(?P<q>['"])(?P<value>[^'"\n]*)(?P=q)""",
    re.IGNORECASE)


# A password in a URL (postgres://user:PASSWORD@host/db), wherever it is quoted.
URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'\"]*:)(?P<value>[^\s@'\"/]+)@")


def mask(value, secrets: set):
    secrets = sorted((s for s in secrets if isinstance(s, str) and len(s) >= 4), key=len, reverse=True)

    def walk(item):
        if isinstance(item, str):
            for secret in secrets:
                if secret in item:
                    item = item.replace(secret, MASK)
            if "=" in item or ":" in item:
                item = SECRET_ASSIGNMENT.sub(lambda m: m.group("name") + m.group("q") + MASK + m.group("q"), item)
            if "://" in item:
                item = URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", item)
            return item
        if isinstance(item, list):
            return [walk(i) for i in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    return walk(value)
