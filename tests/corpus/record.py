"""Record the breakage × variant corpus on the real course VM.

    python -m tests.corpus.record [--only VARIANT[:BREAKAGE][,…]] [--list] [--missing]

Boots the course VM (lab.harness, as tests/vm/conftest.py does; stopped in a finally), walks it
through the reference solutions (`vm.at_step("step11")`), and for each variant: applies its
script, saves the snapshot `corpus-<variant>`, records the correct state as `ok`, then for each
of its breakages restores that snapshot, runs the breakage (the variant's env exported) and
gathers the facts with the real CLI (`--save-facts`). Facts go to
tests/fixtures/corpus/<variant>/<breakage>.json.gz (gzip, compact JSON); index.json keeps when
and how long each took and the breakage's warnings. Only 127.0.0.1 is ever contacted (QEMU user
networking with restrict=on, the forwarded ports on loopback).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.errors import LabError
from tests.corpus import manifest
from tests.corpus.manifest import OK, Combination
from tests.helpers.vm_checker import check_vm

INDEX = manifest.FIXTURES / "index.json"


class RecordError(RuntimeError):
    pass


def write_fixture(path: Path, facts: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(facts, ensure_ascii=False, separators=(",", ":")).encode()
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
        f.write(data)


def snapshot_name(variant: str) -> str:
    return f"corpus-{variant}"


def prepare_variant(vm, variant: str, log=print) -> float:
    """Put the VM in the variant's correct state (its snapshot, made on first use); seconds taken."""
    t0 = time.monotonic()
    name = snapshot_name(variant)
    if vm.has_snapshot(name):
        vm.restore(name)
        return time.monotonic() - t0
    vm.at_step("step11")
    script = manifest.variant_script(variant)
    if script is not None:
        proc = vm.run_script(script, extra_files=[manifest.VARIANTS_DIR / "lib.sh"], timeout=900, check=False)
        if proc.returncode != 0:
            raise RecordError(f"variant {variant}: {script.name} failed (rc {proc.returncode}):\n"
                              f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    vm.snapshot(name)
    log(f"  variant {variant} prepared in {time.monotonic() - t0:.0f} s (snapshot {name})")
    return time.monotonic() - t0


def apply_breakage(vm, combination: Combination) -> tuple[float, list[str]]:
    """Run the breakage's script on the VM; returns (seconds, warnings). A failing script raises."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / f"breakage-{combination.breakage}.sh"
        script.write_text(manifest.breakage_script(combination))
        proc = vm.run_script(script, timeout=900, check=False)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARN:")]
    if proc.returncode != 0:
        raise RecordError(f"breakage {combination.key} failed (rc {proc.returncode}):\n"
                          f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.monotonic() - t0, warnings


def gather(vm, home: Path) -> tuple[dict, float]:
    """The facts, gathered by the real CLI through the VM's ssh-config, as a student's run would."""
    t0 = time.monotonic()
    path = home / "facts.json"
    path.unlink(missing_ok=True)
    run = check_vm(vm, "step0", "--save-facts", str(path), home=home)
    if not path.exists():
        raise RecordError(f"the CLI saved no facts (rc {run.rc}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return json.loads(path.read_text(encoding="utf-8")), time.monotonic() - t0


def record_one(vm, combination: Combination, home: Path, log=print, out: Path | None = None) -> dict:
    """Variant state → breakage → facts → fixture (`out`, default the combination's fixture).
    Returns the index entry."""
    t0 = time.monotonic()
    prepare = prepare_variant(vm, combination.variant, log)
    warnings: list[str] = []
    breakage_s = 0.0
    try:
        if combination.breakage != OK:
            breakage_s, warnings = apply_breakage(vm, combination)
        facts, gather_s = gather(vm, home)
    except (LabError, subprocess.TimeoutExpired) as exc:  # one stuck combination must not end the run
        raise RecordError(f"{combination.key}: {exc}") from exc
    write_fixture(out or combination.fixture, facts)
    entry = {"recorded": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "seconds": {"restore": round(prepare, 1), "breakage": round(breakage_s, 1),
                         "gather": round(gather_s, 1), "total": round(time.monotonic() - t0, 1)},
             "warnings": warnings, "image": getattr(getattr(vm, "image", None), "path", Path("?")).name}
    return entry


def _load_index() -> dict:
    try:
        return json.loads(INDEX.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_index(index: dict) -> None:
    INDEX.parent.mkdir(parents=True, exist_ok=True)
    INDEX.write_text(json.dumps(dict(sorted(index.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def record_all(vm, combinations: list[Combination], log=print) -> list[str]:
    """Record the combinations (grouped by variant); returns the keys that failed."""
    index = _load_index()
    failed = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="corpus-home-") as tmp:
        home = Path(tmp)
        for n, combination in enumerate(combinations, 1):
            try:
                entry = record_one(vm, combination, home, log)
            except RecordError as exc:
                failed.append(combination.key)
                log(f"[{n}/{len(combinations)}] {combination.key}: FAILED\n{exc}")
                continue
            index[combination.key] = entry
            _save_index(index)
            warn = f"  {' | '.join(entry['warnings'])}" if entry["warnings"] else ""
            s = entry["seconds"]
            log(f"[{n}/{len(combinations)}] {combination.key}: {s['total']:.0f} s (restore {s['restore']:.0f}, "
                f"breakage {s['breakage']:.0f}, gather {s['gather']:.0f}){warn}")
    log(f"recorded {len(combinations) - len(failed)}/{len(combinations)} in {time.monotonic() - started:.0f} s")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.record", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="VARIANT or VARIANT:BREAKAGE, comma-separated")
    parser.add_argument("--list", action="store_true", help="list the combinations and exit")
    parser.add_argument("--missing", action="store_true", help="only combinations without a fixture")
    args = parser.parse_args(argv)
    combinations = manifest.select(args.only)
    if args.missing:
        combinations = [c for c in combinations if not c.fixture.exists()]
    if args.list:
        for c in combinations:
            print(f"{c.key}{'' if c.fixture.exists() else '  (no fixture)'}")
        print(f"{len(combinations)} combinations", file=sys.stderr)
        return 0
    if not combinations:
        print("nothing to record")
        return 0

    from lab.harness import start_session_vm, stop_session_vm

    def log(msg: str) -> None:
        print(msg, flush=True)

    t0 = time.monotonic()
    try:
        vm = start_session_vm(log=log)
    except (LabError, OSError) as exc:
        print(f"cannot start the course VM: {exc}", file=sys.stderr)
        return 2
    try:
        log(f"VM up in {time.monotonic() - t0:.0f} s; walking through the reference solutions …")
        t1 = time.monotonic()
        vm.at_step("step11")
        log(f"solved (step11) in {time.monotonic() - t1:.0f} s")
        failed = record_all(vm, combinations, log)
    finally:
        stop_session_vm(vm)
    log(f"total {time.monotonic() - t0:.0f} s")
    if failed:
        log("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
