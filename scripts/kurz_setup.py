"""First use of `./kurz` (kurz.cmd on Windows): create the course's .venv with the pinned packages.

Run by the system's Python, stdlib only and old-Python-safe syntax, so that too old a Python
gets a Czech message instead of a SyntaxError. `make start` makes the same .venv on Debian.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
READY = VENV / ".kurz-ready"


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def fail(message):
    sys.stderr.write(message + "\n")
    return 2


def main():
    if sys.version_info < (3, 11):
        return fail("Kurz potřebuje Python 3.11 nebo novější, tento je %d.%d. "
                    "Nainstalujte novější (python.org, na Debianu 12 balíček python3)." % sys.version_info[:2])
    print("==> Připravuji prostředí Pythonu pro kurz v .venv (jen poprvé, potrvá to pár minut) …", flush=True)
    python = venv_python()
    if not python.exists() or subprocess.run([str(python), "-m", "pip", "--version"],
                                             capture_output=True).returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        created = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if created.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            return fail("Nepodařilo se vytvořit virtuální prostředí .venv:\n" + created.stdout + created.stderr +
                        "\nNa Debianu/Ubuntu chybí balíček python3-venv: sudo apt install python3-venv "
                        "(nebo spusťte make start, který ho doinstaluje).")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REPO / "requirements.txt"),
                                "-c", str(REPO / "constraints.txt")], env=env)
    if installed.returncode != 0:
        return fail("Instalace balíčků do .venv selhala (výpis pipu je výše). Zkontrolujte připojení "
                    "k internetu a spusťte příkaz znovu.")
    READY.write_text("requirements.txt + constraints.txt\n", encoding="utf-8")
    print("==> Prostředí je připravené.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
