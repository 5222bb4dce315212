"""The transport contract: run ONE command on the target and return what it printed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class CommandResult:
    rc: int
    stdout: bytes
    stderr: bytes


class Transport(Protocol):
    label: str
    executions: int  # remote command executions so far (the benchmark counts them)
    loopback: bool  # reached on this computer's loopback: a port-forwarded VM

    def run(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult: ...

    def close(self) -> None: ...
