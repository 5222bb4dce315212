"""HTTP from the student's checker to the class server, and the addresses and fingerprints it accepts.

The token (config.py) is only ever sent in the Authorization header of a request to the pinned server.

An https address is not checked against certificate authorities (a teacher's laptop has a
self-signed certificate); the certificate's fingerprint is pinned at `join` instead, and every later
connection is refused before a byte of the request is sent when it changes.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import http.client
import json
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from checkers.errors import CheckerError, hide_url_passwords

USER_AGENT = "kurz-client/1"
MAX_RESPONSE = 64 * 1024  # our server answers with a few bytes of JSON; never read more


# --- addresses and fingerprints ------------------------------------------------------------------

def normalize_address(text: str) -> str:
    """'192.168.1.5:8765', 'http://…', 'https://…/' -> 'scheme://host:port'; bad input is a Czech error."""
    raw = (text or "").strip()
    candidate = raw if "://" in raw else "http://" + raw
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError:
        parts, port = None, None
    bad = (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
           or parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/")
           or any(c.isspace() for c in raw))
    if bad:
        shown = hide_url_passwords(raw if len(raw) <= 80 else raw[:79] + "…")
        raise CheckerError(f"„{shown}“ není adresa serveru třídy.",
                           "Opište adresu, kterou ukazuje vyučující, např. `http://192.168.1.10:8765`.")
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # IPv6
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}:{port or default}"


def format_fingerprint(digest: bytes) -> str:
    return "SHA256:" + ":".join(f"{b:02X}" for b in digest)


def parse_fingerprint(text: str) -> bytes:
    """SHA256:AB:CD:… , plain hex (with or without colons/spaces) or base64 (as ssh prints it)."""
    raw = (text or "").strip()
    body = re.sub(r"^sha-?256[:=]?", "", raw, flags=re.IGNORECASE).strip()
    hexish = re.sub(r"[\s:]", "", body)
    if re.fullmatch(r"[0-9A-Fa-f]{64}", hexish):
        return bytes.fromhex(hexish)
    try:
        decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) == 32:
        return decoded
    raise CheckerError("Otisk certifikátu (--fingerprint) nemá správný tvar.",
                       "Opište celý otisk, který ukazuje vyučující, např. `--fingerprint SHA256:AB:CD:…` "
                       "(64 šestnáctkových číslic).")


class FingerprintChanged(CheckerError):
    def __init__(self, address: str, seen: str):
        super().__init__(
            f"Server {address} se prokázal jiným certifikátem, než jaký byl ověřen při připojení ke třídě "
            f"(teď má otisk {seen}). Nic jsem mu neposlal.",
            "Může jít o podvržený server. Zeptejte se vyučujícího; pokud certifikát opravdu změnil, připojte se "
            "znovu: `./kurz class leave` a `./kurz class join …` s novým otiskem.")
        self.seen = seen


class ServerUnreachable(CheckerError):
    def __init__(self, message: str):
        super().__init__(message, "Zkontrolujte adresu a port, které ukazuje vyučující, a že jste ve stejné síti "
                                  "(ve škole ve stejné Wi-Fi).")


@dataclass
class Reply:
    status: int
    data: dict
    retry_after: str | None = None

    @property
    def detail(self) -> str:
        detail = self.data.get("detail") if isinstance(self.data, dict) else None
        return detail if isinstance(detail, str) else ""


class Connection:
    """One keep-alive connection to the class server; for https the certificate is checked against
    the pinned fingerprint right after the handshake, before anything is sent."""

    def __init__(self, address: str, fingerprint: str | None, timeout: float = 5.0):
        self.address = address
        self.parts = urlsplit(address)
        self.pinned = parse_fingerprint(fingerprint) if fingerprint else None
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.seen_fingerprint: str | None = None

    def _open(self) -> http.client.HTTPConnection:
        host, port = redirected(self.parts.hostname, self.parts.port)
        if self.parts.scheme == "https":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False  # a self-signed certificate: its fingerprint is pinned instead
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.connect()
            if self.parts.scheme == "https":
                der = conn.sock.getpeercert(binary_form=True) or b""
                digest = hashlib.sha256(der).digest()
                self.seen_fingerprint = format_fingerprint(digest)
                if self.pinned is not None and digest != self.pinned:
                    raise FingerprintChanged(self.address, self.seen_fingerprint)
        except BaseException:
            conn.close()
            raise
        return conn

    def request(self, method: str, path: str, document: dict | None = None, token: str | None = None) -> Reply:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        body = None
        if document is not None:
            raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            body = gzip.compress(raw, compresslevel=6) if len(raw) > 4096 else raw
            headers["Content-Type"] = "application/json; charset=utf-8"
            if body is not raw:
                headers["Content-Encoding"] = "gzip"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):  # a kept-alive connection the server has closed meanwhile: one fresh retry
            fresh = self.conn is None
            try:
                if self.conn is None:
                    self.conn = self._open()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read(MAX_RESPONSE + 1)
                if response.getheader("Connection", "").lower() == "close" or len(payload) > MAX_RESPONSE:
                    self.close()
                try:
                    data = json.loads(payload[:MAX_RESPONSE].decode("utf-8")) if payload else {}
                except ValueError:
                    data = {}
                return Reply(response.status, data if isinstance(data, dict) else {},
                             response.getheader("Retry-After"))
            except FingerprintChanged:
                self.close()
                raise
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if fresh or attempt == 2:
                    raise ServerUnreachable(unreachable_message(self.address, exc)) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def redirected(host: str, port: int) -> tuple[str, int]:
    """CHECKERS_CONNECT_TO (curl's --connect-to, as the live web checks read it) sends a connection
    elsewhere without DNS: the tests keep every address a book shows on 127.0.0.1."""
    import os

    from checkers.web.client import CONNECT_TO_ENV, parse_connect_to

    try:
        entries = parse_connect_to(os.environ.get(CONNECT_TO_ENV))
    except ValueError:
        entries = []
    for name, want_port, addr, addr_port in entries:
        if name == host.lower() and want_port in (None, port):
            return addr, addr_port or port
    return host, port


def unreachable_message(address: str, exc: BaseException) -> str:
    import errno
    import socket

    causes = {errno.ECONNREFUSED: "spojení odmítnuto – server neběží", errno.EHOSTUNREACH: "stroj není dosažitelný",
              errno.ENETUNREACH: "síť není dosažitelná", errno.ECONNRESET: "server spojení ukončil",
              errno.EPIPE: "server spojení ukončil", errno.ETIMEDOUT: "server neodpověděl včas"}
    if isinstance(exc, ssl.SSLError):
        why = "nepodařilo se navázat šifrované spojení (není to https server?)"
    elif isinstance(exc, socket.gaierror):
        why = "jméno serveru nejde přeložit na adresu"
    elif isinstance(exc, TimeoutError) or "timed out" in str(exc):
        why = "server neodpověděl včas"
    elif isinstance(exc, OSError) and exc.errno in causes:
        why = causes[exc.errno]
    elif isinstance(exc, http.client.HTTPException):
        why = "server neodpověděl jako HTTP server"
    else:
        why = "spojení selhalo"
    return f"Server třídy {address} není dostupný ({why})."
