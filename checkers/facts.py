"""Facts: the probe's JSON document, saved to and loaded from disk, and safe lookups into it.

Top-level keys (schema 1): system, packages, systemd, nginx, postgres, processes, listening,
app, django, paths, http, errors, probe, params, gathered. Facts hold derived values only:
never a SECRET_KEY, password or cookie value (the probe masks what it saw).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from checkers.errors import CheckerError
from checkers.progress import write_atomic

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


def save(facts: dict, path: Path) -> Path:
    write_atomic(path, json.dumps(facts, ensure_ascii=False, indent=1) + "\n")
    return path


def load(path: Path) -> dict:
    try:
        facts = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckerError(f"Soubor s fakty {path} neexistuje.", "Zkontrolujte cestu v parametru --facts.") from exc
    except (OSError, ValueError) as exc:
        raise CheckerError(f"Soubor s fakty {path} nejde přečíst jako JSON: {exc}.",
                           "Použijte soubor uložený checkerem (--save-facts).") from exc
    if not isinstance(facts, dict) or facts.get("schema") != SCHEMA:
        raise CheckerError(f"Soubor {path} nejsou fakta ve verzi {SCHEMA}.", "Použijte soubor uložený checkerem.")
    return facts
