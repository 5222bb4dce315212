"""Turn the probe package into ONE self-contained script sent to the target on stdin.

The script carries every module's source in a dict and installs a tiny importer, so the
probe's modules import each other exactly as they do in tests, and nothing is written on
the target. It also carries the run's parameters.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "probe"
PACKAGES = ("checkers", "checkers.probe")
NO_PYTHON_MARKER = "__KURZ_NO_PYTHON__"
NO_SUDO_MARKER = "__KURZ_NO_SUDO__"

# One remote command: find python3, prefer root through passwordless sudo, read the script from stdin.
REMOTE_COMMAND = (
    "LC_ALL=C.UTF-8; LANG=C.UTF-8; export LC_ALL LANG; "
    f"command -v python3 >/dev/null 2>&1 || {{ echo {NO_PYTHON_MARKER} >&2; exit 127; }}; "
    'if [ "$(id -u)" = 0 ]; then exec python3 -I -; '
    "elif sudo -n true 2>/dev/null; then exec sudo -n python3 -I -; "
    f"else echo {NO_SUDO_MARKER} >&2; exec python3 -I -; fi"
)

LOADER = '''
import importlib.machinery, json, sys

# A finder and loader by protocol, not by importlib.abc's classes: importing importlib.abc pulls in
# importlib.resources, pathlib and tempfile, a sixth of the probe's own start-up.
class _ProbeImporter:
    def find_spec(self, fullname, path=None, target=None):
        if fullname in _SOURCES:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in _PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__
        if name in _PACKAGES:
            module.__path__ = []
        exec(compile(_SOURCES[name], "<probe %s>" % name, "exec"), module.__dict__)

    def get_source(self, name):
        return _SOURCES[name]

sys.meta_path.insert(0, _ProbeImporter())
from checkers.probe.main import main
main(json.loads(_PARAMS))
'''


@lru_cache(maxsize=1)
def _sources() -> dict[str, str]:
    sources = {"checkers": ""}
    for path in sorted(PROBE_DIR.glob("*.py")):
        name = "checkers.probe" if path.stem == "__init__" else f"checkers.probe.{path.stem}"
        sources[name] = path.read_text(encoding="utf-8")
    return sources


def build_script(params: dict) -> str:
    return (
        "# Kurz Django v produkci: read-only probe (facts about this machine, printed as JSON)\n"
        f"_SOURCES = {_sources()!r}\n"
        f"_PACKAGES = {PACKAGES!r}\n"
        f"_PARAMS = {json.dumps(params)!r}\n"
        + LOADER
    )
