"""Benchmark of the checker engine (issue 2): wall time of one step and of `all`, and the number
of remote command executions per run, for --target local and for SSH to a real sshd on 127.0.0.1.

    .venv/bin/python bench/bench_checker.py [--repeat 5]

Prints numbers and ratios measured side by side in one run (these machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkers.course import load_course  # noqa: E402
from tests.helpers.cli import run_cli  # noqa: E402
from tests.helpers.django_project import make_django_project  # noqa: E402
from tests.helpers.sshd import Sshd  # noqa: E402


def measure(args: list[str], home: Path, repeat: int, facts: Path) -> tuple[float, int]:
    times = []
    executions = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_cli(*args, "--save-facts", str(facts), home=home)
        times.append(time.perf_counter() - start)
        if result.rc not in (0, 1):
            raise SystemExit(f"run failed: {result.stderr}")
        executions = json.loads(facts.read_text())["gathered"]["remote_executions"]
    return statistics.median(times), executions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        project = make_django_project(tmp_path / "projekt", debug=False, allowed_hosts=["127.0.0.1"], secret="file",
                                      static_root="BASE_DIR / 'static'", media_root="BASE_DIR / 'media'")
        sshd = Sshd(tmp_path / "sshd").start()
        try:
            targets = {
                "local": ["--target", "local"],
                "ssh 127.0.0.1": ["--target", f"ssh://root@127.0.0.1:{sshd.port}", "--identity", str(sshd.client_key)],
            }
            rows = []
            for name, target in targets.items():
                for label in ("step1", "all"):
                    seconds, executions = measure([*target, "--project", str(project), "--json", label],
                                                  tmp_path / "home", options.repeat, tmp_path / "facts.json")
                    course = load_course()
                    steps = [course.step("step1")] if label == "step1" else course.required_steps
                    checks = sum(len(step.checks) for step in steps)
                    rows.append((name, label, seconds, executions, checks))
        finally:
            sshd.stop()
    print(f"{'target':<15} {'run':<6} {'median wall s':>14} {'remote executions':>18} {'checks':>7}")
    for name, label, seconds, executions, checks in rows:
        print(f"{name:<15} {label:<6} {seconds:>14.3f} {executions:>18} {checks:>7}")
    by_key = {(r[0], r[1]): r[2] for r in rows}
    for name in ("local", "ssh 127.0.0.1"):
        print(f"{name}: all / step1 = {by_key[(name, 'all')] / by_key[(name, 'step1')]:.2f}×")
    print(f"ssh / local (all) = {by_key[('ssh 127.0.0.1', 'all')] / by_key[('local', 'all')]:.2f}×")


if __name__ == "__main__":
    main()
