"""Facts: the probe's JSON document and safe lookups into it (pure: no I/O; files are
checkers.sources' business).

Top-level keys (schema 1): system, packages, systemd, nginx, postgres, processes, listening,
app, django, paths, http, errors, probe, params, gathered. Facts hold derived values only:
never a SECRET_KEY, password or cookie value (the probe masks what it saw).
"""

from __future__ import annotations

import re

SCHEMA = 1


def dig(facts: dict | None, path: str, default=None):
    """facts['a']['b']['c'] for 'a.b.c', or default when any step is missing."""
    node = facts
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return default if node is None else node


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "cil"
