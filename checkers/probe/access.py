"""What a given user (www-data, the unit's User) can really do with a path: tested as that user."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import sys

from checkers.probe.runtime import is_root, run

# Runs as the user under test; stdlib only; prints one JSON list.
CHILD = r"""
import json, os, socket, sys
results = []
for item in json.loads(sys.argv[1]):
    path, need = item["path"], item["need"]
    res = {"path": path, "need": need, "ok": False, "error": None, "denied_at": None}
    parts = [p for p in path.split("/") if p]
    current = "/"
    for part in parts[:-1]:
        current = os.path.join(current, part)
        if os.path.isdir(current) and not os.access(current, os.X_OK):
            res["denied_at"] = current
            break
    try:
        if need == "traverse":
            os.stat(path)
            res["ok"] = True
        elif need == "read":
            if os.path.isdir(path):
                os.listdir(path)
            else:
                open(path, "rb").close()
            res["ok"] = True
        elif need == "write":
            res["ok"] = os.access(path, os.W_OK | os.X_OK) if os.path.isdir(path) else os.access(path, os.W_OK)
            if not res["ok"]:
                res["error"] = "EACCES"
        elif need == "connect":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect(path)
                res["ok"] = True
            finally:
                s.close()
    except OSError as exc:
        import errno
        res["error"] = errno.errorcode.get(exc.errno, str(exc.errno))
    results.append(res)
print(json.dumps(results))
"""


def describe(path: str) -> dict | None:
    """Owner, group, mode and type of a path (not following the last symlink)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    kind = ("dir" if stat.S_ISDIR(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode)
            else "link" if stat.S_ISLNK(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other")
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return {"owner": owner, "group": group, "mode": oct(stat.S_IMODE(st.st_mode)), "type": kind,
            "mtime": st.st_mtime}


def describe_chain(path: str) -> list:
    """describe() for every component of the path, from / down."""
    chain, current = [], "/"
    for part in [p for p in path.split("/") if p]:
        current = os.path.join(current, part)
        info = describe(current)
        chain.append({"path": current, **(info or {"missing": True})})
        if info is None:
            break
    return chain


def test_as(user: str, items: list) -> dict:
    """Run the access tests as `user`; {'user', 'results': [...]} or {'error'}."""
    if not items:
        return {"user": user, "results": []}
    try:
        pwd.getpwnam(user)
    except KeyError:
        return {"user": user, "error": "unknown-user"}
    if not is_root() and pwd.getpwuid(os.geteuid()).pw_name != user:
        return {"user": user, "error": "needs-root"}
    result = run([sys.executable, "-I", "-c", CHILD, json.dumps(items)], user=user, timeout=15, cwd="/")
    try:
        return {"user": user, "results": json.loads(result.out)}
    except ValueError:
        return {"user": user, "error": (result.err or result.out)[-300:]}
