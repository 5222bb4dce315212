"""What joining a class costs a student's run (issue 17): wall time of `step1 --target local` not
joined, joined with the class server up, and joined with the server stopped (the run queues), measured
side by side in one run (these machines are noisy), plus how long `class status --send` takes to
deliver a queue of 20 submissions after the server is back.

    .venv/bin/python bench/bench_class_client.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.classroom.client_helpers import check, join, queued, status  # noqa: E402
from tests.classroom.server_helpers import ClassServer  # noqa: E402
from tests.helpers.django_project import make_django_project  # noqa: E402


def median_run(home: Path, project: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = check(home, project, "step1")
        times.append(time.perf_counter() - start)
        if result.rc not in (0, 1):
            raise SystemExit(f"run failed: {result.stderr}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        project = make_django_project(tmp_path / "projekt", debug=False)
        server = ClassServer(tmp_path / "server").start()
        try:
            alone, member = tmp_path / "alone", tmp_path / "member"
            alone.mkdir()
            member.mkdir()
            join(member, server, "Jana Nováková")
            rows = []
            for _ in range(2):  # interleaved, twice, so drift of the machine hits all three alike
                rows.append(("not joined", median_run(alone, project, options.repeat)))
                rows.append(("joined, server up", median_run(member, project, options.repeat)))
                server.stop()
                rows.append(("joined, server down (queues)", median_run(member, project, options.repeat)))
                server.start()
                status(member, "--send")
            server.stop()
            for _ in range(20):
                check(member, project, "step1")
            server.start()
            start = time.perf_counter()
            status(member, "--send")
            flush = time.perf_counter() - start
            assert not queued(member)
        finally:
            server.stop()
    print(f"{'run of step1 --target local':34} median seconds (repeat {options.repeat})")
    for label in ("not joined", "joined, server up", "joined, server down (queues)"):
        values = [seconds for name, seconds in rows if name == label]
        print(f"  {label:32} {' '.join(f'{v:.3f}' for v in values)}")
    print(f"class status --send, 20 queued: {flush:.3f} s (one process start included)")


if __name__ == "__main__":
    main()
