"""Profile "svs", the Caddy side: the domain's Caddy root and configuration, and what Caddy's
user may read there (the media link). See checkers/probe/svs.py for the platform."""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat

from checkers.probe import access
from checkers.probe.runtime import is_root, read_text

CADDY_ROOTS = "/var/caddy.root.d"
CADDY_CONFS = "/var/caddy.conf.d"
PORT_RE = re.compile(r"reverse_proxy\s+(?:@\S+\s+)?(?:https?://)?(?:[\w.\-]+|\[[0-9a-fA-F:]+\])?:(\d{2,5})\b")
PLACEHOLDER_MARKERS = ("Výchozí stránka AVAVA", "Vaše stánka funguje")
MAX_ENTRIES = 60


# ----------------------------------------------------------------------------- Caddy root
def caddy_conf(domain: str) -> dict:
    path = os.path.join(CADDY_CONFS, domain)
    text = read_text(path)
    if text is None:
        return {"path": path, "readable": False, "exists": os.path.exists(path), "port": None}
    match = PORT_RE.search(text)
    return {"path": path, "readable": True, "exists": True, "port": int(match.group(1)) if match else None,
            "serves_files_first": "file_server" in text and "not file" in text}


def caddy_root(domain: str) -> dict:
    root = os.path.join(CADDY_ROOTS, domain)
    info = access.describe(root)
    facts = {"path": root, "exists": info is not None and info.get("type") == "dir", "owner": (info or {}).get("owner"),
             "mode": (info or {}).get("mode"), "entries": []}
    if not facts["exists"]:
        return facts
    try:
        names = sorted(os.listdir(root))
    except OSError as exc:
        facts["error"] = str(exc)
        return facts
    for name in names[:MAX_ENTRIES]:
        path = os.path.join(root, name)
        described = access.describe(path) or {}
        entry = {"name": name, "type": described.get("type"), "mode": described.get("mode")}
        if described.get("type") == "link":
            entry["target"] = os.readlink(path)
            entry["resolved"] = os.path.realpath(path)
            entry["target_exists"] = os.path.exists(path)
        facts["entries"].append(entry)
    index = os.path.join(root, "index.html")
    text = read_text(index, limit=200_000)
    facts["index_html"] = {"exists": text is not None,
                           "placeholder": bool(text) and any(m in text for m in PLACEHOLDER_MARKERS)}
    return facts


# ----------------------------------------------------------------------------- access as Caddy
def user_ids(name: str) -> tuple:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None, set()
    gids = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if name in g.gr_mem}
    return entry.pw_uid, gids


def permission_chain(user: str, path: str, need: str) -> dict:
    """Can `user` reach `path` (following symlinks) judging by owner/group/mode bits? (no ACLs)"""
    uid, gids = user_ids(user)
    if uid is None:
        return {"user": user, "ok": None, "error": "unknown-user"}
    real = os.path.realpath(path)
    current = "/"
    parts = [p for p in real.split("/") if p]
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            st = os.stat(current)
        except OSError as exc:
            return {"user": user, "ok": False, "path": real, "denied_at": current, "error": exc.strerror}
        last = index == len(parts) - 1
        if uid == 0:
            continue
        if st.st_uid == uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in gids:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        wanted = 1 if not last else (4 | (1 if stat.S_ISDIR(st.st_mode) else 0))
        if need == "traverse" and last:
            wanted = 1 if stat.S_ISDIR(st.st_mode) else 0
        if bits & wanted != wanted:
            return {"user": user, "ok": False, "path": real, "denied_at": current,
                    "mode": oct(stat.S_IMODE(st.st_mode)), "error": "EACCES"}
    return {"user": user, "ok": True, "path": real}


def caddy_user(processes: list) -> str:
    for proc in processes or []:
        argv = proc.get("argv") or []
        if argv and os.path.basename(argv[0]) == "caddy" and proc.get("user") not in (None, "root"):
            return proc["user"]
    return "caddy"


def media_facts(domain_root: str, django: dict, processes: list) -> dict:
    media = (django or {}).get("media") or {}
    root, url = media.get("root"), media.get("url") or "/media/"
    if "://" in url:
        return {"url": url, "root": root, "external": True}
    link = os.path.join(domain_root, url.strip("/"))
    described = access.describe(link)
    facts = {"url": url, "root": root, "link": link, "link_type": (described or {}).get("type"),
             "link_exists": os.path.exists(link), "resolved": os.path.realpath(link) if described else None,
             "same_as_media_root": bool(root and described and os.path.realpath(link) == os.path.realpath(root)),
             "web_user": caddy_user(processes)}
    target = link
    sample = media.get("sample")
    if sample:
        target = os.path.join(link, sample["path"])
    if described:
        if is_root():
            tested = access.test_as(facts["web_user"], [{"path": target, "need": "read"}])
            result = (tested.get("results") or [{}])[0]
            facts["web_user_access"] = {"user": facts["web_user"], "ok": result.get("ok"), "path": target,
                                        "denied_at": result.get("denied_at"), "error": result.get("error"),
                                        "tested": True}
        else:
            facts["web_user_access"] = permission_chain(facts["web_user"], target, "read")
            facts["web_user_access"]["tested"] = False
        facts["chain"] = access.describe_chain(os.path.realpath(link))
    return facts
