"""Czech texts of checks and diagnoses, kept as data (checkers/texts/*.toml)."""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache

from checkers.paths import TEXTS_DIR

COMMON = "_common"


class _Lenient(dict):
    def __missing__(self, key):
        return "?"


def fill(template: str, values: dict) -> str:
    """str.format_map that leaves missing values as '?' instead of raising."""
    try:
        return string.Formatter().vformat(template, (), _Lenient(values))
    except (ValueError, IndexError):
        return template


def plural(n: int, one: str, few: str, many: str) -> str:
    """Czech plural: 1 bod, 2 body, 5 bodů."""
    word = one if n == 1 else few if 2 <= n <= 4 else many
    return f"{n} {word}"


@lru_cache(maxsize=None)
def table(name: str) -> dict:
    return tomllib.loads((TEXTS_DIR / f"{name}.toml").read_text(encoding="utf-8"))


def pick(entry: dict, common: dict, kind: str, reason: str) -> str:
    """The most specific text: entry kind_reason, common kind_reason, entry kind, common kind."""
    candidates = [f"{kind}_{reason}"] if reason else []
    for key in candidates:
        if key in entry:
            return entry[key]
        if key in common:
            return common[key]
    return entry.get(kind, common.get(kind, ""))


def check_texts(check_id: str) -> dict:
    checks = table("checks")
    if check_id not in checks:
        raise KeyError(f"no texts for check {check_id}")
    return checks[check_id]
