"""One error type for the lab: a Czech message (what happened) and a Czech hint (what to do)."""

from __future__ import annotations


class LabError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message if not hint else f"{message}\n{hint}")
        self.message = message
        self.hint = hint
