"""Write checkers/factsview.pyi: the types of the facts accessors, generated from the facts schema.

Run after changing checkers/facts_schema.json (tests/unit/test_facts_schema.py fails while the
stub is stale):  python scripts/facts_types.py
Editors and type checkers then know `Facts(doc).nginx.test.rc` is `int | None`, and flag a name the
schema does not have before any test runs.
"""

from __future__ import annotations

import json
import keyword
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "checkers" / "facts_schema.json"
STUB = ROOT / "checkers" / "factsview.pyi"
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
# A view is a Mapping: a fact named like one of its methods is read by item (login["get"]).
VIEW_NAMES = {"get", "items", "keys", "values", "raw"}

HEADER = '''# Generated from checkers/facts_schema.json by scripts/facts_types.py: do not edit by hand.
# (Long because generated: one class for each object of the facts schema.)
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

SCHEMA_FILE: Path

class UnknownFact(LookupError): ...

def schema() -> dict[str, Any]: ...
def fallback(value: Any, default: Any) -> Any: ...
def wrap(value: Any, node: dict[str, Any]) -> Any: ...
def plain(value: Any) -> Any: ...

class View(Mapping[str, Any]):
    def __init__(self, data: Mapping[str, Any], node: dict[str, Any]) -> None: ...
    def __getitem__(self, key: str) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    @property
    def raw(self) -> Mapping[str, Any]: ...
'''


class Generator:
    def __init__(self, schema: dict):
        self.schema = schema
        self.classes: dict[str, list[str]] = {}

    def resolve(self, node: dict) -> tuple[dict, str | None]:
        """(the node, the name of its $defs entry or None), through $ref and anyOf."""
        name = None
        while True:
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                node = self.schema["$defs"][name]
            elif "anyOf" in node:
                node = next((n for n in node["anyOf"] if n.get("$ref") or "object" in self.types(n)),
                            node["anyOf"][0])
            else:
                return node, name

    @staticmethod
    def types(node: dict) -> set[str]:
        kind = node.get("type", ())
        return {kind} if isinstance(kind, str) else set(kind)

    def annotation(self, node: dict, path: list[str]) -> str:
        """The type an accessor gives for this node (scalars may always be missing: `| None`)."""
        node, defined = self.resolve(node)
        types = self.types(node)
        if "object" in types:
            return self.view_class(node, [defined] if defined else path)
        if "array" in types:
            items, _ = self.resolve(node.get("items", {}))
            inner = "dict[str, Any]" if "object" in self.types(items) else self.annotation(items, path + ["item"])
            return f"list[{inner.removesuffix(' | None')}]"
        scalars = sorted({SCALARS[t] for t in types if t in SCALARS})
        if not scalars:
            return "Any"
        return " | ".join(scalars) + " | None"

    def view_class(self, node: dict, path: list[str]) -> str:
        name = "".join(part[:1].upper() + part[1:] for part in "_".join(path).replace("-", "_").split("_")) or "Root"
        name = name if path != [] else "Facts"
        if name in self.classes:
            return name
        self.classes[name] = []  # reserved before the fields (a node may refer to itself)
        lines = [f"class {name}(View):"]
        properties = node.get("properties") or {}
        for key, child in sorted(properties.items()):
            if key.isidentifier() and not keyword.iskeyword(key) and key not in VIEW_NAMES:  # others: by item
                lines.append(f"    {key}: {self.annotation(child, path + [key])}")
        extra = node.get("additionalProperties", True)
        if isinstance(extra, dict):
            value = self.annotation(extra, path + ["item"])
            lines.append(f"    def __getitem__(self, key: str) -> {value}: ...")
        if extra is not False:
            lines.append("    def __getattr__(self, name: str) -> Any: ...")
        if name == "Facts":
            lines.append("    def __init__(self, doc: Any) -> None: ...")
        if len(lines) == 1:
            lines.append("    ...")
        self.classes[name] = lines
        return name


def render(schema: dict) -> str:
    generator = Generator(schema)
    generator.view_class(schema, [])
    return HEADER + "".join("\n\n" + "\n".join(lines) + "\n" for _, lines in sorted(generator.classes.items()))


def main() -> int:
    STUB.write_text(render(json.loads(SCHEMA.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"written {STUB.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
