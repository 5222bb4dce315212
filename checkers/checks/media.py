"""Step 4: MEDIA_ROOT is an absolute path outside STATIC_ROOT, it exists, MEDIA_URL is distinct.

Who may write into it is checked with the systemd step (the app's user is known only then)."""

from __future__ import annotations

from checkers.checks.base import Check, failed, passed, unknown
from checkers.factsview import Facts, fallback


def media_root_set(facts: dict):
    media = Facts(facts).django.media
    root = media.get("root")
    if not root:
        return failed("unset")
    if not media.get("absolute"):
        return failed("relative", root=root)
    if media.get("overlaps_static"):
        return failed("overlaps", root=root, static_root=fallback(Facts(facts).django.static.root, "?"))
    return passed(root=root)


def media_root_exists(facts: dict):
    media = Facts(facts).django.media
    denied = media.get("root_denied")
    if denied and media.get("checked_by") != "root":  # the app's user may not look, nobody else did
        return unknown("root_denied", root=media.get("root"), user=denied.get("user") or "?",
                       at=denied.get("denied_at") or media.get("root"))
    if not media.get("exists"):
        return failed("missing", root=media.get("root"))
    if not media.get("is_dir"):
        return failed("not_dir", root=media.get("root"))
    return passed(root=media["root"], files=media.get("files", 0))


def media_url_set(facts: dict):
    django = Facts(facts).django
    url = django.media.url or ""
    static_url = django.static.url or ""
    if url in ("", "/"):
        return failed("unset")
    if url == static_url:
        return failed("same_as_static", url=url)
    return passed(url=url)


CHECKS = (
    Check("media.E001", media_root_set, requires=("project.E003",)),
    Check("media.E002", media_root_exists, requires=("media.E001",)),
    Check("media.E003", media_url_set, requires=("project.E003",)),
)
