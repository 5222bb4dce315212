"""Probe profiles besides the course VM's ("vm", in main.Probe.run): which collectors run.

  appengine  a project prepared for Google App Engine standard, read from its files, plus the
             project's own Django run in a sandbox with production-like settings (appengine.py)
  svs        a student account on SVS (svs.gyarab.cz): the user service, linger, the Caddy root of
             the domain, the settings the service really uses, the account's database (svs.py)

The document has the same envelope as the vm profile's (schema, probe, params, errors) so the
host handles it the same way; secret values are masked the same way too.
"""

from __future__ import annotations

import time

from checkers.probe import system
from checkers.probe.envelope import seal


def run(probe, profile: str) -> dict:
    started = time.time()
    facts = {"system": probe.collect("system", system.os_release)}
    if profile == "appengine":
        from checkers.probe import appengine

        facts.update(appengine.collect(probe))
    elif profile == "svs":
        from checkers.probe import svs

        facts.update(svs.collect(probe))
    else:
        probe.errors["profile"] = "unknown profile %r" % profile
    return seal(facts, probe, started, profile)
