"""The real class server for the server's tests: `python -m checkers class serve` on 127.0.0.1 (a free
port), its own process group, stopped by PID (also when a test fails); small HTTP helpers over
http.client (no library that could hide what goes over the wire)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.cli import REPO

PASSWORD = "ucitelske-heslo-42"
FACTS = REPO / "tests" / "fixtures" / "facts"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class ClassServer:
    out_dir: Path
    tls: bool = False
    limits: str = ""
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    output: str = ""
    code: str = ""
    fingerprint: str = ""

    def start(self) -> "ClassServer":
        env = {**os.environ, "KURZ_TEACHER_PASSWORD": PASSWORD, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("KURZ_CLASS_LIMITS", None)
        if self.limits:
            env["KURZ_CLASS_LIMITS"] = self.limits
        args = [sys.executable, "-m", "checkers", "class", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--out", str(self.out_dir), *(["--tls"] if self.tls else []), *self.extra]
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        lines: list[str] = []
        reader = threading.Thread(target=self._read_until_ready, args=(lines,), daemon=True)
        reader.start()
        reader.join(60)
        self.output = "".join(lines)
        found = re.search(r"Kód třídy: ([A-Z]{4}-\d{4})", self.output)
        if not found:
            self.stop()
            raise AssertionError(f"the class server did not start:\n{self.output}")
        self.code = found.group(1)
        pin = re.search(r"Otisk certifikátu: (SHA256:[0-9A-F:]+)", self.output)
        self.fingerprint = pin.group(1) if pin else ""
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # never block it on a full pipe
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/api/health").status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the class server never answered /api/health")

    def _read_until_ready(self, lines: list[str]) -> None:
        for line in self.proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                return

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.proc = None

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------------------------ HTTP
    def connection(self) -> http.client.HTTPConnection:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the tests pin by fingerprint where it matters
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, doc, headers: dict | None = None) -> Reply:
        return self.request("POST", path, json.dumps(doc).encode(), {"Content-Type": "application/json",
                                                                      **(headers or {})})

    def join(self, name: str, code: str | None = None) -> Reply:
        return self.post_json("/api/join", {"code": self.code if code is None else code, "name": name})

    def token(self, name: str) -> str:
        reply = self.join(name)
        assert reply.status == 201, reply.text
        return reply.json["token"]

    def submit(self, token: str, doc, headers: dict | None = None) -> Reply:
        return self.post_json("/api/submissions", doc, {"Authorization": f"Bearer {token}", **(headers or {})})

    def teacher(self) -> "Teacher":
        teacher = Teacher(self)
        teacher.login(PASSWORD)
        return teacher


class Teacher:
    """A browser-like session: the cookie and the CSRF token of the last page."""

    def __init__(self, server: ClassServer):
        self.server = server
        self.cookie = ""
        self.csrf = ""

    def _headers(self, extra: dict | None = None) -> dict:
        return {**({"Cookie": self.cookie} if self.cookie else {}), **(extra or {})}

    def _remember(self, reply: Reply) -> Reply:
        cookie = reply.headers.get("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        found = re.search(r'name="csrf" value="([^"]+)"', reply.text)
        if found:
            self.csrf = found.group(1)
        return reply

    def get(self, path: str) -> Reply:
        return self._remember(self.server.get(path, self._headers()))

    def post(self, path: str, fields: dict) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self._remember(self.server.request("POST", path, body, self._headers(
            {"Content-Type": "application/x-www-form-urlencoded"})))

    def login(self, password: str) -> Reply:
        self.get("/login")
        reply = self.post("/login", {"csrf": self.csrf, "password": password})
        if reply.status == 303:
            self.get("/")
        return reply


def facts(name: str = "vm-solved") -> dict:
    return json.loads((FACTS / f"{name}.json").read_text(encoding="utf-8"))


def submission(sequence: int = 1, facts_name: str = "vm-solved", command: str = "all", **overrides) -> dict:
    from checkers import class_protocol as protocol

    verdicts = overrides.pop("verdicts", {"steps": [], "points": 0})
    doc = protocol.build_submission(sequence=sequence, command=command, target="vagrant", facts=facts(facts_name),
                                    verdicts=verdicts, checker_version="test", checks_digest="test")
    doc.update(overrides)
    return doc
