"""The corpus manifest (tests/corpus/corpus.toml): variants, breakages, expectations."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MANIFEST = HERE / "corpus.toml"
FIXTURES = REPO / "tests" / "fixtures" / "corpus"
VARIANTS_DIR = REPO / "exercises" / "solutions" / "variants"
OK = "ok"  # the correct state of a variant, recorded like a breakage
EXPECT_KEYS = ("failing_steps", "failing_checks", "doctor_first", "unverified_checks")
OK_EXPECTATION = {"failing_steps": [], "failing_checks": [], "doctor_first": ""}


@dataclass(frozen=True)
class Combination:
    variant: str
    breakage: str  # "ok" for the correct state

    @property
    def key(self) -> str:
        return f"{self.variant}:{self.breakage}"

    @property
    def fixture(self) -> Path:
        return FIXTURES / self.variant / f"{self.breakage}.json.gz"


@lru_cache(maxsize=1)
def load() -> dict:
    return tomllib.loads(MANIFEST.read_text(encoding="utf-8"))


def variants() -> dict[str, dict]:
    return {v["id"]: v for v in load()["variant"]}


def breakages() -> dict[str, dict]:
    return {b["id"]: b for b in load()["breakage"]}


def combinations() -> list[Combination]:
    """Every (variant, ok) and (variant, breakage) pair, variant by variant in manifest order."""
    found = []
    for variant in variants():
        found.append(Combination(variant, OK))
        found += [Combination(variant, b["id"]) for b in load()["breakage"] if variant in b["variants"]]
    return found


def select(spec: str | None) -> list[Combination]:
    """`VARIANT`, `VARIANT:BREAKAGE` or a comma-separated list of them (None = everything)."""
    every = combinations()
    if not spec:
        return every
    chosen = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        variant, _, breakage = part.partition(":")
        matched = [c for c in every if c.variant == variant and (not breakage or c.breakage == breakage)]
        if not matched:
            raise SystemExit(f"no such combination in corpus.toml: {part}")
        chosen += [c for c in matched if c not in chosen]
    return chosen


def env(variant: str) -> dict[str, str]:
    return {**load()["env_defaults"], **variants()[variant].get("env", {})}


def expectation(combination: Combination) -> dict:
    """The expected verdicts of one combination (the breakage's, with the variant's override)."""
    if combination.breakage == OK:
        return dict(OK_EXPECTATION)
    breakage = breakages()[combination.breakage]
    expected = {k: v for k, v in breakage.get("expect", {}).items() if k in EXPECT_KEYS}
    override = breakage.get("override", {}).get(combination.variant, {})
    expected.update({k: v for k, v in override.items() if k in EXPECT_KEYS})
    return expected


def note(combination: Combination) -> str:
    if combination.breakage == OK:
        return ""
    breakage = breakages()[combination.breakage]
    override = breakage.get("override", {}).get(combination.variant, {})
    return override.get("note") or breakage.get("expect", {}).get("note", "")


def breakage_script(combination: Combination) -> str:
    """The bash script that makes the breakage on the VM (variant env exported, prelude sourced)."""
    exports = "\n".join(f"export {k}={shlex.quote(str(v))}" for k, v in env(combination.variant).items())
    body = breakages()[combination.breakage]["run"]
    return ("#!/bin/bash\nset -euo pipefail\ncd ~\n" + exports + "\n" + load()["shell"]["prelude"] + "\n"
            + f"# --- breakage {combination.breakage} on {combination.variant}\n" + body)


def variant_script(variant: str) -> Path | None:
    script = variants()[variant].get("script") or ""
    return VARIANTS_DIR / script if script else None
