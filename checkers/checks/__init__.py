"""The check registry: the CHECKS tuple of every module of this package.

Each check module declares its checks explicitly in a module-level `CHECKS` tuple (no decorator,
no registration as a side effect of importing). The registry finds the modules itself, so a new
module (`./kurz new-check` writes one for a new component) needs no list to be edited here.
Modules without CHECKS are helpers (base, common, service, webfacts).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from checkers.checks.base import Check, Kind


def check_modules() -> list:
    """The modules of this package that declare checks, by name (a stable order)."""
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)]
    return [module for module in modules if hasattr(module, "CHECKS")]


@lru_cache(maxsize=1)
def registry() -> dict[str, Check]:
    checks: dict[str, Check] = {}
    for module in check_modules():
        for check in module.CHECKS:
            if check.id in checks:
                raise ValueError(f"duplicate check id {check.id}")
            checks[check.id] = check
    return checks


def cause_ids() -> list[str]:
    """doctor's causes in the order it names them (checks/causes: PRECEDENCE)."""
    return [check.id for check in registry().values() if check.kind is Kind.CAUSE]
