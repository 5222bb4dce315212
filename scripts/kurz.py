"""`./kurz ARGS` (kurz.cmd on Windows) runs this with the repository's .venv Python.

`./kurz lab ARGS` is the offline course VM (`lab`), anything else the checker (`checkers`).
The repository goes first on sys.path, so it works from any directory without an install.
"""

import runpy
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
MODULE = "checkers"
if sys.argv[1:2] == ["lab"]:
    MODULE = "lab"
    del sys.argv[1]
runpy.run_module(MODULE, run_name="__main__", alter_sys=True)
