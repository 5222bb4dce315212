"""Benchmark of the class server (issue 17): N simulated students (default 300) on 127.0.0.1, each
sending a realistic submission (a recorded facts document of the course VM, ~34 KB) every 5 s, for
a bounded time. Printed side by side: submissions per second, HTTP latency (p50/p90/p99/max), where
the server's time went (its Server-Timing header: prepare = decode + validate + mask + re-grade,
store = the single writer's transaction), and the latency of the dashboard's live update (from the
moment a submission is sent to the moment its row arrives on an open /events stream).

    .venv/bin/python bench/bench_class_server.py [--students 300] [--interval 5] [--seconds 60]
                                                 [--same-facts] [--tls]

Every student's facts differ per run (the probe's time stamp), as real runs do, so the server's
per-facts cache does not flatter the figures; --same-facts shows the cached case. The server is the
real `python -m checkers class serve`, in its own process group, stopped by its PID at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PASSWORD = "bench-heslo-123"
FACTS = REPO / "tests" / "fixtures" / "facts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, out: Path, tls: bool):
        self.port, self.tls = free_port(), tls
        env = {**os.environ, "KURZ_TEACHER_PASSWORD": PASSWORD, "KURZ_CLASS_LIMITS": "join_burst=100000"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "checkers", "class", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--out", str(out), *(["--tls"] if tls else [])], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        output = ""
        for line in self.proc.stdout:
            output += line
            if "Ctrl-C" in line:
                break
        found = re.search(r"Kód třídy: ([A-Z]{4}-\d{4})", output)
        if not found:
            self.stop()
            raise SystemExit(f"the class server did not start:\n{output}")
        self.code = found.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def connection(self) -> http.client.HTTPConnection:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def post(conn, path: str, body: bytes, headers: dict):
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def server_timing(header: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"(\w+);dur=([\d.]+)", header or "")}


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.http: list[float] = []
        self.prepare: list[float] = []
        self.store: list[float] = []
        self.sse: list[float] = []
        self.errors: dict[str, int] = {}
        self.sent_at: dict[int, float] = {}  # student id -> when its newest submission was sent

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def student_loop(server: Server, student: int, token: str, facts_json: str, args, start: float, stop: float,
                 results: Results) -> None:
    conn = server.connection()
    sequence = 0
    next_at = start + (student % args.students) * args.interval / args.students  # spread over the interval
    while True:
        now = time.monotonic()
        if next_at >= stop:
            break
        if next_at > now:
            time.sleep(next_at - now)
        next_at += args.interval
        sequence += 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        facts = facts_json if args.same_facts else facts_json.replace('"gathered":', f'"gathered_run":"{uuid.uuid4().hex}","gathered":', 1)
        body = (f'{{"kind":"kurz-submission","schema":1,"id":"{uuid.uuid4().hex}","sequence":{sequence},'
                f'"created_at":"{stamp}","command":"all","checker":{{"version":"bench","checks_digest":"x"}},'
                f'"target":"vagrant","facts":{facts},"verdicts":{{"steps":[]}}}}').encode()
        sent = time.monotonic()
        with results.lock:
            results.sent_at[student] = sent
        try:
            status, headers, _ = post(conn, "/api/submissions", body, {"Authorization": f"Bearer {token}"})
        except (OSError, http.client.HTTPException) as exc:
            results.error(type(exc).__name__)
            conn.close()
            conn = server.connection()
            continue
        elapsed = time.monotonic() - sent
        if status != 201:
            results.error(f"HTTP {status}")
            continue
        timing = server_timing(headers.get("server-timing", ""))
        with results.lock:
            results.http.append(elapsed)
            results.prepare.append(timing.get("prepare", 0) / 1000)
            results.store.append(timing.get("store", 0) / 1000)
    conn.close()


def watch_dashboard(server: Server, ids: dict[int, int], results: Results, stop: threading.Event) -> None:
    """Log in as the teacher and read /events; each row event closes its student's newest submission."""
    conn = server.connection()
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("set-cookie").split(";", 1)[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    status, headers, _ = post(conn, "/login", urllib.parse.urlencode({"csrf": csrf, "password": PASSWORD}).encode(),
                              {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    cookie = headers.get("set-cookie", cookie).split(";", 1)[0]
    conn.close()
    stream = server.connection()
    stream.request("GET", "/events", headers={"Cookie": cookie, "Accept": "text/event-stream"})
    response = stream.getresponse()
    event = None
    while not stop.is_set():
        line = response.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "row":
            student = json.loads(line[5:])["id"]
            now = time.monotonic()
            with results.lock:
                sent = results.sent_at.pop(ids.get(student, -1), None)
                if sent is not None:
                    results.sse.append(now - sent)
    stream.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--facts", default="vm-solved")
    parser.add_argument("--same-facts", action="store_true")
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    if not (1 <= args.students <= 2000 and 0.5 <= args.interval <= 60 and 1 <= args.seconds <= 900):
        raise SystemExit("bounded loops: 1–2000 students, interval 0.5–60 s, 1–900 s")
    facts_json = json.dumps(json.loads((FACTS / f"{args.facts}.json").read_text()), separators=(",", ":"))
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        server = Server(Path(tmp) / "out", args.tls)
        try:
            tokens, ids = [], {}
            conn = server.connection()
            for index in range(args.students):
                status, _, body = post(conn, "/api/join", json.dumps(
                    {"code": server.code, "name": f"Student {index:03d}"}).encode(), {})
                if status != 201:
                    raise SystemExit(f"join failed: {status} {body[:200]!r}")
                joined = json.loads(body)
                tokens.append(joined["token"])
                ids[joined["student_id"]] = index
            conn.close()
            results = Results()
            stop_watch = threading.Event()
            watcher = threading.Thread(target=watch_dashboard, args=(server, ids, results, stop_watch), daemon=True)
            watcher.start()
            time.sleep(1.0)
            cpu_before = _cpu(server.proc.pid)
            own_before = time.process_time()
            start = time.monotonic() + 0.5
            stop = start + args.seconds
            threads = [threading.Thread(target=student_loop, args=(server, i, tokens[i], facts_json, args, start, stop,
                                                                   results), daemon=True)
                       for i in range(args.students)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 120)
            time.sleep(1.0)  # the last rows reach the stream
            wall = time.monotonic() - start
            cpu = _cpu(server.proc.pid) - cpu_before
            own = time.process_time() - own_before
            stop_watch.set()
        finally:
            server.stop()
    report(args, results, wall, cpu, own)
    return 0


def _cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the server's process group (it and its graders)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def report(args, results: Results, wall: float, cpu: float, own: float) -> None:
    goal = args.students / args.interval
    rate = len(results.http) / wall
    print(f"\nclass server: {args.students} students, one run every {args.interval:g} s for {args.seconds:g} s"
          f" ({'same facts (cached)' if args.same_facts else 'fresh facts every run'}), {os.cpu_count()} CPUs"
          f"{', TLS' if args.tls else ''}")
    print(f"submissions stored: {len(results.http)}   throughput: {rate:.1f}/s (offered {goal:.1f}/s)   "
          f"errors: {results.errors or 'none'}")
    print(f"CPU: server with its graders {cpu:.1f} s = {100 * cpu / wall:.0f} % of one core"
          f" ({1000 * cpu / max(1, len(results.http)):.1f} ms per submission); this load generator {own:.1f} s;"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine)")
    print(f"\n{'':32}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}{'count':>8}")
    rows = [("submission HTTP round trip", results.http), ("  server: prepare (parse+grade)", results.prepare),
            ("  server: store (writer)", results.store), ("dashboard update (SSE)", results.sse)]
    for label, values in rows:
        cells = "".join(f"{pct(values, q) * 1000:8.1f}m" for q in (50, 90, 99, 100))
        print(f"{label:32}{cells}{len(values):8d}")
    verdict = "met" if pct(results.http, 99) < 0.100 else "NOT met"
    print(f"\ngoal p99 < 100 ms for the submission round trip: {verdict}  (ms = milliseconds)")
    if results.sse:
        print(f"dashboard: {statistics.mean(results.sse) * 1000:.1f} ms mean from sending to the row on the stream")


if __name__ == "__main__":
    sys.exit(main())
