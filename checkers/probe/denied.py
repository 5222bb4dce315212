"""What the app's own user was refused, looked at again by the privileged probe.

Django's inspection runs as the service's user (www-data). When that user may not enter
STATIC_ROOT or MEDIA_ROOT, "not there" and "not allowed to look" must not be confused: the
privileged probe (root) finishes the comparison and says who saw what (`checked_by`).
"""

from __future__ import annotations

import os
import pwd

from checkers.probe.django_storage import compare_collected, media_sample, pick_sample


def complete(django: dict) -> None:
    """Fill in, as root, the static and media facts the inspecting user could not gather."""
    if os.geteuid() != 0:
        return
    _static(django.get("static") or {})
    _media(django.get("media") or {})
    for section in (django.get("static") or {}, django.get("media") or {}):
        denied = section.get("root_denied")
        if denied and "user_uid" in denied:
            denied["user"] = _user_name(denied.pop("user_uid"))


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _static(static: dict) -> None:
    to_compare = static.pop("to_compare", None)
    root = static.get("root")
    if not static.get("root_denied") or to_compare is None or not root:
        return
    static["root_exists"] = os.path.isdir(root)
    static["checked_by"] = "root"
    missing, outdated, _ = compare_collected(to_compare, root)
    static.update({"missing_count": len(missing), "missing": missing[:5], "outdated_count": len(outdated),
                   "outdated": outdated[:5]})
    if not static.get("sample"):
        static["sample"] = pick_sample(to_compare, root)


def _media(media: dict) -> None:
    root = media.get("root")
    if not media.get("root_denied") or not root:
        return
    media["exists"] = os.path.exists(root)
    media["is_dir"] = os.path.isdir(root)
    media["checked_by"] = "root"
    media["files"], media["sample"] = media_sample(root)
