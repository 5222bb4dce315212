"""Run the real CLI (`./kurz`) in a subprocess, as a student would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class CliRun:
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def statuses(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.json["checks"]}


def run_cli(*args: str, home: Path, env: dict | None = None, timeout: float = 300, cwd: Path | None = None) -> CliRun:
    full_env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(home / "no-book"),
                "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "checkers", *args], cwd=cwd or REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    return CliRun(proc.returncode, proc.stdout, proc.stderr)
