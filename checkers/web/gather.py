"""Gather the live facts of a site: the requests a careful visitor (and a curious attacker) makes.

At most client.MAX_REQUESTS requests per run (about twenty in practice): the home page (one
retry for a cold start, up to three same-site redirects), the plain-HTTP address, a random
URL, a foreign Host header, the admin login page and one failed login with its CSRF token,
one static file linked from a page, a handful of files that must never be served, and the
extra files a profile asks for (an uploaded media file on SVS). The facts hold no cookie
values and no bodies, only hashes, flags, markers and whether a body looks like a leaked file.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse

from checkers.probe.http_requests import LINK_RE, TOKEN_RE
from checkers.web.client import BudgetExceeded, Exchange, LiveClient, cookie_values

SCHEMA = 1
FATAL = ("dns", "refused", "tls_verify", "tls", "timeout", "reset", "network")
COLD_START_STATUSES = (502, 503, 504)
FOREIGN_HOST = "neplatny-host.invalid"
REDIRECTS = (301, 302, 303, 307, 308)
SENSITIVE_PATHS = ("/.env", "/.git/config", "/manage.py", "/db.sqlite3", "/requirements.txt", "/settings.py",
                   "/.svs", "/secret_key.txt")
SMALL_BODY = 65_536

# What the body of a leaked file looks like (checked here, only the yes/no is kept).
SIGNATURES = {
    ".env": re.compile(rb"^\s*(export\s+)?[A-Z][A-Z0-9_]*\s*=", re.MULTILINE),
    "config": re.compile(rb"^\s*\[core\]", re.MULTILINE),
    "manage.py": re.compile(rb"DJANGO_SETTINGS_MODULE|execute_from_command_line"),
    "db.sqlite3": re.compile(rb"^SQLite format 3\x00"),
    "requirements.txt": re.compile(rb"^\s*[A-Za-z0-9][A-Za-z0-9._\[\]-]*\s*(==|>=|<=|~=|!=|>|<|$)", re.MULTILINE),
    ".py": re.compile(rb"SECRET_KEY|INSTALLED_APPS|DATABASES|import "),
    ".svs": re.compile(rb"domain\s*="),
    "secret_key.txt": re.compile(rb"^\S{20,}\s*$"),
}


def signature_for(path: str):
    name = path.rsplit("/", 1)[-1]
    if name in SIGNATURES:
        return SIGNATURES[name]
    if name.endswith(".py"):
        return SIGNATURES[".py"]
    return None


def looks_like_file(path: str, data: bytes, content_type: str) -> bool:
    if "html" in (content_type or "") and not data.lstrip().startswith((b"SQLite", b"[core]")):
        return False
    signature = signature_for(path)
    return bool(signature and signature.search(data[:SMALL_BODY]))


def same_site(url: str, host: str) -> bool:
    return (urllib.parse.urlsplit(url).hostname or "").lower() == host.lower()


def asset_links(page_url: str, body: bytes, host: str) -> list[str]:
    """Same-site CSS/JS/static URLs a page links to, best candidates first."""
    found = []
    for match in LINK_RE.finditer(body or b""):
        url = urllib.parse.urljoin(page_url, match.group(1).decode("utf-8", "replace").strip())
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not same_site(url, host):
            continue
        if url not in found:
            found.append(url)

    def rank(url: str) -> int:
        path = urllib.parse.urlsplit(url).path
        static = "/static/" in path
        if path.endswith(".css"):
            return 0 if static else 2
        if path.endswith(".js"):
            return 1 if static else 3
        return 4 if static else 9

    return [u for u in sorted(found, key=rank) if rank(u) < 9][:5]


class Gatherer:
    def __init__(self, url: str, client: LiveClient, *, project_names=(), extra=None):
        parts = urllib.parse.urlsplit(url.strip())
        self.given = url.strip()
        self.host = (parts.hostname or "").lower()
        self.port = parts.port
        self.home_path = parts.path or "/"
        self.given_scheme = parts.scheme
        self.client = client
        self.project_names = [n for n in project_names if n and re.fullmatch(r"[A-Za-z_][\w]*", n)]
        self.extra = extra or []
        self.live: dict = {"url": self.given, "host": self.host, "given_scheme": self.given_scheme}

    def base(self, scheme: str) -> str:
        port = self.port if scheme == self.given_scheme and self.port else None
        return f"{scheme}://{self.host}" + (f":{port}" if port else "")

    def fetch(self, url: str, **kwargs) -> Exchange:
        return self.client.fetch(url, **kwargs)

    def with_retry(self, url: str) -> Exchange:
        """The first request: a sleeping app (App Engine, a restarted gunicorn) gets one more chance."""
        first = self.fetch(url)
        if first.summary.get("error") in ("timeout", "reset") or first.status in COLD_START_STATUSES:
            time.sleep(2)
            again = self.fetch(url)
            again.summary["attempts"] = 2
            return again
        return first

    def run(self) -> dict:
        start = time.monotonic()
        try:
            self._run()
        except BudgetExceeded as exc:
            self.live["budget_exceeded"] = str(exc)
        self.live["requests"] = self.client.count
        self.live["tls"] = self.client.tls
        self.live["seconds"] = round(time.monotonic() - start, 3)
        return self.live

    def _fatal(self, exchange: Exchange) -> bool:
        if exchange.summary.get("error") in FATAL:
            self.live["fatal"] = {"kind": exchange.summary["error"], "detail": exchange.summary.get("error_detail"),
                                  "url": exchange.summary["url"], "host": self.host,
                                  "port": self.port or (443 if exchange.summary["url"].startswith("https") else 80)}
            return True
        return False

    def _run(self) -> None:
        live = self.live
        if self.given_scheme == "http":
            plain = self.with_retry(self.base("http") + self.home_path)
            if self._fatal(plain):
                return
            live["http_redirect"] = plain.summary
            secure = self.fetch("https://" + self.host + self.home_path)
            if secure.summary.get("error"):
                live["https_error"] = {"kind": secure.summary["error"], "detail": secure.summary.get("error_detail")}
                live["scheme"] = "http"
                home = plain
            else:
                live["scheme"] = "https"
                home = secure
        else:
            home = self.with_retry(self.base("https") + self.home_path)
            if self._fatal(home):
                return
            live["scheme"] = "https"
            plain = self.fetch(f"http://{self.host}{self.home_path}")
            live["http_redirect"] = plain.summary
        base = self.base(live["scheme"])
        chain = []
        while home.status in REDIRECTS and len(chain) < 3:
            location = urllib.parse.urljoin(home.summary["url"], home.header("location") or "")
            if not same_site(location, self.host) or location == home.summary["url"]:
                break
            chain.append(home.summary)
            home = self.fetch(location)
        live["home_redirects"] = chain
        live["home"] = home.summary
        cookies = list(home.summary.get("cookies", []))

        live["not_found"] = self.fetch(f"{base}/kurz-neexistujici-{os.urandom(4).hex()}/").summary
        live["bad_host"] = self.fetch(base + self.home_path, host_header=FOREIGN_HOST).summary
        live["bad_host"]["same_as_home"] = (live["bad_host"].get("body_sha256") == home.summary.get("body_sha256")
                                            and home.summary.get("body_length", 0) > 0)

        admin = self.admin_login(base)
        live["admin_login"] = {k: v.summary if isinstance(v, Exchange) else v for k, v in admin.items()}
        for exchange in admin.values():
            if isinstance(exchange, Exchange):
                cookies += exchange.summary.get("cookies", [])
        live["cookies"] = cookies

        candidates = asset_links(home.summary["url"], home.body, self.host)
        if not candidates and isinstance(admin.get("get"), Exchange):
            candidates = asset_links(admin["get"].summary["url"], admin["get"].body, self.host)
        live["static_candidates"] = [urllib.parse.urlsplit(u).path for u in candidates]
        if candidates:
            live["static"] = self.fetch(candidates[0]).summary

        live["sensitive"] = {}
        for path in self.sensitive_paths():
            exchange = self.fetch(base + path, limit=SMALL_BODY)
            summary = {k: exchange.summary.get(k) for k in ("status", "error", "body_length", "body_sha256")}
            summary["content_type"] = exchange.header("content-type")
            summary["looks_like_file"] = (exchange.status == 200
                                          and looks_like_file(path, exchange.body, summary["content_type"] or ""))
            summary["same_as_home"] = exchange.summary.get("body_sha256") == home.summary.get("body_sha256")
            live["sensitive"][path] = summary

        live["extra"] = {}
        for item in self.extra:
            exchange = self.fetch(base + item["path"])
            summary = dict(exchange.summary)
            summary["expected_sha256"] = item.get("expected_sha256")
            live["extra"][item["name"]] = summary

    def sensitive_paths(self) -> list[str]:
        paths = list(SENSITIVE_PATHS)
        for name in self.project_names or ["my_project"]:
            paths += [f"/{name}/settings.py", f"/{name}/settings_svs.py"]
        return paths[:12]

    def admin_login(self, base: str) -> dict:
        page = self.fetch(f"{base}/admin/login/")
        out: dict = {"get": page}
        if page.status != 200 or "admin_login_form" not in page.summary.get("markers", []):
            return out
        token = TOKEN_RE.search(page.body)
        csrf = cookie_values(page.raw_headers).get("csrftoken")
        if not token or not csrf:
            out["post"] = {"skipped": "no-token" if not token else "no-cookie"}
            return out
        origin = base
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "username": "kontrola-kurzu",
                                       "password": os.urandom(8).hex(), "next": "/admin/"}).encode()
        out["post"] = self.fetch(f"{base}/admin/login/", method="POST", body=form, headers={
            "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin, "Referer": f"{base}/admin/login/"})
        return out


def gather_live(url: str, *, ca_file: str | None = None, timeout: float = 20.0, connect_to: str | None = None,
                project_names=(), extra=None) -> dict:
    """The live facts of the site at `url` (a dict for facts['live'])."""
    client = LiveClient(ca_file=ca_file, timeout=timeout, connect_to=connect_to)
    return Gatherer(url, client, project_names=project_names, extra=extra).run()


def live_document(url: str, live: dict, params: dict) -> dict:
    """A facts document holding only live facts (what `web` saves and regrades)."""
    return {"schema": SCHEMA, "kind": "live", "live": live, "errors": {}, "params": params,
            "gathered": {"target": url, "at": time.time(), "seconds": live.get("seconds"),
                         "requests": live.get("requests")}}
