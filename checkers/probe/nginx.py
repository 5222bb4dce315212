"""nginx facts: installed, config validity, the effective configuration, sites, error log."""

from __future__ import annotations

import os

from checkers.probe import nginx_conf
from checkers.probe.runtime import run, tail_lines, which

SITES_AVAILABLE = "/etc/nginx/sites-available"
SITES_ENABLED = "/etc/nginx/sites-enabled"
CONF_D = "/etc/nginx/conf.d"
DEFAULT_ERROR_LOG = "/var/log/nginx/error.log"


def _listing(directory: str) -> list:
    entries = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return entries
    for name in names:
        path = os.path.join(directory, name)
        link = os.readlink(path) if os.path.islink(path) else None
        entries.append({"name": name, "symlink_to": link, "exists": os.path.exists(path),
                        "resolved": os.path.realpath(path)})
    return entries


def collect() -> dict:
    binary = which("nginx")
    if not binary:
        return {"installed": False}
    test = run([binary, "-t"], timeout=15)
    config = nginx_conf.load()
    return {
        "installed": True,
        "binary": binary,
        "test": test.brief(),
        "config": config,
        "user": config["user"] or "www-data",
        "sites_available": _listing(SITES_AVAILABLE),
        "sites_enabled": _listing(SITES_ENABLED),
        "conf_d": [e for e in _listing(CONF_D) if e["name"].endswith(".conf")],
        "newest_change": newest_change(config.get("files") or []),
    }


def newest_change(files: list) -> dict | None:
    """The last change to the configuration: its files and the links that enable sites (a link
    made or removed changes its directory). Compared with when nginx's workers started, it tells
    whether nginx runs what the files say or still the configuration before a missing reload."""
    newest = None
    for path in list(files) + [SITES_ENABLED, CONF_D]:
        for look in (os.lstat, os.stat):  # a link itself, and the file it names (edited in sites-available)
            try:
                mtime = look(path).st_mtime
            except OSError:
                continue
            if newest is None or mtime > newest["mtime"]:
                shown = os.path.realpath(path) if look is os.stat else path
                newest = {"path": shown, "mtime": mtime}
    return newest


def error_logs(config: dict) -> dict:
    """The tails of the error logs. Read after the probe's own requests, so that the line about
    the request that just failed is there (a 502 nobody asked for yet has left no line)."""
    logs = {}
    for path in (config.get("error_logs") or [DEFAULT_ERROR_LOG])[:3]:
        if not os.path.isabs(path):
            path = os.path.join("/usr/share/nginx", path)
        logs[path] = tail_lines(path, 200)
    return logs
