"""Bonus step `web`: the live site as a visitor sees it (any deployment: App Engine, SVS, a VPS).

The facts come from the host-side client (checkers/web/): facts['live'] holds one summary per
request. When the very first request failed (DNS, refused, TLS, timeout) facts['live']['fatal']
says why; `web` then stops with exit code 2, the SVS profile shows it as "could not check".
"""

from __future__ import annotations

import functools
import mimetypes
import re
import urllib.parse

from checkers.checks.base import Check, failed, passed, unknown, word
from checkers.factsview import Facts, fallback

PLACEHOLDERS = ("svs_placeholder", "nginx_welcome", "caddy_default", "apache_default")
REDIRECTS = (301, 302, 303, 307, 308)
DEV_SERVER_RE = re.compile(r"WSGIServer/|Werkzeug/", re.IGNORECASE)
APP_SERVER_WORDS = ("gunicorn", "uvicorn", "uwsgi", "daphne", "waitress", "Google Frontend")
JS_TYPES = ("application/javascript", "text/javascript", "application/x-javascript")
SECURE_COOKIES = ("csrftoken", "sessionid")


def on_live_site(check=None, *, root: bool = False):
    """Decorator: the check gets (facts, live) and runs only when the site answered at all."""
    def wrap(func):
        @functools.wraps(func)
        def checked(facts: dict):
            live, problem = _live(facts, root)
            return problem or func(facts, live)
        return checked
    return wrap(check) if check else wrap


def _live(facts: dict, root: bool = False):
    """(live facts, None) or (None, an 'unknown' outcome) when the site could not be reached at all.

    The root check (live.E001) says why (DNS, refused, TLS…); the others only that it failed."""
    live = Facts(facts).live
    if not live:
        return None, unknown("no_live")
    fatal = live.get("fatal")
    if fatal:
        return None, unknown(fatal.get("kind", "network") if root else "unreachable", host=fatal.get("host", "?"),
                             port=fatal.get("port", "?"), detail=fatal.get("detail") or "?", url=fatal.get("url", "?"))
    return live, None


def status_text(response: dict | None) -> str:
    if not response:
        return word("no_response")
    if response.get("status") is None:
        return word("connection_failed", error=response.get("error_detail") or response.get("error") or "?")
    return f"HTTP {response['status']}"


def header(response, name: str, default=None):
    """A response's header (lower-case name), `default` when absent."""
    return fallback((response.get("headers") or {}).get(name), default)


def path_of(response: dict) -> str:
    return urllib.parse.urlsplit(response.get("url", "")).path or "/"


def from_app(response: dict) -> bool:
    """Did Django (through any proxy) produce this response? Its middleware headers or cookie say so."""
    if response.get("django_headers"):
        return True
    headers = response.get("headers", {})
    if "x-frame-options" in headers or "cross-origin-opener-policy" in headers:
        return True
    if any(c.get("name") == "csrftoken" for c in response.get("cookies", [])):
        return True
    return any(word.lower() in s.lower() for s in response.get("servers", []) for word in APP_SERVER_WORDS[:4])


@on_live_site(root=True)
def https_works(facts: dict, live: dict):
    if live.get("scheme") != "https":
        error = live.get("https_error") or {}
        return failed("no_https", host=live["host"], error=error.get("detail") or error.get("kind") or "?")
    tls = live.get("tls") or {}
    return passed(host=live["host"], version=tls.get("version") or "TLS", issuer=tls.get("issuer") or "?",
                  not_after=tls.get("not_after") or "?")


@on_live_site
def http_redirects(facts: dict, live: dict):
    plain = live.get("http_redirect") or {}
    if plain.get("status") is None:
        return failed("unreachable", host=live["host"], status=status_text(plain))
    location = header(plain, "location", "")
    if plain["status"] in REDIRECTS:
        target = urllib.parse.urljoin(plain.get("url", ""), location)
        parts = urllib.parse.urlsplit(target)
        if parts.scheme != "https":
            return failed("not_https", location=location or word("missing"))
        if (parts.hostname or "").lower() != live["host"]:
            return failed("other_host", location=location)
        return passed(status=plain["status"], location=target)
    if plain["status"] == 200:
        return failed("serves_http", host=live["host"])
    return failed("status", status=status_text(plain), host=live["host"])


@on_live_site
def home_page(facts: dict, live: dict):
    home = live.get("home") or {}
    if home.get("status") is None:
        return failed("no_answer", status=status_text(home))
    markers = home.get("markers", [])
    for marker in PLACEHOLDERS:
        if marker in markers:
            return failed(marker, host=live["host"], title=home.get("title") or "?")
    if "django_install_worked" in markers:
        return failed("install_page")
    if "django_debug" in markers:
        return failed("debug_error", status=status_text(home))
    status = home["status"]
    if status == 400:
        return failed("bad_request", host=live["host"])
    if status in (502, 503, 504):
        return failed("bad_gateway", status=status_text(home))
    if status == 500:
        return failed("server_error")
    if status == 404:
        return failed("not_found", path=path_of(home))
    if status in REDIRECTS:
        return failed("redirect_away", location=header(home, "location", "?"))
    if status != 200:
        return failed("status", status=status_text(home))
    if not from_app(home):
        return failed("not_django", title=home.get("title") or "?")
    return passed(title=home.get("title") or "(bez titulku)", path=path_of(home))


@on_live_site
def no_dev_server(facts: dict, live: dict):
    servers = []
    for response in [live.get("home") or {}, live.get("not_found") or {}]:
        servers += [s for s in response.get("servers", []) if s not in servers]
    dev = [s for s in servers if DEV_SERVER_RE.search(s)]
    if dev:
        return failed(server=", ".join(dev))
    shown = ", ".join(servers) or word("not_stated")
    if any(word.lower() in s.lower() for s in servers for word in APP_SERVER_WORDS):
        return passed("app_server", servers=shown)
    return passed("hidden", servers=shown)


@on_live_site
def clean_404(facts: dict, live: dict):
    response = live.get("not_found") or {}
    if response.get("status") is None:
        return failed("no_answer", status=status_text(response))
    if "django_debug" in response.get("markers", []):
        return failed("debug_page", url=path_of(response))
    if response["status"] != 404:
        return failed("status", url=path_of(response), status=status_text(response))
    return passed(url=path_of(response))


@on_live_site
def foreign_host(facts: dict, live: dict):
    response = live.get("bad_host") or {}
    if response.get("status") is None:
        return passed("front", status=status_text(response))
    if response["status"] == 400:
        return passed("django")
    app_page = response.get("same_as_home") or (from_app(response) and response["status"] < 400)
    if app_page:
        return failed("app_answers", status=status_text(response), host=response.get("host_sent", "?"))
    return passed("front", status=status_text(response))


def expected_type(path: str) -> tuple[str, ...]:
    if path.endswith(".js"):
        return JS_TYPES
    guessed = mimetypes.guess_type(path)[0]
    return (guessed,) if guessed else ()


@on_live_site
def linked_static(facts: dict, live: dict):
    response = live.get("static")
    if not response:
        return failed("no_links")
    url = path_of(response)
    if response.get("status") != 200:
        return failed("status", url=url, status=status_text(response))
    content_type = (header(response, "content-type", "") or "").split(";")[0].strip().lower()
    expected = expected_type(url)
    if content_type == "text/html" and "text/html" not in expected:
        return failed("html", url=url)
    if expected and content_type not in expected:
        return failed("content_type", url=url, content_type=content_type or word("missing"), expected=expected[0])
    return passed(url=url, content_type=content_type or "?")


@on_live_site
def security_headers(facts: dict, live: dict):
    headers = live.home.headers
    missing = []
    if (headers.get("x-content-type-options") or "").lower() != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    if not headers.get("referrer-policy"):
        missing.append("Referrer-Policy")
    if (headers.get("x-frame-options") or "").upper() not in ("DENY", "SAMEORIGIN"):
        missing.append("X-Frame-Options")
    if missing:
        return failed(missing=", ".join(missing))
    return passed(frame=headers["x-frame-options"], referrer=headers["referrer-policy"])


def hsts_max_age(value: str) -> int | None:
    match = re.search(r"max-age\s*=\s*\"?(\d+)", value or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


def _hsts_header(live: dict) -> str:
    for name in ("home", "not_found"):
        value = header(live.get(name) or {}, "strict-transport-security")
        if value:
            return value
    return ""


@on_live_site
def hsts(facts: dict, live: dict):
    if live.get("scheme") != "https":
        return failed("no_https")
    value = _hsts_header(live)
    if not value:
        return failed("missing")
    age = hsts_max_age(value)
    if not age:
        return failed("zero", value=value)
    return passed(seconds=age)


@on_live_site
def cookie_flags(facts: dict, live: dict):
    seen = {}
    for cookie in live.get("cookies", []):
        if cookie.get("name") in SECURE_COOKIES:
            seen.setdefault(cookie["name"], cookie)
    if not seen:
        return passed("none")
    wrong = []
    for name, cookie in sorted(seen.items()):
        if not cookie.get("secure"):
            wrong.append(f"{name} bez Secure")
        if name == "sessionid" and not cookie.get("httponly"):
            wrong.append(f"{name} bez HttpOnly")
    if wrong:
        return failed(problems=", ".join(wrong))
    return passed(names=", ".join(sorted(seen)))


@on_live_site
def admin_csrf(facts: dict, live: dict):
    login = live.get("admin_login") or {}
    page = login.get("get") or {}
    if page.get("status") == 404:
        return passed("no_admin")
    if page.get("status") != 200 or "admin_login_form" not in page.get("markers", []):
        return failed("no_page", status=status_text(page))
    post = login.get("post") or {}
    if post.get("skipped"):
        return failed("no_cookie")
    if post.get("status") == 403 or "csrf_failure" in post.get("markers", []):
        return failed("csrf_failed", host=live["host"])
    if post.get("status") != 200:
        return failed("post_status", status=status_text(post))
    return passed()


def exposed_files(live: dict) -> list[str]:
    exposed = []
    for path, response in (live.get("sensitive") or {}).items():
        if response.get("status") != 200 or response.get("same_as_home"):
            continue
        content_type = (response.get("content_type") or "").lower()
        if response.get("looks_like_file") or ("html" not in content_type and response.get("body_length")):
            exposed.append(path)
    return exposed


@on_live_site
def no_sensitive_files(facts: dict, live: dict):
    exposed = exposed_files(live)
    if exposed:
        return failed(files=", ".join(exposed), host=live["host"])
    return passed(count=len(live.get("sensitive") or {}))


@on_live_site
def hsts_scope(facts: dict, live: dict):
    value = _hsts_header(live).lower()
    extras = [word for word in ("includesubdomains", "preload") if word in value]
    if extras:
        return passed("present", value=_hsts_header(live))
    return passed("none")


@on_live_site
def served_by(facts: dict, live: dict):
    servers = []
    for name in ("home", "static", "not_found"):
        for server in (live.get(name) or {}).get("servers") or []:
            if server not in servers:
                servers.append(server)
    return passed(servers=", ".join(servers) or word("not_stated"), requests=live.get("requests", "?"),
                  seconds=live.get("seconds", "?"))


CHECKS = (
    Check("live.E001", https_works),
    Check("live.E002", http_redirects, requires=("live.E001",)),
    Check("live.E003", home_page),
    Check("live.E004", no_dev_server),
    Check("live.E005", clean_404, requires=("live.E003",)),
    Check("live.E006", foreign_host, requires=("live.E003",)),
    Check("live.E007", linked_static, requires=("live.E003",)),
    Check("live.E008", security_headers, requires=("live.E003",)),
    Check("live.E009", hsts, requires=("live.E001",)),
    Check("live.E010", cookie_flags, requires=("live.E003",)),
    Check("live.E011", admin_csrf, requires=("live.E003",)),
    Check("live.E012", no_sensitive_files),
    Check("live.I001", hsts_scope, requires=("live.E009",)),
    Check("live.I002", served_by),
)
