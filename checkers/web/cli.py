"""`./kurz web --target https://…` and the live part of the SVS profile.

Exit codes as everywhere: 0 all passed, 1 something to fix, 2 could not check (the site does
not resolve, refuses connections, its TLS cannot be verified…: explained in Czech).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from checkers.errors import CheckerError, ExitCode
from checkers.facts import dig, save, slug
from checkers.paths import state_dir
from checkers.texts import check_texts, fill

WEB_STEP = "web"
LIVE_ROOT_CHECK = "live.E001"
MAX_TIMEOUT = 30.0  # per request; App Engine cold starts take up to ~20 s


def request_timeout(args: argparse.Namespace) -> float:
    return max(1.0, min(MAX_TIMEOUT, float(getattr(args, "timeout", MAX_TIMEOUT) or MAX_TIMEOUT)))


def parse_url(spec: str | None) -> str:
    text = (spec or "").strip()
    if not text:
        raise CheckerError("Chybí adresa webu.", "Zadejte ji parametrem --target, např. "
                           "`./kurz web --target https://jmeno.svs.gyarab.cz`.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError as exc:
        raise CheckerError(f"Port v adrese {spec} není číslo.", "Tvar je `https://domena[:port]/`.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CheckerError(f"„{spec}“ není adresa webu.",
                           "Zadejte celou adresu, např. `--target https://jmeno.svs.gyarab.cz`.")
    return text


def ca_file(args: argparse.Namespace) -> str | None:
    path = getattr(args, "ca_file", None)
    if path and not Path(path).is_file():
        raise CheckerError(f"Soubor s certifikační autoritou {path} neexistuje.",
                           "Zadejte v --ca-file cestu k certifikátu autority ve formátu PEM.")
    return path


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


def collect_live(url: str, args: argparse.Namespace, report, *, project_names=(), extra=None) -> dict:
    from checkers.web.gather import gather_live

    with report.spinner(f"Zkouším web {url}…"):
        return gather_live(url, ca_file=ca_file(args), timeout=request_timeout(args), project_names=project_names,
                           extra=extra)


def run_web(course, args: argparse.Namespace, report) -> int:
    from checkers import facts as facts_mod
    from checkers import session
    from checkers.cli import extra_args
    from checkers.engine import exit_code
    from checkers.report import json_report
    from checkers.web.gather import live_document

    extra_args(args, 0)
    step = course.step(WEB_STEP)
    if args.facts:
        facts = facts_mod.load(args.facts)
        if "live" not in facts:
            raise CheckerError(f"V souboru {args.facts} nejsou fakta o živém webu.",
                               "Použijte soubor uložený příkazem `web --save-facts` nebo profilem svs.")
        target = dig(facts, "gathered.target", "uložená fakta")
    else:
        url = parse_url(args.target)
        live = collect_live(url, args, report)
        if live.get("fatal"):
            raise fatal_error(live)
        facts = live_document(url, live, {"url": url, "profile": "url", "ca_file": bool(args.ca_file)})
        target = url
        save(facts, state_dir() / "facts" / f"web-{slug(urlsplit(url).hostname or url)}.json")
        if args.save_facts:
            save(facts, Path(args.save_facts))
    runs = session.evaluate(facts, course, [step])
    warnings = session.record(runs, course, target) if not args.facts else []
    if args.json:
        json_report.emit(json_report.runs_document(runs, target, step.id))
    else:
        report.runs(runs, course, target)
    for warning in warnings:
        report.warning(warning)
    return int(exit_code([r for run in runs for r in run.results]))


def add_live_facts(facts: dict, args: argparse.Namespace, report) -> dict:
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
    facts["live"] = collect_live(f"https://{domain}/", args, report, project_names=names, extra=extra)
    return facts
