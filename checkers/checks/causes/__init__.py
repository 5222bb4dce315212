"""doctor's causes, as checks of kind CAUSE in the one engine (see checks/base.py).

PRECEDENCE is the order doctor names them in: the cause that explains the others comes first
(an invalid nginx configuration before nginx being down, a crashing service before the 502 it
causes). `supersedes` (in each module) hides the symptoms a cause found explains.
"""

from __future__ import annotations

from checkers.checks.causes import app, django, web

PRECEDENCE = (
    "doctor.D002", "doctor.D039", "doctor.D001", "doctor.D033", "doctor.D027", "doctor.D037", "doctor.D019", "doctor.D021", "doctor.D035", "doctor.D010", "doctor.D032",
    "doctor.D038", "doctor.D034", "doctor.D040", "doctor.D011", "doctor.D004", "doctor.D005", "doctor.D006", "doctor.D003", "doctor.D013", "doctor.D029",
    "doctor.D014", "doctor.D015", "doctor.D023", "doctor.D028", "doctor.D024", "doctor.D012", "doctor.D009",
    "doctor.D008", "doctor.D007", "doctor.D026", "doctor.D030", "doctor.D022", "doctor.D031", "doctor.D016",
    "doctor.D017", "doctor.D025", "doctor.D036", "doctor.A001", "doctor.A002",
)

_BY_ID = {check.id: check for module in (web, app, django) for check in module.CHECKS}
if set(_BY_ID) != set(PRECEDENCE):  # a cause without a place in the order would never be asked
    raise ValueError(f"causes and PRECEDENCE differ: {sorted(set(_BY_ID) ^ set(PRECEDENCE))}")
CHECKS = tuple(_BY_ID[cause_id] for cause_id in PRECEDENCE)
