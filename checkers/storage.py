"""Files the checker writes: whole or not at all, and in Czech why a place cannot be written."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write a whole file or nothing: a full disk or a killed process never leaves half a file, nor
    (on an error) the temporary file behind. With `mode` the file is created with it (0o600: never
    readable by others, not even for an instant)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # also when the tmp file existed with other bits
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def storage_problem(exc: OSError, path: Path) -> str:
    """What could not be saved where, and why, in Czech (for a warning shown with the results)."""
    causes = {errno.ENOSPC: "na disku došlo místo", errno.EDQUOT: "je vyčerpaná disková kvóta",
              errno.EROFS: "disk je jen pro čtení", errno.EACCES: "chybí právo zápisu",
              errno.EPERM: "chybí právo zápisu", errno.ENOTDIR: "v cestě je soubor místo adresáře",
              errno.EISDIR: "na tom místě je adresář", errno.ENAMETOOLONG: "jméno je příliš dlouhé",
              errno.ELOOP: "odkazy v cestě tvoří smyčku", errno.ENOENT: "cesta neexistuje"}
    cause = causes.get(exc.errno, exc.strerror or str(exc))
    return f"Do {path} nejde zapisovat ({cause})."


def path_problem(exc: OSError, shown: str) -> str:
    """A path the user gave that the system refuses (too long, a loop, no such directory…)."""
    cause = storage_problem(exc, Path(".")).split("(", 1)[1].rstrip(").")
    return f"Cestu {shown} nejde použít ({cause})."
