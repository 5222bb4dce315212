"""The class server's defences: body size limits, rate limits, the teacher's password, CSRF, headers.

The server is on a LAN the teacher does not control: every limit holds before any work is done
(a too large body is refused from Content-Length or while streaming, never read whole first).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from pathlib import Path

from checkers.class_protocol import ProtocolError

# Content-Security-Policy: only our own static files; no inline script, no inline style, no CDN.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
       " font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Pure ASGI middleware (does not buffer streaming responses such as the SSE stream)."""

    def __init__(self, app, tls: bool = False):
        self.app = app
        self.extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        if tls:
            self.extra.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.extra if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def read_limited(request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ProtocolError("Hlavička Content-Length není číslo.")
        if int(declared) > limit:
            raise ProtocolError(f"Požadavek je příliš velký (nejvýš {limit // 1024} KiB).", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"Požadavek je příliš velký (nejvýš {limit // 1024} KiB).", 413)
        chunks.append(chunk)
    return b"".join(chunks)


class RateLimiter:
    """Token buckets per key: `burst` requests at once, then `rate` per second. Thread-safe."""

    def __init__(self, rate: float, burst: int, max_keys: int = 50_000):
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """0 when allowed (one token taken), else the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_keys:
                    self._forget_full(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


# ---------------------------------------------------------------------------------- password
def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(digest) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


# ------------------------------------------------------------------------------------- CSRF
def csrf_token(session: dict) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_ok(session: dict, given) -> bool:
    expected = session.get("csrf")
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


def session_secret(out_dir: Path) -> str:
    """The session cookie's signing key: made once per server, kept (0600) so logins survive a restart."""
    path = Path(out_dir) / "session.secret"
    if path.is_file():
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 32:
            return text
    text = secrets.token_urlsafe(48)
    write_private(path, text + "\n")
    return text


def write_private(path: Path, text: str | bytes) -> None:
    """Write a file readable by its owner only (created 0600, never briefly world-readable)."""
    import os

    data = text.encode() if isinstance(text, str) else text
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
