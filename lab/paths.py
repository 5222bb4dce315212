"""Where the lab keeps its files (outside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAB_DIR = Path(__file__).resolve().parent
EXERCISES_DIR = REPO_ROOT / "exercises"


def invoking_user() -> tuple[int, int, Path] | None:
    """(uid, gid, home) of the user who ran `sudo ./kurz lab build`, else None."""
    if os.geteuid() != 0 or not os.environ.get("SUDO_UID") or os.environ.get("SUDO_UID") == "0":
        return None
    try:
        import pwd

        entry = pwd.getpwuid(int(os.environ["SUDO_UID"]))
    except (KeyError, ValueError):
        return None
    return entry.pw_uid, entry.pw_gid, Path(entry.pw_dir)


def cache_root() -> Path:
    """~/.cache/django-v-produkci (XDG_CACHE_HOME respected), the same root the checker uses.
    Under sudo it is the invoking user's cache, so `sudo … lab build` then `./kurz lab up`
    (without sudo) find the same image."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        user = invoking_user()
        base = str((user[2] if user else Path.home()) / ".cache")
    return Path(base) / "django-v-produkci"


def images_dir() -> Path:
    return cache_root() / "images"


def instances_dir() -> Path:
    """Running VMs' state; KURZ_LAB_HOME moves it (tests do, so a student's VM is never touched)."""
    override = os.environ.get("KURZ_LAB_HOME")
    return Path(override) if override else cache_root() / "lab"


def course_dir() -> Path:
    """State of the student's course VM (`./kurz lab up`); the checker's `--target lab` reads
    `course_dir() / "ssh-config"`."""
    return instances_dir() / "course"
