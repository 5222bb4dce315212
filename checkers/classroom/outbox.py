"""The on-disk queue of submissions waiting for the class server (state_dir()/class-queue/).

Semantics (documented for the student in `class status` and for the teacher in the book):
- One file per submission, `<sequence, 10 digits>-<id>.json`, written atomically (a temporary file
  renamed into place) under a lock that also assigns the sequence, so sequences are unique and
  increasing even when a student runs two checkers at once, and a file never appears out of order.
- Sent oldest first (by sequence), one sender at a time (`.send.lock`). A file is deleted only after
  the server acknowledged it (201 stored or 200 duplicate): a crash or kill -9 mid-send leaves it
  queued, and the resend is acknowledged as a duplicate by its id — nothing is lost or stored twice.
- A failure to reach the server stops the round (order is kept) and is remembered in `.status.json`;
  the next run, or `class status --send`, tries again. Nothing expires by age.
- A submission the server refuses for good (malformed 400, too big 413) would block the queue for
  ever: it is moved to `rejected/` and the refusal is shown in `class status`.
- Bounded: at most MAX_FILES submissions and MAX_BYTES. When a new one does not fit, the OLDEST are
  dropped (the newest state of the student's work is what the teacher needs and what a deadline
  counts); how many were dropped, and which sequences, is kept in the status and shown in `class
  status`. Never silently.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

from filelock import FileLock, Timeout

from checkers.paths import state_dir
from checkers.progress import now_iso
from checkers.storage import write_atomic

QUEUE_DIR = "class-queue"
MAX_FILES = 200
MAX_BYTES = 32 * 1024 * 1024
LIMIT_ENV = "KURZ_CLASS_QUEUE_LIMIT"  # a smaller MAX_FILES (a small disk; the tests)
NAME = re.compile(r"^(\d{10})-([0-9a-f]{32})\.json$")
_SENDING = threading.Lock()  # threads of one process (fcntl locks do not exclude them)


def queue_dir() -> Path:
    return state_dir() / QUEUE_DIR


def _lock(name: str, timeout: float) -> FileLock:
    return FileLock(str(queue_dir() / name), timeout=timeout)


def pending() -> list[Path]:
    """Queued submission files, oldest (lowest sequence) first."""
    try:
        names = [e.name for e in os.scandir(queue_dir()) if e.is_file() and NAME.match(e.name)]
    except OSError:
        return []
    return [queue_dir() / n for n in sorted(names)]


def max_files() -> int:
    try:
        return max(1, min(MAX_FILES, int(os.environ.get(LIMIT_ENV, MAX_FILES))))
    except ValueError:
        return MAX_FILES


def queued_bytes(files: list[Path]) -> int:
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:
            pass
    return total


# --- status --------------------------------------------------------------------------------------

def status_path() -> Path:
    return queue_dir() / ".status.json"


def read_status() -> dict:
    try:
        data = json.loads(status_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def update_status(**changes) -> None:
    """Merge changes into the status (under the queue lock); counters given as ('+', n) are added."""
    try:
        with _lock(".lock", 10):
            status = read_status()
            for key, value in changes.items():
                if isinstance(value, tuple) and value[0] == "+":
                    status[key] = int(status.get(key) or 0) + value[1]
                else:
                    status[key] = value
            write_atomic(status_path(), json.dumps(status, ensure_ascii=False, indent=1) + "\n")
    except (OSError, Timeout):
        pass  # the status is a courtesy; the queue itself is what must never be lost


# --- enqueue -------------------------------------------------------------------------------------

class TooBig(ValueError):
    """More than the server accepts (protocol.MAX_DECOMPRESSED): never queued, said at once."""


def enqueue(document: dict) -> Path:
    """Give the document the next sequence and store it; raises OSError (full or read-only disk) or
    TooBig."""
    from checkers.class_protocol import MAX_DECOMPRESSED

    directory = queue_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # the student's facts: nobody else's business
    with _lock(".lock", 5):
        counter = directory / ".sequence"
        try:
            last = int(counter.read_text().strip() or 0)
        except (OSError, ValueError):
            last = 0
        existing = pending()
        if existing:  # a lost counter never makes a sequence go backwards
            last = max(last, int(NAME.match(existing[-1].name).group(1)))
        document["sequence"] = last + 1
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        if len(text.encode("utf-8")) > MAX_DECOMPRESSED:
            raise TooBig(f"{len(text.encode('utf-8')) // (1024 * 1024)} MiB")
        path = directory / f"{last + 1:010d}-{document['id']}.json"
        write_atomic(path, text)
        write_atomic(counter, f"{last + 1}\n")
        _bound(existing + [path])
    return path


def _bound(files: list[Path]) -> None:
    """Drop the oldest files beyond the limits (called under the queue lock); say so in the status."""
    dropped: list[int] = []
    limit = max_files()
    while len(files) > 1 and (len(files) > limit or queued_bytes(files) > MAX_BYTES):
        oldest = files.pop(0)
        try:
            oldest.unlink()
            dropped.append(int(NAME.match(oldest.name).group(1)))
        except OSError:
            break
    if dropped:
        status = read_status()
        status["dropped_total"] = int(status.get("dropped_total") or 0) + len(dropped)
        first = (status.get("dropped_last") or {}).get("first") or dropped[0]
        status["dropped_last"] = {"at": now_iso(), "first": first, "last": dropped[-1]}  # all drops so far
        write_atomic(status_path(), json.dumps(status, ensure_ascii=False, indent=1) + "\n")


def clear() -> int:
    """Remove the whole queue (on `class leave`); returns how many unsent submissions were removed."""
    files = pending()
    for path in files:
        try:
            path.unlink()
        except OSError:
            pass
    try:  # the sequence counter stays: a later join on this computer keeps counting upwards
        (queue_dir() / ".status.json").unlink()
    except OSError:
        pass
    return len(files)


# --- sending -------------------------------------------------------------------------------------

def flush(config, deadline: float) -> dict:
    """Send queued submissions in order until the queue is empty, a failure, or `deadline`
    (time.monotonic()). Returns {"sent": n, "error": czech text or ""}. Never raises."""
    from checkers.classroom.client import Connection, FingerprintChanged, ServerUnreachable

    result = {"sent": 0, "error": ""}
    if not pending():
        return result
    _remove_stale_temporaries()
    if not _SENDING.acquire(timeout=max(0.0, deadline - time.monotonic())):
        return result
    try:
        with _lock(".send.lock", max(0.0, deadline - time.monotonic())):
            timeout = min(5.0, max(1.0, deadline - time.monotonic()))
            connection = Connection(config.address, config.fingerprint, timeout=timeout)
            try:
                while time.monotonic() < deadline:
                    files = pending()
                    if not files:
                        break
                    if not _send(connection, config, files[0], result):
                        break
            except (FingerprintChanged, ServerUnreachable) as exc:
                result["error"] = exc.message
                result["fingerprint_changed"] = isinstance(exc, FingerprintChanged)
            finally:
                connection.close()
    except (Timeout, OSError):
        pass  # another sender holds the queue (it sends ours too), or the disk refuses the lock
    except Exception:  # noqa: BLE001  (a background thread: a traceback would land in the student's terminal)
        result["error"] = ("Odesílání selhalo na vnitřní chybě checkeru; odevzdání čekají ve frontě. "
                           "Pomůže `./kurz class leave` a nové `./kurz class join …`.")
    finally:
        _SENDING.release()
    if result["error"]:
        update_status(last_error=result["error"], last_error_at=now_iso())
    return result


def _remove_stale_temporaries(age: float = 600) -> None:
    """A process killed while writing leaves `.NAME.PID.tmp` behind (never a half queue file)."""
    try:
        for entry in os.scandir(queue_dir()):
            if entry.name.startswith(".") and entry.name.endswith(".tmp") and \
                    time.time() - entry.stat().st_mtime > age:
                os.unlink(entry.path)
    except OSError:
        pass


def _send(connection, config, path: Path, result: dict) -> bool:
    """Send one file; True when it left the queue (acknowledged or set aside as refused)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except FileNotFoundError:
        return True  # another sender (or leave) took it meanwhile
    except (OSError, ValueError):
        return _reject(path, "soubor ve frontě je poškozený")
    reply = connection.request("POST", "/api/submissions", document, token=config.token)
    if reply.status in (200, 201):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        result["sent"] += 1
        update_status(last_success_at=now_iso(), last_sequence=document.get("sequence"), sent_total=("+", 1),
                      last_error="", last_error_at=None)
        return True
    if reply.status in (400, 413, 422):
        why = reply.detail or ("odevzdání je příliš velké" if reply.status == 413 else "odevzdání má chybný tvar")
        return _reject(path, f"server ho odmítl: {why}")
    if reply.status in (401, 403):
        result["error"] = ("Server třídy nezná váš přístupový klíč (vyučující vás možná z třídy odebral). "
                           "Připojte se znovu: `./kurz class leave` a `./kurz class join …`.")
    elif reply.status == 429:
        result["error"] = "Server třídy je přetížený; odevzdání počkají ve frontě a odešlou se při další kontrole."
    else:
        result["error"] = f"Server třídy odpověděl chybou {reply.status}; odevzdání počkají ve frontě."
    return False


def _reject(path: Path, why: str) -> bool:
    """Move a submission the server will never take out of the way (kept in rejected/, not deleted)."""
    match = NAME.match(path.name)
    sequence = int(match.group(1)) if match else 0
    try:
        target = queue_dir() / "rejected" / path.name
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
    except OSError:
        return False
    update_status(rejected_total=("+", 1),
                  last_rejected={"at": now_iso(), "sequence": sequence, "why": why},
                  last_error=f"Odevzdání č. {sequence} se nedá odeslat ({why}); je odložené v {target}.",
                  last_error_at=now_iso())
    return True
