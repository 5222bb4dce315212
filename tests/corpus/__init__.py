"""Breakage × variant corpus recorded on the real course VM (issue 13, point 7).

corpus.toml   the manifest: correct variants, breakages (as data) and the expected verdicts
manifest.py   loads it: combinations, each variant's environment, the script of one breakage
expect.py     the verdicts of the real engine on recorded facts, compared with the expectations
record.py     `python -m tests.corpus.record`: records the facts of every combination on the VM
"""
