"""`./kurz submit [--out FILE]`: the offline path. Checks every step once (as `all`) and writes one
submission document (protocol.py: facts + verdicts + time, masked, no token) that the student uploads
to a Moodle assignment; the teacher's `grade --import` grades it with regrade's engine.

File name: kurz-odevzdani-<name slug or "student">-<YYYYmmdd-HHMMSS>.json in the current directory
(or in --out when it is a directory; --out FILE names it). When joined to a class, the run is also
queued and sent like any other run (command "submit").
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from checkers.errors import CheckerError

FILE_PREFIX = "kurz-odevzdani"


def output_path(out: str | None, name: str | None) -> Path:
    default = f"{FILE_PREFIX}-{slug(name) if name else 'student'}-{datetime.now():%Y%m%d-%H%M%S}.json"
    if not out:
        return Path.cwd() / default
    path = Path(out).expanduser()
    return path / default if path.is_dir() else path


def slug(name: str) -> str:
    """„Jana Nováková“ -> jana-novakova (ASCII, safe in every file system and in Moodle's zip)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "student"


def write_submission(path: Path, document: dict) -> None:
    from checkers.storage import storage_problem, write_atomic

    try:
        write_atomic(path, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise CheckerError(f"{storage_problem(exc, path)} Odevzdání se neuložilo.",
                           "Zadejte jiné místo: `./kurz submit --out ~/odevzdani.json`.") from None
