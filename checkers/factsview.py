"""Typed access to the facts document: `Facts(doc).nginx.test.rc` instead of `dig(doc, "nginx.test.rc")`.

The names an accessor knows are the names of the facts schema (checkers/facts_schema.json, the
same file the tests validate every recorded document against): a name the schema does not have
is a programming error (`UnknownFact`), never a silent None, so a typo fails the first test that
runs the line. What a name gives follows the schema's type for it, with `dig`'s defaults:

  object  a view of it (an empty view when missing or null; empty views are falsy)
  array   the list ([] when missing or null)
  scalar  the value, or None when missing; `fallback(value, default)` for another default

Dict-like parts whose keys are data (units, requests, headers, files) are maps: `units["nginx.service"]`,
`.get(name)`, `.items()`. Lists hold plain dicts. A fact named like a Mapping method is read by item
(`admin_login["get"]`). A view is read-only and does no I/O. Its types, for editors and type
checkers, are generated from the schema into factsview.pyi (scripts/facts_types.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("facts_schema.json")


class UnknownFact(LookupError):
    """A name the facts schema does not have (not a KeyError: `.get()` must not swallow it)."""


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _resolve(node: dict) -> dict:
    """The node behind a local $ref, and the object branch of an anyOf."""
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = schema()["$defs"][name]
        elif "anyOf" in node:
            node = next((n for n in node["anyOf"] if "$ref" in n or "object" in _types(n)), node["anyOf"][0])
        else:
            return node


def _types(node: dict) -> set[str]:
    kind = node.get("type", ())
    return {kind} if isinstance(kind, str) else set(kind)


def fallback(value, default):
    """`default` where the fact is missing or null (dig's rule), the value otherwise (also 0, "", False)."""
    return default if value is None else value


_SHAPES: dict[int, tuple[dict, bool, bool]] = {}  # id(schema node) -> (resolved node, object?, array?)


def _shape(node: dict) -> tuple[dict, bool, bool]:
    """What a schema node gives, worked out once per node (the schema is loaded once and kept)."""
    found = _SHAPES.get(id(node))
    if found is None:
        resolved = _resolve(node)
        types = _types(resolved)
        found = _SHAPES[id(node)] = (resolved, "object" in types, "array" in types)
    return found


def wrap(value, node: dict):
    """A fact as its schema node says to give it: a view, a list or a scalar."""
    resolved, is_object, is_array = _shape(node)
    if is_object and (value is None or isinstance(value, (dict, View))):
        return value if isinstance(value, View) else View(value or {}, resolved)
    if is_array and value is None:
        return []
    return value


class View(Mapping):
    """One object of the facts: attribute access by schema name, Mapping access for maps."""

    __slots__ = ("_data", "_node")

    def __init__(self, data: Mapping, node: dict):
        self._data = data
        self._node = node

    def _child(self, key: str) -> dict:
        properties = self._node.get("properties")
        if properties is not None and key in properties:
            return properties[key]
        extra = self._node.get("additionalProperties", True)
        if extra is False:
            raise UnknownFact(f"the facts schema has no {key!r} here (known: {', '.join(sorted(properties or ()))})")
        return extra if isinstance(extra, dict) else {}

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return wrap(self._data.get(name), self._child(name))

    def __getitem__(self, key: str):
        node = self._child(key)
        if key not in self._data:
            raise KeyError(key)
        value = self._data[key]
        return None if value is None else wrap(value, node)  # item access keeps dict's rules: a null is None

    def __contains__(self, key) -> bool:
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"View({self._data!r})"

    @property
    def raw(self) -> Mapping:
        """The plain data (for code outside the pure layer that still takes dicts)."""
        return self._data


class Facts(View):
    """The whole document. `Facts(Facts(doc))` is the same view: helpers may take either."""

    def __new__(cls, doc):
        if isinstance(doc, Facts):
            return doc
        return super().__new__(cls)

    def __init__(self, doc):
        if isinstance(doc, Facts):
            return
        super().__init__(doc if isinstance(doc, Mapping) else {}, schema())


def plain(value):
    """The plain data of a view (helpers shared with code that takes dicts return this)."""
    return value.raw if isinstance(value, View) else value
