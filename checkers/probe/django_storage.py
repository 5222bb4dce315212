"""Part of the Django inspection (see django_inspect): `check --deploy`, STATIC_ROOT against the
static sources (collectstatic's state) and MEDIA_ROOT, as the app's user sees them.
"""

import hashlib
import os

if __name__ != "__main__":  # imported (the probe, tests); sent as one script, django_errors precedes this
    from checkers.probe.django_errors import error_facts


IGNORE_PATTERNS = ["CVS", ".*", "*~"]  # collectstatic's defaults
MAX_LISTED = 5


def deploy_facts():
    from django.core import checks

    try:
        messages = checks.run_checks(include_deployment_checks=True)
    except Exception as exc:  # a broken check framework is a fact, not our crash
        return {"error": error_facts(exc)}
    return {"messages": [{
        "id": m.id, "level": m.level, "level_name": {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR",
                                                       50: "CRITICAL"}.get(m.level, str(m.level)),
        "msg": str(m.msg)[:600], "hint": str(m.hint)[:600] if m.hint else None,
        "obj": str(m.obj)[:200] if m.obj is not None else None, "silenced": m.is_silenced(),
    } for m in messages]}


def static_facts(settings):
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.utils import get_files  # noqa: F401  (import proves staticfiles works)

    root = settings.STATIC_ROOT
    facts = {"root": str(root) if root else None, "url": settings.STATIC_URL,
             "dirs": [str(d[1] if isinstance(d, (list, tuple)) else d) for d in settings.STATICFILES_DIRS]}
    if not root:
        return facts
    root = str(root)
    state = path_state(root)
    facts["root_exists"] = state["state"] == "dir" or (state["state"] == "denied" and os.path.isdir(root))
    if state["state"] == "denied":  # not "missing": this user may not look (the probe's root may)
        facts["root_denied"] = state
    facts["collides"] = any(os.path.realpath(d) == os.path.realpath(root) for d in facts["dirs"])
    sources = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            prefix = getattr(storage, "prefix", None)
            rel = os.path.join(prefix, path) if prefix else path
            if rel not in sources:
                sources[rel] = storage.path(path)
    missing, outdated, denied_at = compare_collected(sources, root)
    if denied_at:  # a directory inside STATIC_ROOT this user may not enter
        facts.setdefault("root_denied", {"state": "denied", "user_uid": os.geteuid(), "denied_at": denied_at,
                                         "error": "EACCES"})
    facts.update({"source_files": len(sources), "missing_count": len(missing), "missing": missing[:MAX_LISTED],
                  "outdated_count": len(outdated), "outdated": outdated[:MAX_LISTED],
                  "sample": pick_sample(sources, root)})
    installed = pick_installed_sample(sources, root, facts["sample"])
    if installed:
        facts["sample_installed"] = installed
    if "root_denied" in facts:
        # What this user could not compare, the privileged probe compares (checkers/probe/main.py).
        facts.update({"missing_count": None, "missing": [], "outdated_count": None, "outdated": [],
                      "to_compare": {rel: src for rel, src in sources.items()}})
    return facts


def compare_collected(sources, root):
    """Which collected copies in `root` are missing or older than their source (relative path ->
    source path), and the first directory the caller was refused in. Also used by the
    privileged probe on what the app's user could not see (checkers/probe/denied.py)."""
    missing, outdated, denied_at = [], [], None
    for rel, src in sorted(sources.items()):
        target = os.path.join(root, rel)
        try:
            if os.path.realpath(src) == os.path.realpath(target):
                continue  # the source lives inside STATIC_ROOT itself (collision)
            target_mtime = os.path.getmtime(target)
        except PermissionError:
            denied_at = denied_at or os.path.dirname(target)
            continue
        except OSError:
            missing.append(rel)
            continue
        try:
            if os.path.getmtime(src) > target_mtime + 1:
                outdated.append(rel)
        except OSError:
            pass
    return missing, outdated, denied_at


def path_state(path):
    """'dir', 'file', 'missing' or 'denied' (with the first directory this user cannot enter,
    the path itself included when it is a directory): a path the user may not look into is not
    a missing path."""
    try:
        os.stat(path)
    except PermissionError:
        return {"state": "denied", "user_uid": os.geteuid(), "denied_at": _first_closed(path), "error": "EACCES"}
    except OSError:
        return {"state": "missing"}
    if os.path.isdir(path) and not os.access(path, os.X_OK):
        return {"state": "denied", "user_uid": os.geteuid(), "denied_at": path, "error": "EACCES"}
    return {"state": "dir" if os.path.isdir(path) else "file"}


def _first_closed(path):
    current = "/"
    for part in [p for p in path.split("/") if p][:-1]:
        current = os.path.join(current, part)
        if not os.access(current, os.X_OK):
            break
    return current


def pick_sample(sources, root):
    """A collected CSS file to request through the web server (the project's own first). A file this
    user may not read is still the sample (nginx must serve it), without its digest."""
    css = [rel for rel in sorted(sources) if rel.endswith(".css") and os.path.isfile(os.path.join(root, rel))]
    own = [rel for rel in css if not rel.startswith("admin/")]
    chosen = (own or css or [None])[0]
    if chosen is None:
        return None
    try:
        with open(os.path.join(root, chosen), "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError as exc:
        return {"path": chosen, "sha256": None, "unreadable": type(exc).__name__}
    return {"path": chosen, "sha256": digest}


def pick_installed_sample(sources, root, own):
    """A second collected CSS file, one an installed package brings (the admin's): only collectstatic
    puts it into STATIC_ROOT, so a web server serving the project's source directory instead
    fails on it while the project's own file passes."""
    if not own:
        return None
    for rel in sorted(sources):
        source = str(sources[rel])
        if (rel.endswith(".css") and rel != own["path"] and os.sep + "site-packages" + os.sep in source
                and os.path.isfile(os.path.join(root, rel))):
            try:
                with open(os.path.join(root, rel), "rb") as handle:
                    return {"path": rel, "sha256": hashlib.sha256(handle.read()).hexdigest()}
            except OSError as exc:  # still the file nginx must serve
                return {"path": rel, "sha256": None, "unreadable": type(exc).__name__}
    return None


def media_facts(settings, static_root):
    root = settings.MEDIA_ROOT
    facts = {"root": str(root) if root else None, "url": settings.MEDIA_URL}
    if not root:
        return facts
    root = str(root)
    facts["absolute"] = os.path.isabs(root)
    facts["realpath"] = os.path.realpath(root)
    state = path_state(root)
    facts["exists"] = state["state"] in ("dir", "file")
    facts["is_dir"] = state["state"] == "dir"
    if state["state"] == "denied":
        facts["root_denied"] = state
    if static_root:
        a, b = os.path.realpath(root), os.path.realpath(str(static_root))
        facts["overlaps_static"] = a == b or a.startswith(b + os.sep) or b.startswith(a + os.sep)
    facts["files"], facts["sample"] = media_sample(root)
    return facts


def media_sample(root: str) -> tuple[int, dict | None]:
    """The number of uploaded files (the walk stops after ~200) and one to request through the web
    server: the first this user may read, with its digest; when it may read none, the first one
    all the same (nginx must serve it too), without its digest."""
    count, sample, closed = 0, None, None
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(n for n in filenames if not n.startswith(".")):
            count += 1
            if sample is not None:
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as handle:
                    sample = {"path": os.path.relpath(path, root), "sha256": hashlib.sha256(handle.read()).hexdigest()}
            except OSError as exc:
                closed = closed or {"path": os.path.relpath(path, root), "sha256": None, "unreadable": type(exc).__name__}
        if count > 200:
            break
    return count, sample or closed
