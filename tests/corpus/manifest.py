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


def _outcome(combination: Combination, facts: dict | None) -> dict:
    """The breakage's `expect` with the variant's override, and with the first of the override's
    `[[...when]]` outcomes whose unit states the facts show. `when` is for a breakage whose end
    state depends on the machine's speed (systemd giving up after StartLimitBurst= starts, or not
    yet): the recording tells which state was reached, and each state has its own truth."""
    breakage = breakages()[combination.breakage]
    outcome = dict(breakage.get("expect", {}))
    override = breakage.get("override", {}).get(combination.variant, {})
    outcome.update({k: v for k, v in override.items() if k != "when"})
    for case in override.get("when", []) if facts is not None else []:
        units = facts.get("systemd", {}).get("units", {})
        if all((units.get(name) or {}).get(key) == value
               for name, state in case["units"].items() for key, value in state.items()):
            outcome.update({k: v for k, v in case.items() if k != "units"})
            break
    return outcome


def expectation(combination: Combination, facts: dict | None = None) -> dict:
    """The expected verdicts of one combination, for the state its recorded `facts` show."""
    if combination.breakage == OK:
        return dict(OK_EXPECTATION)
    return {k: v for k, v in _outcome(combination, facts).items() if k in EXPECT_KEYS}


def every_expectation(combination: Combination) -> list[dict]:
    """The expectation without facts, then one per `when` outcome (for checking the manifest)."""
    base = expectation(combination)
    if combination.breakage == OK:
        return [base]
    cases = breakages()[combination.breakage].get("override", {}).get(combination.variant, {}).get("when", [])
    return [base] + [{**base, **{k: v for k, v in case.items() if k in EXPECT_KEYS}} for case in cases]


def note(combination: Combination, facts: dict | None = None) -> str:
    if combination.breakage == OK:
        return ""
    return _outcome(combination, facts).get("note", "")


def breakage_script(combination: Combination) -> str:
    """The bash script that makes the breakage on the VM (variant env exported, prelude sourced)."""
    exports = "\n".join(f"export {k}={shlex.quote(str(v))}" for k, v in env(combination.variant).items())
    body = breakages()[combination.breakage]["run"]
    return ("#!/bin/bash\nset -euo pipefail\ncd ~\n" + exports + "\n" + load()["shell"]["prelude"] + "\n"
            + f"# --- breakage {combination.breakage} on {combination.variant}\n" + body)


def variant_script(variant: str) -> Path | None:
    script = variants()[variant].get("script") or ""
    return VARIANTS_DIR / script if script else None
