"""`./kurz doctor`: gather facts once, name the causes (the engine's checks of kind cause)."""

from __future__ import annotations

from checkers import doctor
from checkers.commands.base import Context, Result
from checkers.commands.gathering import facts_for
from checkers.errors import ExitCode


def run(ctx: Context) -> Result:
    gathered = facts_for(ctx)
    found = doctor.examine(gathered.facts, ctx.course)
    document = doctor.document(found, gathered.label)
    if found.causes:
        code = ExitCode.TO_FIX
    else:
        code = ExitCode.CANNOT_CHECK if found.errors else ExitCode.OK
    return Result(int(code), document, lambda report: report.diagnoses(found, gathered.label), gathered.warnings,
                  None if ctx.args.facts else {"command": "doctor", "facts": gathered.facts, "verdicts": document})
