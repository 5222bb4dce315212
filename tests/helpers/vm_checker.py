"""Run the real checker CLI against the course VM of the VM tier (through its ssh-config)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import CliRun, run_cli


def check_vm(vm, *args: str, home: Path, timeout: float = 600) -> CliRun:
    return run_cli("--target", "ssh://default", "--ssh-config", str(vm.ssh_config), "--timeout", "300", *args,
                   home=home, timeout=timeout)


def step_statuses(run: CliRun) -> dict[str, str]:
    return {s["id"]: s["status"] for s in run.json["steps"]}
