"""Czech texts of checks and diagnoses, kept as data (checkers/texts/*.toml)."""

from __future__ import annotations

import re
import string
import tomllib
from functools import lru_cache

from checkers.paths import TEXTS_DIR

COMMON = "_common"
SEEN = "_seen"  # Czech words checks put into what they saw, by key


class _Lenient(dict):
    def __missing__(self, key):
        return "?"


# {count|soubor|soubory|souborů}: the number and the noun in the form its number asks for.
PLURAL_FIELD = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\|([^{}|]*)\}")


def fill(template: str, values: dict) -> str:
    """str.format_map that leaves missing values as '?' instead of raising.

    A field `{name|one|few|many}` is a count with its noun in Czech agreement (see `plural`):
    `{count|soubor|soubory|souborů}` gives "1 soubor", "3 soubory", "12 souborů"; the forms may
    be phrases with the verb that agrees ("{n|soubor se změnil|soubory se změnily|souborů se změnilo}").
    """
    def counted(match: re.Match) -> str:
        name, one, few, many = match.groups()
        value = values.get(name)
        number = as_count(value)
        text = plural(number, one, few, many) if number is not None else f"{'?' if value is None else value} {many}"
        return text.replace("{", "{{").replace("}", "}}")

    try:
        return string.Formatter().vformat(PLURAL_FIELD.sub(counted, template), (), _Lenient(values))
    except (ValueError, IndexError):
        return template


def as_count(value) -> int | None:
    """An int for a count given as int, integral float or digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def plural_form(n: int, one: str, few: str, many: str) -> str:
    """The Czech form for a count: one for 1, few for 2–4, many for 0, 5 and more (and negatives)."""
    return one if n == 1 else few if 2 <= n <= 4 else many


def plural(n: int, one: str, few: str, many: str) -> str:
    """Czech plural with the number: 1 bod, 2 body, 5 bodů. The one place every count is worded."""
    return f"{n} {plural_form(n, one, few, many)}"


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


def seen_word(key: str, **values) -> str:
    """The Czech word or phrase `key` of checks.toml's [_seen], filled with `values`."""
    return fill(table("checks")[SEEN][key], values)
