"""Step 11: the whole way, through nginx as a browser would – the app's home page, a clean 404,
a 400 for a foreign Host, a linked static file, an uploaded media file, the admin login with CSRF.

Everything past the home page waits for it: when the home page does not work, its cause is the one
red line, not four more pages failing the same way."""

from __future__ import annotations

import mimetypes

from checkers.checks.base import Check, failed, passed, unknown, word
from checkers.checks.nginx import media_by_behaviour
from checkers.checks.webfacts import https_redirect, nothing_on_port80, site_host, status_text, web
from checkers.factsview import Facts, fallback


def answers(facts: dict):
    """The root of the whole way: something answers HTTP on port 80."""
    if not Facts(facts).http.web:
        return nothing_on_port80(facts)
    home = web(facts, "home")
    if home.get("status") is None:
        listening = any(row["port"] == 80 for row in Facts(facts).listening.tcp)
        if listening and home.get("error") == "timeout":
            return failed("no_answer_listening", status=status_text(home))
        return failed("no_answer", status=status_text(home))
    return passed(status=status_text(home))


def _reachable(facts: dict, name: str):
    response = web(facts, name)
    if not response:
        return None, failed("no_request")
    if response.get("status") is None:
        return None, failed("no_answer", status=status_text(response))
    return response, None


def home_page(facts: dict):
    home, problem = _reachable(facts, "home")
    if problem:
        return problem
    markers = home.get("markers", [])
    if "nginx_welcome" in markers:
        return failed("welcome_page", host=site_host(facts))
    if "django_install_worked" in markers:
        return failed("install_page")
    redirect = https_redirect(facts, home)
    if redirect and redirect["by"] == "app":
        return failed("https_redirect_app", location=redirect["location"])
    if redirect:
        return failed("https_redirect_nginx", location=redirect["location"])
    if home["status"] != 200:
        return failed("status", status=status_text(home), host=site_host(facts))
    if not home.get("django_headers"):
        return failed("not_django")
    return passed(title=home.get("title") or "?", host=site_host(facts))


def clean_404(facts: dict):
    response, problem = _reachable(facts, "not_found")
    if problem:
        return problem
    if "django_debug" in response.get("markers", []):
        return failed("debug_page", url=response["path"])
    if response["status"] != 404:
        return failed("status", url=response["path"], status=status_text(response))
    return passed(url=response["path"])


def foreign_host_rejected(facts: dict):
    response, problem = _reachable(facts, "bad_host")
    if problem:
        return problem
    if response["status"] == 400:
        return passed("django")
    direct = Facts(facts).http.upstream.bad_host
    app_answered = response.get("django_headers") and response["status"] < 400
    if not app_answered and direct.get("status") == 400:
        return passed("nginx", status=status_text(response))
    if app_answered:
        return failed("app_answers", status=status_text(response))
    return failed("status", status=status_text(response), direct=status_text(direct))


def _not_served(facts: dict, response: dict):
    """A file answered other than 200. A 403 from nginx itself (not from the app) is a refusal to
    hand the file out: most often nginx's user may not read it (inferred; doctor looks at the rights)."""
    seen = {"url": response["path"], "status": status_text(response)}
    if response.get("status") == 403 and not response.get("django_headers"):
        return failed("forbidden", **seen, user=fallback(Facts(facts).paths.web_user, "www-data"))
    return failed("status", **seen)


def linked_static(facts: dict):
    response = web(facts, "static_linked")
    if not response:
        static = Facts(facts).django.static
        if "error" in static:  # without STATIC_URL the probe could not look for the page's links
            return unknown("static_error", error=fallback(static.error.message, "?"))
        return failed("no_links", prefix=fallback(static.url, "/static/"))
    if response.get("status") != 200:
        return _not_served(facts, response)
    expected = mimetypes.guess_type(response["path"])[0]
    content_type = fallback((response.get("headers") or {}).get("content-type"), "")
    if expected and not content_type.startswith(expected):
        return failed("content_type", url=response["path"], content_type=content_type or word("missing"), expected=expected)
    return passed(url=response["path"], content_type=content_type)


def media_file(facts: dict):
    response = web(facts, "media_file")
    if not response:
        # No uploaded file to load: the same proof by behaviour as step 7 (nginx answers /media/
        # from MEDIA_ROOT), or "cannot verify" - never a failure for an empty MEDIA_ROOT.
        return media_by_behaviour(facts)
    if response.get("status") != 200:
        return _not_served(facts, response)
    if response.get("expected_sha256") and response.get("body_sha256") != response.get("expected_sha256"):
        return failed("other_file", url=response["path"])
    return passed(url=response["path"])


def admin_login(facts: dict):
    login = Facts(facts).http.web.admin_login
    page = login.get("get") or {}
    if page.get("status") != 200 or "admin_login_form" not in page.get("markers", []):
        return failed("no_page", status=status_text(page))
    if not any(c["name"] == "csrftoken" for c in page.get("cookies", [])):
        return failed("no_cookie")
    post = login.get("post") or {}
    if post.get("status") == 403 or "csrf_failure" in post.get("markers", []):
        return failed("csrf_failed")
    if post.get("status") != 200:
        return failed("post_status", status=status_text(post))
    return passed()


CHECKS = (
    Check("web.E001", answers),
    Check("web.E002", home_page, requires=("web.E001",)),
    Check("web.E003", clean_404, requires=("web.E002",)),
    Check("web.E004", foreign_host_rejected, requires=("web.E002",)),
    Check("web.E005", linked_static, requires=("web.E002",)),
    Check("web.E006", media_file, requires=("web.E002",)),
    Check("web.E007", admin_login, requires=("web.E002",)),
)
