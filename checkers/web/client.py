"""The host-side HTTP(S) client of the live checks (standard library only).

* Every request has a timeout and counts against a budget (MAX_REQUESTS): a run never sends
  more than a few dozen requests, whatever the site answers.
* `connect_to` redirects connections without touching DNS or /etc/hosts, like curl's
  --connect-to: "HOST:PORT:ADDR:ADDRPORT" entries, comma-separated (an empty PORT matches any
  port, an empty ADDRPORT keeps the port). The Host header and TLS SNI stay the site's name.
  Tests use it to reach `kurz.test` on 127.0.0.1; a teacher can check a site before its DNS
  record exists. It is read from the CHECKERS_CONNECT_TO environment variable.
* `ca_file` trusts a private certificate authority instead of the system store.
* What a request returns for the facts (`Exchange.summary`) holds status, selected headers,
  cookie *flags* and a hash of the body; the body and the raw headers (cookie values) stay in
  memory for the next request and are never saved.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from checkers.probe.http_requests import describe_response

CONNECT_TO_ENV = "CHECKERS_CONNECT_TO"
MAX_REQUESTS = 30
BODY_LIMIT = 1_000_000
USER_AGENT = "kurz-django-checker (kontrola zivého webu)"
EXTRA_MARKERS = {
    "caddy_default": (b"Caddy works!",),
    "apache_default": (b"Apache2 Debian Default Page", b"<h1>It works!</h1>"),
}
DEFAULT_PORTS = {"http": 80, "https": 443}


class BudgetExceeded(Exception):
    pass


@dataclass
class Exchange:
    summary: dict
    body: bytes = b""
    raw_headers: list = field(default_factory=list)  # private: Set-Cookie values live here, never in facts

    @property
    def status(self) -> int | None:
        return self.summary.get("status")

    def header(self, name: str) -> str | None:
        return self.summary.get("headers", {}).get(name.lower())


def parse_connect_to(text: str | None) -> list[tuple[str, int | None, str, int | None]]:
    """'kurz.test:443:127.0.0.1:8443,kurz.test::127.0.0.1:' → [(host, port|None, addr, addrport|None)]."""
    entries = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) != 4 or not parts[0] or not parts[2]:
            raise ValueError(item)
        port = int(parts[1]) if parts[1] else None
        addr_port = int(parts[3]) if parts[3] else None
        entries.append((parts[0].lower(), port, parts[2], addr_port))
    return entries


def classify(exc: BaseException) -> tuple[str, str]:
    """(kind, detail) of a failed exchange: dns, refused, tls_verify, tls, timeout, reset, network."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls_verify", getattr(exc, "verify_message", None) or str(exc)
    if isinstance(exc, ssl.SSLError):
        return "tls", getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, socket.gaierror):
        return "dns", exc.strerror or str(exc)
    if isinstance(exc, UnicodeError):  # a name that cannot even be encoded for DNS (label too long…)
        return "dns", "neplatné jméno domény"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout", "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", os.strerror(exc.errno) if exc.errno else str(exc)
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "reset", str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.errno:
        return "network", os.strerror(exc.errno)
    return "network", f"{type(exc).__name__}: {exc}"


class _Connection:
    """http.client connections that connect to an explicit address but keep the name for SNI."""

    @staticmethod
    def make(scheme: str, host: str, port: int, address: tuple[str, int], timeout: float,
             context: ssl.SSLContext | None):
        if scheme == "https":
            return _HTTPS(host, port, address, timeout, context)
        return _HTTP(host, port, address, timeout)


class _HTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self.tls = None

    def connect(self):
        self.sock = socket.create_connection(self._address, self.timeout)


class _HTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self.tls = None

    def connect(self):
        sock = socket.create_connection(self._address, self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.tls = describe_tls(self.sock)


def describe_tls(sock: ssl.SSLSocket) -> dict:
    cert = sock.getpeercert() or {}

    def name(field_name: str) -> str | None:
        for rdn in cert.get(field_name, ()):
            for key, value in rdn:
                if key in ("commonName", "organizationName"):
                    return value
        return None

    not_after = cert.get("notAfter")
    expires = ssl.cert_time_to_seconds(not_after) if not_after else None
    return {"version": sock.version(), "issuer": name("issuer"), "subject": name("subject"),
            "not_after": not_after, "days_left": round((expires - time.time()) / 86400, 1) if expires else None}


class LiveClient:
    def __init__(self, *, ca_file: str | None = None, timeout: float = 20.0, connect_to: str | None = None,
                 max_requests: int = MAX_REQUESTS):
        self.timeout = timeout
        self.max_requests = max_requests
        self.count = 0
        self.connect_to = parse_connect_to(connect_to if connect_to is not None else os.environ.get(CONNECT_TO_ENV))
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        self.tls: dict | None = None  # of the first HTTPS connection

    def address(self, host: str, port: int) -> tuple[str, int]:
        host = host.lower()
        for name, want_port, addr, addr_port in self.connect_to:
            if name == host and want_port in (None, port):
                return addr, addr_port or port
        return host, port

    def fetch(self, url: str, *, method: str = "GET", host_header: str | None = None, body: bytes | None = None,
              headers: dict | None = None, limit: int = BODY_LIMIT, timeout: float | None = None) -> Exchange:
        if self.count >= self.max_requests:
            raise BudgetExceeded(url)
        self.count += 1
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or DEFAULT_PORTS[scheme]
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        own_host = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
        sent = {"Host": host_header or own_host, "User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8",
                "Accept-Encoding": "identity", "Connection": "close", **(headers or {})}
        summary = {"url": url, "method": method}
        if host_header:
            summary["host_sent"] = host_header
        start = time.monotonic()
        conn = _Connection.make(scheme, host, port, self.address(host, port), timeout or self.timeout,
                                self.context if scheme == "https" else None)
        try:
            conn.connect()
            if scheme == "https" and self.tls is None:
                self.tls = conn.tls
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read(limit)
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            kind, detail = classify(exc)
            summary.update({"status": None, "error": kind, "error_detail": detail[:300],
                            "seconds": round(time.monotonic() - start, 3)})
            return Exchange(summary)
        finally:
            conn.close()
        raw = response.getheaders()
        summary.update(describe_response(response, data))
        summary["markers"] = sorted(set(summary["markers"]) | {
            name for name, needles in EXTRA_MARKERS.items() if any(n in data for n in needles)})
        summary["servers"] = [v for k, v in raw if k.lower() == "server"]
        summary["seconds"] = round(time.monotonic() - start, 3)
        return Exchange(summary, data, raw)


SET_COOKIE_RE = re.compile(r"^\s*([^=;\s]+)=([^;]*)")


def cookie_values(raw_headers: list) -> dict:
    """name → value of the cookies a response set (kept in memory for the next request only)."""
    values = {}
    for name, value in raw_headers:
        if name.lower() == "set-cookie":
            match = SET_COOKIE_RE.match(value)
            if match:
                values[match.group(1)] = match.group(2)
    return values
