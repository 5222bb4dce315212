"""Benchmark of class grading (issue 6): `./kurz grade` over 10 and 30 warm targets
(LXC system containers of the course image, every step done), one by one (--concurrency 1) and in
parallel, measured side by side in one run. Also where the time goes: CPU used inside the
containers (the probes), CPU of the grader process, and the lower bound that sets on 2 cores.

    sudo .venv/bin/python bench/bench_grading.py [--sizes 10,30] [--concurrency 8,16] [--repeat 2]

Needs root, lxc and the course image (built on first use by lab.build.ensure_image).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.containers import ContainerLab  # noqa: E402


def write_roster(path: Path, lab: ContainerLab, keys: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "id", "target", "identity"])
        for key in keys:
            writer.writerow([f"Student {key}", f"{key}@skola.cz", f"ssh://vagrant@{lab.items[key].ip}", str(lab.ssh_key)])
    return path


def cpu_times() -> list[int]:
    """The machine's /proc/stat cpu line: user nice system idle iowait irq softirq steal (ticks)."""
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


def grade(lab: ContainerLab, roster: Path, out: Path, home: Path, concurrency: int, keys: list[str]) -> dict:
    env = {**os.environ, "CHECKERS_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    cpu_before = {k: lab.cpu_ns(k) for k in keys}
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stat_before = cpu_times()
    start = time.perf_counter()
    proc = subprocess.run(lab.netns_argv([sys.executable, "-m", "checkers", "grade", str(roster), "--out", str(out),
                                          "--concurrency", str(concurrency), "--timeout", "120"]),
                          cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    delta = [a - b for a, b in zip(cpu_times(), stat_before)]
    steal = delta[7] / max(1, sum(delta))
    if proc.returncode != 0:
        raise SystemExit(f"grading failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    container_cpu = sum(lab.cpu_ns(k) - cpu_before[k] for k in keys) / 1e9
    grader_cpu = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    run_id = document["run"]["id"]
    db = sqlite3.connect(out / "gradebook.sqlite")
    facts = [json.loads(row[0]) for row in db.execute(
        "SELECT f.document FROM targets t JOIN facts f ON f.id = t.facts_id WHERE t.run_id = ?", (run_id,))]
    db.close()
    assert len(facts) == len(keys) and all(s["state"] == "graded" for s in document["students"])
    assert all(f["gathered"]["remote_executions"] == 1 for f in facts)
    return {
        "wall": wall, "steal": steal, "container_cpu": container_cpu, "grader_cpu": grader_cpu,
        "per_target": [s["seconds"] for s in document["students"]],
        "probe": [f["probe"]["duration"] for f in facts],
        "timings": [f["probe"].get("timings", {}) for f in facts],
        "points": {s["points"] for s in document["students"]},
    }


SSH_ONLY = """
import sys, paramiko
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect(sys.argv[1], username="vagrant", key_filename=sys.argv[2], look_for_keys=False, allow_agent=False)
channel = client.get_transport().open_session()
channel.exec_command("sudo -n true")
sys.exit(channel.recv_exit_status())
"""


def breakdown(lab: ContainerLab, keys: list[str]) -> dict:
    """Where a target's CPU goes, measured inside containers one at a time: the probe's own process
    tree (bash `time`), the web stack answering its HTTP requests (the rest of the container's cgroup
    usage), and an SSH session with sudo alone (what the transport costs before the probe runs)."""
    from checkers.course import load_course
    from checkers.probe_bundle import build_script
    from checkers.session import probe_params

    script = build_script(dict(probe_params(load_course(), None, "vm"), browser_port=None)).encode()
    rows = []
    for key in keys:
        pid0 = int(lab.attach(key, "cat /proc/sys/kernel/ns_last_pid").stdout)
        before = lab.cpu_ns(key)
        proc = lab.attach(key, "TIMEFORMAT='%U %S'; time (python3 -I - > /root/probe.json)", input=script)
        container = (lab.cpu_ns(key) - before) / 1e9
        pid1 = int(lab.attach(key, "cat /proc/sys/kernel/ns_last_pid").stdout)
        user, system = (float(x) for x in proc.stderr.decode().split()[-2:])
        facts = json.loads(lab.attach(key, "tail -1 /root/probe.json").stdout)
        before = lab.cpu_ns(key)
        subprocess.run(lab.netns_argv([sys.executable, "-c", SSH_ONLY, lab.items[key].ip, str(lab.ssh_key)]),
                       check=True, capture_output=True)
        ssh = (lab.cpu_ns(key) - before) / 1e9
        rows.append({"probe_tree": user + system, "web_stack": max(0.0, container - (user + system)), "ssh": ssh,
                     "processes": pid1 - pid0 - 2, "timings": facts["probe"]["timings"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,30")
    parser.add_argument("--concurrency", default="8,16")
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    sizes = [int(x) for x in options.sizes.split(",")]
    levels = [int(x) for x in options.concurrency.split(",")]
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        with ContainerLab(tmp_path / "lab", log=lambda m: print(m, file=sys.stderr)) as lab:
            keys = [f"s{i:02d}" for i in range(1, max(sizes) + 1)]
            lab.containers([(k, 11) for k in keys])
            lab.start_all()
            lab.wait_ready()
            print(f"{len(keys)} containers (all steps done) up in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            home = tmp_path / "home"
            warm = grade(lab, write_roster(tmp_path / "warm.csv", lab, keys), tmp_path / "warm", home, 8, keys)
            print(f"warm-up run: {warm['wall']:.1f} s", file=sys.stderr)
            parts = breakdown(lab, keys[:5])
            rows = []
            for repeat in range(options.repeat):
                for size in sizes:
                    subset = keys[:size]
                    roster = write_roster(tmp_path / f"r{size}.csv", lab, subset)
                    for concurrency in [1, *levels]:
                        if concurrency > 1 and concurrency > size and concurrency != levels[0]:
                            continue
                        out = tmp_path / f"out-{size}-{concurrency}"
                        result = grade(lab, roster, out, home, concurrency, subset)
                        rows.append((size, concurrency, result))
                        print(f"  run {repeat + 1}: {size} targets, concurrency {concurrency}: {result['wall']:.2f} s",
                              file=sys.stderr)
    print(f"\nClass grading benchmark on {cores} cores, warm containers with every step done "
          f"(median of {options.repeat} runs; wall time includes starting the grader, ~0.4 s)")
    print(f"load average before the runs: {load[0]:.1f} (other work on this machine competes for the same cores)\n")
    print(f"{'targets':>7} {'concur.':>7} {'wall s':>7} {'s/target':>8} {'speed-up':>8} {'probe CPU s':>11} "
          f"{'grader CPU s':>12} {'CPU bound s':>11}")
    summary = {}
    for size in sizes:
        serial = statistics.median(r["wall"] for s, c, r in rows if s == size and c == 1)
        for concurrency in sorted({c for s, c, _ in rows if s == size}):
            results = [r for s, c, r in rows if s == size and c == concurrency]
            wall = statistics.median(r["wall"] for r in results)
            container_cpu = statistics.median(r["container_cpu"] for r in results)
            grader_cpu = statistics.median(r["grader_cpu"] for r in results)
            bound = (container_cpu + grader_cpu) / cores
            summary[(size, concurrency)] = wall
            print(f"{size:>7} {concurrency:>7} {wall:>7.2f} {wall / size:>8.3f} {serial / wall:>7.2f}× "
                  f"{container_cpu:>11.1f} {grader_cpu:>12.1f} {bound:>11.1f}")
    steal = statistics.median(r["steal"] for _, _, r in rows)
    print(f"\nCPU time stolen by the hypervisor during the runs (median): {steal:.0%}")
    probes = [p for _, _, r in rows for p in r["probe"]]
    print(f"probe duration on the target (wall, inside): median {statistics.median(probes):.2f} s, "
          f"max {max(probes):.2f} s")
    collectors: dict[str, list[float]] = {}
    for _, c, r in rows:
        if c == 1:
            for timings in r["timings"]:
                for name, value in timings.items():
                    collectors.setdefault(name, []).append(value)
    slowest = sorted(((statistics.median(v), k) for k, v in collectors.items()), reverse=True)[:5]
    print("slowest probe collectors when graded one by one (median s): "
          + ", ".join(f"{k} {v:.2f}" for v, k in slowest))
    per_target_cpu = statistics.median(r["container_cpu"] / s for s, c, r in rows if c == 1)
    per_target_grader = statistics.median(r["grader_cpu"] / s for s, c, r in rows if c == 1)
    print(f"CPU per target: {per_target_cpu:.2f} s inside the container (probe, sshd, sudo, Django, gunicorn) + "
          f"{per_target_grader:.2f} s in the grader (SSH handshake, JSON, checks, SQLite)")
    median = lambda name: statistics.median(r[name] for r in parts)  # noqa: E731
    print(f"inside one container, per probe (median of {len(parts)}, measured one at a time): probe process tree "
          f"{median('probe_tree'):.2f} s CPU ({median('processes'):.0f} processes spawned), web stack answering its "
          f"requests {median('web_stack'):.2f} s, an SSH session with sudo alone {median('ssh'):.2f} s")
    inner = {}
    for row in parts:
        for name, value in row["timings"].items():
            inner.setdefault(name, []).append(value)
    print("probe collectors, wall time when alone (median s): " + ", ".join(
        f"{k} {statistics.median(v):.2f}" for k, v in sorted(inner.items(), key=lambda kv: -statistics.median(kv[1]))
        if statistics.median(v) >= 0.01))
    if 30 in sizes:
        best = min(w for (s, _), w in summary.items() if s == 30)
        floor = 30 * (per_target_cpu + per_target_grader) / cores
        print(f"30 targets: best {best:.1f} s; the CPU alone needs ≥ {floor:.1f} s on {cores} cores "
              f"(goal ≤ 10 s {'met' if best <= 10 else 'not met'})")


if __name__ == "__main__":
    main()
