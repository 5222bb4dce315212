"""The check registry: every check module is listed here explicitly (no import side effects)."""

from __future__ import annotations

from functools import lru_cache

from checkers.checks import (appengine, causes, deploy, django_settings, gunicorn, live, media, nginx, postgres,
                             project, secret, static, svs, systemd, web)
from checkers.checks.base import Check, Kind

MODULES = (project, django_settings, static, media, secret, deploy, nginx, gunicorn, systemd, postgres, web, live,
           appengine, svs, causes)


@lru_cache(maxsize=1)
def registry() -> dict[str, Check]:
    checks: dict[str, Check] = {}
    for module in MODULES:
        for check in module.CHECKS:
            if check.id in checks:
                raise ValueError(f"duplicate check id {check.id}")
            checks[check.id] = check
    return checks


def cause_ids() -> list[str]:
    """doctor's causes in the order it names them (checks/causes: PRECEDENCE)."""
    return [check.id for check in registry().values() if check.kind is Kind.CAUSE]
