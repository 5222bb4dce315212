"""The probe: stdlib-only code that runs ON the target and prints one JSON document of facts.

Every module in this package must run on Python 3.9+ with the standard library alone
(the target may be a bare Debian or an SVS account). The host sends the package as one
script (see checkers/probe_bundle.py); tests import it directly.
"""
