"""The live site looked at from here: collecting it, explaining why it could not be reached, and
the SVS profile's look at https://<domain>/ after the probe."""

from __future__ import annotations

from checkers.errors import CheckerError, ExitCode
from checkers.facts import dig
from checkers.texts import check_texts, fill
from checkers.web.gather import gather_live, live_document

LIVE_ROOT_CHECK = "live.E001"
MAX_TIMEOUT = 30.0  # per request; App Engine cold starts take up to ~20 s

__all__ = ["collect_live", "fatal_error", "add_live_facts", "live_document", "request_timeout"]


def request_timeout(timeout: float | None) -> float:
    return max(1.0, min(MAX_TIMEOUT, float(timeout or MAX_TIMEOUT)))


def collect_live(url: str, ca_file: str | None, timeout: float, progress, *, project_names=(), extra=None) -> dict:
    with progress.spinner(f"Zkouším web {url}…"):
        return gather_live(url, ca_file=ca_file, timeout=request_timeout(timeout), project_names=project_names,
                           extra=extra)


def fatal_error(live: dict) -> CheckerError:
    """The site could not be reached at all: explain why in Czech (texts of live.E001) → exit 2."""
    fatal = live["fatal"]
    texts = check_texts(LIVE_ROOT_CHECK)
    values = {"host": fatal.get("host", "?"), "port": fatal.get("port", "?"), "detail": fatal.get("detail") or "?",
              "url": fatal.get("url", "?")}
    kind = fatal.get("kind", "network")
    message = fill(texts.get(f"error_{kind}", texts["error_network"]), values)
    hint = fill(texts.get(f"hint_{kind}", texts["hint_network"]), values)
    return CheckerError(message, hint, ExitCode.CANNOT_CHECK)


def add_live_facts(facts: dict, ca_file: str | None, timeout: float, progress) -> dict:
    """SVS profile: after the probe, look at https://<domain>/ from here (facts['live'])."""
    domain = dig(facts, "svs.domain.name")
    if not domain or not dig(facts, "svs.domain.valid") or not dig(facts, "svs.caddy_root.exists"):
        facts["live"] = {"fatal": {"kind": "no_domain", "host": "?", "port": "?", "detail": "doména není známá"}}
        return facts
    extra = []
    media = dig(facts, "django.media", {}) or {}
    sample = media.get("sample")
    if sample and media.get("url"):
        from checkers.probe.http_requests import url_path

        extra.append({"name": "media_sample", "path": url_path(media["url"], sample["path"]),
                      "expected_sha256": sample.get("sha256")})
    module = dig(facts, "django.settings_module") or dig(facts, "app.settings_module") or ""
    names = [module.split(".")[0]] if module else []
    facts["live"] = collect_live(f"https://{domain}/", ca_file, timeout, progress, project_names=names, extra=extra)
    return facts
