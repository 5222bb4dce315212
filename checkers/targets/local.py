"""--target local: run on this machine (a student deploying on their own Linux, and tests)."""

from __future__ import annotations

import subprocess
import sys

from checkers.errors import CheckerError
from checkers.targets.base import CommandResult


class LocalTransport:
    label = "local"

    def __init__(self):
        if sys.platform == "win32":
            raise CheckerError("Cíl „local“ funguje jen na Linuxu, kde běží kontrolovaný web.",
                               "Na Windows použijte výchozí cíl `--target vagrant` nebo `--target ssh://uživatel@stroj`.")
        self.executions = 0

    def run(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult:
        self.executions += 1
        try:
            proc = subprocess.run(["/bin/sh", "-c", command], input=stdin, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise CheckerError(f"Sonda na tomto počítači nedoběhla do {timeout:g} s.",
                               "Zkuste delší limit, např. `--timeout 300`.") from exc
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def close(self) -> None:
        pass
