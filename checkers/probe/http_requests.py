"""HTTP requests made from inside the target: through nginx as a browser would, and straight
to the app server's socket or port. Records status, a few headers, cookie flags (never
values), a hash of the body and markers (debug page, nginx welcome page, CSRF failure…)."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import time
import urllib.parse

BODY_LIMIT = 1_000_000
KEPT_HEADERS = ("server", "content-type", "content-length", "location", "x-frame-options",
                "cross-origin-opener-policy", "referrer-policy", "x-content-type-options",
                "strict-transport-security", "vary", "cache-control")
MARKERS = {
    "django_debug": (b"Using the URLconf defined in", b"you have <code>DEBUG = True</code>", b'id="traceback"'),
    "django_default_404": (b"The requested resource was not found on this server.",),
    "django_400": (b"<h1>Bad Request (400)</h1>",),
    "django_500": (b"<h1>Server Error (500)</h1>",),
    "csrf_failure": (b"CSRF verification failed",),
    "nginx_welcome": (b"Welcome to nginx!",),
    "nginx_error_page": (b"<center>nginx</center>",),
    "django_install_worked": (b"The install worked successfully!",),
    "svs_placeholder": ("Výchozí stránka AVAVA".encode(), "Vaše stánka funguje".encode()),
    "admin_login_form": (b'name="csrfmiddlewaretoken"',),
}
LINK_RE = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#?]+)""", re.IGNORECASE)
TITLE_RE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
TOKEN_RE = re.compile(rb"""name=["']csrfmiddlewaretoken["']\s+value=["']([^"']+)""")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class AddressHTTPConnection(http.client.HTTPConnection):
    """TCP to an address literal without a name lookup: getaddrinfo() of a str loads the idna
    codec, a tenth of the probe's start-up on an emulated VM."""

    def connect(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            socket.inet_pton(family, self.host)
        except OSError:  # a name after all
            return super().connect()
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client does
        self.sock = sock
        return None


def connection(endpoint: dict, timeout: float):
    if endpoint["kind"] == "unix":
        return UnixHTTPConnection(endpoint["path"], timeout)
    return AddressHTTPConnection(endpoint["host"], endpoint["port"], timeout=timeout)


def cookie_flags(raw_headers: list) -> list:
    cookies = []
    for name, value in raw_headers:
        if name.lower() != "set-cookie":
            continue
        parts = [p.strip() for p in value.split(";")]
        cookie_name = parts[0].split("=", 1)[0]
        flags = {p.split("=", 1)[0].lower() for p in parts[1:]}
        samesite = next((p.split("=", 1)[1] for p in parts[1:] if p.lower().startswith("samesite=")), None)
        cookies.append({"name": cookie_name, "secure": "secure" in flags, "httponly": "httponly" in flags,
                        "samesite": samesite})
    return cookies


def request(endpoint: dict, path: str, host: str, method: str = "GET", body: bytes | None = None,
            headers: dict | None = None, timeout: float = 10, retries: int = 3, keep=None) -> dict:
    """One HTTP exchange, retried briefly on refusal or 502/503 (a just-started app server)."""
    all_headers = {"Host": host, "User-Agent": "kurz-django-checker", "Accept": "text/html,*/*"}
    all_headers.update(headers or {})
    result = {"path": path, "method": method, "host": host}
    for attempt in range(1, retries + 1):
        result["attempts"] = attempt
        try:
            conn = connection(endpoint, timeout)
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read(BODY_LIMIT)
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            result.update({"status": None, "error": error_name(exc)})
            if attempt < retries and result["error"] != "timeout":  # waited long enough already
                time.sleep(0.5)
                continue
            return result
        result.update(describe_response(response, data))
        result.pop("error", None)
        if response.status in (502, 503) and attempt < retries:
            time.sleep(0.5)
            continue
        if keep is not None:
            keep["body"], keep["headers"] = data, response.getheaders()
        return result
    return result


def error_name(exc: Exception) -> str:
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno) + " (errno %d)" % exc.errno
    return "%s: %s" % (type(exc).__name__, exc)


def describe_response(response, data: bytes) -> dict:
    headers = {k.lower(): v for k, v in response.getheaders() if k.lower() in KEPT_HEADERS}
    title = TITLE_RE.search(data)
    return {
        "status": response.status,
        "headers": headers,
        "cookies": cookie_flags(response.getheaders()),
        "body_sha256": hashlib.sha256(data).hexdigest(),
        "body_length": len(data),
        "title": title.group(1).decode("utf-8", "replace").strip()[:200] if title else None,
        "markers": sorted(name for name, needles in MARKERS.items() if any(n in data for n in needles)),
        "django_headers": "x-frame-options" in headers and "cross-origin-opener-policy" in headers,
    }


def links(body: bytes, prefix: str) -> list:
    found = []
    for match in LINK_RE.finditer(body or b""):
        url = match.group(1).decode("utf-8", "replace")
        path = urllib.parse.urlsplit(url).path
        if prefix and path.startswith(prefix) and path not in found:
            found.append(path)
    return found[:10]


def url_path(prefix: str, relative: str) -> str:
    prefix = prefix or "/"
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix + urllib.parse.quote(relative.replace(os.sep, "/"))


def with_port(host: str, port) -> str:
    """The Host header a browser sends: the port is part of it unless it is the default 80."""
    return "%s:%s" % (host, port) if port and int(port) != 80 else host


def admin_login_roundtrip(endpoint: dict, host: str) -> dict:
    """GET the admin login page, then POST the form with its CSRF token but no password (no state changes)."""
    keep = {}
    page = request(endpoint, "/admin/login/", host, keep=keep)
    result = {"get": page}
    if page.get("status") != 200 or "admin_login_form" not in page.get("markers", []):
        return result
    token = TOKEN_RE.search(keep.get("body") or b"")
    cookie = None
    for name, value in keep.get("headers", []):
        if name.lower() == "set-cookie" and value.startswith("csrftoken="):
            cookie = value.split(";", 1)[0]
    if not token or not cookie:
        result["post"] = {"skipped": "no-token" if not token else "no-cookie"}
        return result
    # An empty password: the form is invalid before authenticate() runs, so no password hash is
    # computed (PBKDF2 costs seconds under emulation) – the CSRF check has happened by then.
    form = urllib.parse.urlencode({
        "csrfmiddlewaretoken": token.group(1).decode(), "username": "kontrola-kurzu", "password": "",
        "next": "/admin/",
    }).encode()
    origin = "http://%s" % host
    result["post"] = request(endpoint, "/admin/login/", host, method="POST", body=form, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
        "Referer": origin + "/admin/login/", "Origin": origin,
    })
    return result


def pages(endpoint: dict, host: str, browser_port=None, upstream: dict | None = None,
          upstream_listens: bool = False) -> dict:
    """The pages a browser would ask for through the web server (nginx), and the home page straight
    from the app server. One after another: they are asked for while Django is being inspected, and
    parallel requests would keep several app workers busy, taking the CPU the inspection needs.

    With a port-forwarded VM the browser's Host (and Origin) carry the forwarded port; sending
    the same shows whether the app survives it (e.g. CSRF with `proxy_set_header Host $host`)."""
    public = with_port(host, browser_port)
    keep: dict = {}
    done = {}
    if endpoint:
        done["home"] = request(endpoint, "/", public, keep=keep)
        # A web server that holds the home page until the time-out (waiting for an app that never
        # answers) would hold every other page as long: one such wait tells it.
        if done["home"].get("error") != "timeout":
            done["not_found"] = request(endpoint, "/kurz-neexistujici-%s/" % os.urandom(4).hex(), public)
            done["bad_host"] = request(endpoint, "/", with_port("neplatny-host.invalid", browser_port), retries=1)
            done["admin_login"] = admin_login_roundtrip(endpoint, public)
    web = {"endpoint": endpoint, **done} if endpoint else None
    app = None
    if upstream:
        home = done.get("home") or {}
        if upstream_listens and home.get("django_headers") and (home.get("status") or 500) < 500:
            # The web server's `location /` proxies to this upstream, something listens there and
            # Django answered: the app server has served a real request. Asking it again directly
            # would repeat a whole app request (with its own database connection).
            app = {"endpoint": upstream, "home": dict(home, via="web")}
        else:
            app = {"endpoint": upstream, "home": request(upstream, "/", host)}
    return {"web": web, "upstream": app, "home_body": keep.get("body") or b""}


def listens(endpoint: dict, listening: dict) -> bool:
    """Does anything accept connections at this upstream (a unix socket path, a TCP port)?"""
    if endpoint.get("kind") == "unix":
        return any(row["path"] == endpoint["path"] for row in listening.get("unix", []))
    if endpoint.get("kind") == "tcp":
        return any(row["port"] == endpoint["port"] for row in listening.get("tcp", []))
    return False


def files(endpoint: dict, host: str, django: dict, home_body: bytes, browser_port=None) -> dict:
    """Files through the web server: a collected static file, the first one the page links to, and
    an uploaded media file (each compared with the file on disk)."""
    public = with_port(host, browser_port)
    static = (django or {}).get("static") or {}
    media = (django or {}).get("media") or {}
    out = {}
    sample = static.get("sample")
    if sample:
        out["static_file"] = request(endpoint, url_path(static.get("url"), sample["path"]), public)
        out["static_file"]["expected_sha256"] = sample["sha256"]
    installed = static.get("sample_installed")
    if installed and sample:
        out["static_installed"] = request(endpoint, url_path(static.get("url"), installed["path"]), public)
        out["static_installed"]["expected_sha256"] = installed["sha256"]
    linked = links(home_body, url_path(static.get("url"), "")) if static.get("url") else []
    if linked and "static_file" in out and out["static_file"]["path"] == linked[0]:
        out["static_linked"] = dict(out["static_file"])  # the same file: one request tells both
    elif linked:
        out["static_linked"] = request(endpoint, linked[0], public)
    media_sample = media.get("sample")
    if media_sample and media.get("url"):
        out["media_file"] = request(endpoint, url_path(media.get("url"), media_sample["path"]), public)
        out["media_file"]["expected_sha256"] = media_sample["sha256"]
    elif media.get("url") and media.get("root"):
        # No uploaded file to fetch: ask for one that cannot exist. nginx serving /media/ from disk
        # answers 404 itself and names the file it looked for in its error log; Django would answer
        # with its own 404.
        out["media_missing"] = request(endpoint, url_path(media.get("url"), "kurz-overeni-%s.txt" % os.urandom(4).hex()),
                                       public)
    out["media_links"] = links(home_body, url_path(media.get("url"), "")) if media.get("url") else []
    return out
