"""One error type for everything the checker cannot do, and the named exit codes.

Every failure that is not the student's (no VM, SSH refused, probe crashed, bad
input) is raised as CheckerError with a Czech message and a Czech hint; the CLI
catches it in one place and renders it.
"""

from __future__ import annotations

import re
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # everything checked passed
    TO_FIX = 1  # the student has something to fix
    CANNOT_CHECK = 2  # we could not check (target, input, our own failure)
    INTERRUPTED = 130  # Ctrl-C


class CheckerError(Exception):
    """A failure to check, explained in Czech: what happened and what to do."""

    def __init__(self, message: str, hint: str = "", exit_code: ExitCode = ExitCode.CANNOT_CHECK):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


# A password written into a URL (ssh://user:PASSWORD@host, postgres://…) is never repeated in a message.
_URL_PASSWORD = re.compile(r"(?P<head>://[^\s/:@]*:)(?P<value>[^\s@/]+)@")
HIDDEN = "«skryto»"


def hide_url_passwords(text: str) -> str:
    return _URL_PASSWORD.sub(lambda m: m.group("head") + HIDDEN + "@", text) if "://" in text else text
