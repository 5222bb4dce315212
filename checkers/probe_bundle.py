"""Turn the probe package into ONE self-contained script sent to the target on stdin.

The script carries every module's source in a dict (and its compiled code, used when the target's
Python has the same bytecode version) and installs a tiny importer, so the probe's modules import
each other exactly as they do in tests, and nothing is written on the target. It also carries the
run's parameters.
"""

from __future__ import annotations

import binascii
import json
import marshal
import threading
import zlib
from functools import lru_cache
from importlib.util import MAGIC_NUMBER
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "probe"
PACKAGES = ("checkers", "checkers.probe")
NO_PYTHON_MARKER = "__KURZ_NO_PYTHON__"
NO_SUDO_MARKER = "__KURZ_NO_SUDO__"

# The probe's exit code when it failed itself; sudo exits with 1 when it may not run anything.
PROBE_FAILED_RC = 70

# One remote command: find python3, prefer root through passwordless sudo, read the script from stdin.
# One sudo only (each costs a PAM session, ~0.3 s on an emulated VM): when sudo itself refuses
# (1) or is missing (127), the script is still unread on stdin and runs as the login user.
# bash and zsh know $UID without starting `id` (~0.1 s on an emulated VM); a plain sh asks `id`.
POSIX_COMMAND = (
    "LC_ALL=C.UTF-8; LANG=C.UTF-8; export LC_ALL LANG; "
    f"command -v python3 >/dev/null 2>&1 || {{ echo {NO_PYTHON_MARKER} >&2; exit 127; }}; "
    'if [ "${UID:-$(id -u)}" = 0 ]; then exec python3 -I -; fi; '
    "sudo -n python3 -I -; rc=$?; "
    'if [ "$rc" -ne 1 ] && [ "$rc" -ne 127 ]; then exit "$rc"; fi; '
    f"echo {NO_SUDO_MARKER} >&2; exec python3 -I -"
)
# sshd runs the command with the login user's shell, which may be fish, tcsh or zsh: the POSIX
# command goes to /bin/sh in single quotes, and holds nothing any of those shells would still
# interpret inside them (a quote, a backslash, csh's history "!", a newline).
assert not set(POSIX_COMMAND) & set("'\\!\n")
REMOTE_COMMAND = f"/bin/sh -c '{POSIX_COMMAND}'"

LOADER = '''
import binascii, importlib.machinery, json, os, sys, zlib

# Compressed, the script parses faster (a large literal costs ~0.07 s on an emulated VM). Compiled
# code travels along for the interpreter that built the bundle; any other compiles the sources
# (~0.2 s on an emulated VM; loading the code ~0.01 s).
_SOURCES = json.loads(zlib.decompress(binascii.a2b_base64(_SOURCES)))
_CODE = {}
from importlib._bootstrap_external import MAGIC_NUMBER
if MAGIC_NUMBER.hex() == _MAGIC:
    import marshal
    _CODE = marshal.loads(zlib.decompress(binascii.a2b_base64(_COMPILED)))

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
        code = _CODE.get(name) or compile(_SOURCES[name], "<probe %s>" % name, "exec")
        exec(code, module.__dict__)

    def get_source(self, name):
        return _SOURCES[name]

sys.meta_path.insert(0, _ProbeImporter())
try:
    from checkers.probe.main import main
    main(json.loads(_PARAMS))
except BaseException:
    import traceback
    traceback.print_exc()
    sys.stderr.flush()
    os._exit(_FAILED_RC)
'''


@lru_cache(maxsize=1)
def _sources() -> dict[str, str]:
    sources = {"checkers": ""}
    for path in sorted(PROBE_DIR.glob("*.py")):
        name = "checkers.probe" if path.stem == "__init__" else f"checkers.probe.{path.stem}"
        sources[name] = path.read_text(encoding="utf-8")
    return sources


def _packed(data: bytes) -> str:
    return binascii.b2a_base64(zlib.compress(data, 9), newline=False).decode("ascii")


_PACKING = threading.Lock()


def prepare_in_background() -> None:
    """Pack the modules in a thread (~0.08 s of CPU) while the caller waits for the target's SSH login."""
    threading.Thread(target=_packed_modules, name="pack-probe", daemon=True).start()


def _packed_modules() -> tuple[str, str, str]:
    with _PACKING:  # the caller's build_script() waits for a packing already under way
        return _pack_modules()


@lru_cache(maxsize=1)
def _pack_modules() -> tuple[str, str, str]:
    """(the sources, this interpreter's magic number, the marshalled code of every module), packed."""
    codes = {name: compile(source, "<probe %s>" % name, "exec", dont_inherit=True)
             for name, source in _sources().items()}
    return _packed(json.dumps(_sources()).encode()), MAGIC_NUMBER.hex(), _packed(marshal.dumps(codes))


def build_script(params: dict) -> str:
    sources, magic, compiled = _packed_modules()
    return (
        "# Kurz Django v produkci: read-only probe (facts about this machine, printed as JSON)\n"
        f"_SOURCES = {sources!r}\n"
        f"_PACKAGES = {PACKAGES!r}\n"
        f"_PARAMS = {json.dumps(params)!r}\n"
        f"_MAGIC = {magic!r}\n"
        f"_COMPILED = {compiled!r}\n"
        f"_FAILED_RC = {PROBE_FAILED_RC}\n"
        + LOADER
    )
