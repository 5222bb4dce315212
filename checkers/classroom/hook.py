"""What every checker run does for the class server: queue a submission and send it in the background.

Called by the command line's boundary (checkers.cli) for every checker run that returns a submission
(stepN, all, next, doctor, submit) and by `watch` at each change of its verdict. Not joined → returns at once, nothing else happens (one stat of class.json). Joined → the
submission (facts as saved + the --json document, masked) is queued on disk synchronously (a few
milliseconds), then a daemon thread sends the queue; at exit the process waits for it at most
EXIT_WAIT seconds. Whatever is unsent stays queued for the next run. Nothing here can fail the
student's run: every problem becomes a Czech warning shown after the results.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time

from checkers.paths import state_dir

EXIT_WAIT = 1.0  # seconds the process may wait at exit for a send in flight
SEND_BUDGET = 30.0  # a background round gives up after this (the thread dies with the process anyway)
_threads: list[threading.Thread] = []
_alarms: list[str] = []  # errors the student must see even though the send ran in the background
_digest_cache: dict[str, str] = {}


def joined() -> bool:
    """class.json exists (config.CONFIG_FILE, spelled here so that a run not joined imports nothing more)."""
    return (state_dir() / "class.json").exists()


def after_run(submission: dict, course) -> list[str]:
    """A checker run as the command line's boundary hands it over ({"command", "facts", "verdicts"}):
    queue and send; returns warnings for the student."""
    try:
        verdicts = submission["verdicts"]
        return submit_in_background(course, submission["command"], str(verdicts.get("target") or "?"),
                                    submission["facts"], verdicts)
    except Exception:  # noqa: BLE001  (the class server must never break the student's run)
        return [INTERNAL]


INTERNAL = "Výsledek se nepodařilo připravit k odeslání vyučujícímu (vnitřní chyba); kontrola sama platí."


def build(course, command: str, target: str, facts: dict, verdicts: dict) -> dict:
    """A masked submission document (sequence 1 until the queue gives it its own)."""
    from checkers import __version__
    from checkers.class_protocol import build_submission

    return build_submission(sequence=1, command=command, target=target, facts=facts, verdicts=verdicts,
                            checker_version=__version__, checks_digest=digest(course))


def digest(course) -> str:
    key = str(getattr(course, "source", ""))
    if key not in _digest_cache:
        from checkers.grading.regrade import checks_digest

        try:
            _digest_cache[key] = checks_digest(course)
        except OSError:
            _digest_cache[key] = "neznámý"
    return _digest_cache[key]


def submit_in_background(course, command: str, target: str, facts: dict, verdicts: dict) -> list[str]:
    from checkers.classroom import outbox
    from checkers.classroom.config import load_config
    from checkers.class_protocol import validate

    config = load_config()
    if config is None:
        return ["Soubor s připojením ke třídě (class.json) nejde přečíst; výsledek se vyučujícímu neodešle. "
                "Připojte se znovu: `./kurz class leave` a `./kurz class join …`."]
    document = build(course, command, target, facts, verdicts)
    ok, reason = validate(document)
    if not ok:
        return [f"Výsledek nejde odeslat vyučujícímu ({reason})."]
    try:
        outbox.enqueue(document)
    except outbox.TooBig as exc:
        return [f"Výsledek je na odeslání vyučujícímu příliš velký ({exc}); kontrola sama platí. "
                "Řekněte to prosím vyučujícímu."]
    except Exception as exc:  # noqa: BLE001  (full/read-only disk, a lock held for too long…)
        from checkers.storage import storage_problem

        where = storage_problem(exc, outbox.queue_dir()) if isinstance(exc, OSError) and exc.errno else \
            f"Frontu odevzdání v {outbox.queue_dir()} teď nejde použít."
        return [f"{where} Výsledek této kontroly se vyučujícímu neodešle; kontrola sama platí."]
    start_sender(config)
    return []


def start_sender(config) -> threading.Thread:
    from checkers.classroom import outbox

    deadline = time.monotonic() + SEND_BUDGET

    def send() -> None:
        try:
            result = outbox.flush(config, deadline)
        except Exception:  # noqa: BLE001  (flush never raises; a traceback from a thread would reach the student)
            return
        if result.get("fingerprint_changed"):  # a possible impostor: said at exit, not only in `class status`
            _alarms.append(result["error"])

    thread = threading.Thread(target=send, name="kurz-class-send", daemon=True)
    thread.start()
    if not _threads:
        atexit.register(_wait_at_exit)
    _threads.append(thread)
    return thread


def _wait_at_exit() -> None:
    """Give sends in flight a moment (EXIT_WAIT in total), then let the process end; the queue keeps
    the rest."""
    end = time.monotonic() + EXIT_WAIT
    for thread in _threads:
        thread.join(max(0.0, end - time.monotonic()))
    for alarm in dict.fromkeys(_alarms):
        try:
            sys.stderr.write(f"Pozor: {alarm}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
