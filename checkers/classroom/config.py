"""The joined class on the student's side: state_dir()/class.json, mode 0600.

It holds the address, the per-student token, the name, the course title and, for an https address,
the pinned SHA-256 fingerprint of the server's certificate. The token is a password: it is never
printed, never put in a message or a log. Kept apart from client.py so that a run only needs json
to know whether and where it is joined (no ssl/http imports on the student's critical path).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from checkers.paths import state_dir
from checkers.storage import write_atomic

CONFIG_FILE = "class.json"
CONFIG_SCHEMA = 1


@dataclass
class ClassConfig:
    address: str  # scheme://host:port, without a path
    token: str
    student_id: object
    name: str
    course: str = ""
    fingerprint: str | None = None  # "SHA256:AB:CD:…" for https, None for http
    joined_at: str = ""

    def public(self) -> dict:
        """Everything but the token (for `class status --json`)."""
        data = asdict(self)
        data.pop("token")
        return data


def config_path() -> Path:
    return state_dir() / CONFIG_FILE


def load_config() -> ClassConfig | None:
    """The joined class, or None when not joined (or class.json is unreadable: then we behave as not
    joined, and `class status` says why)."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
        fields = {k: data[k] for k in ClassConfig.__dataclass_fields__ if k in data}
        config = ClassConfig(**fields)
    except (OSError, ValueError, TypeError):
        return None
    if not (isinstance(config.address, str) and isinstance(config.token, str) and config.token):
        return None
    return config


def save_config(config: ClassConfig) -> Path:
    """Written atomically and created 0600 (never readable by others, not even for an instant)."""
    path = config_path()
    data = {"schema": CONFIG_SCHEMA, **asdict(config)}
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1), mode=0o600)
    return path
