"""Part of the Django inspection (see django_inspect): an exception as a fact, with the project's
own file and line where it happened.

Runs inside the project's interpreter, concatenated with the other parts (no package there):
stdlib only, no `from __future__`, names shared with the other parts by a plain global namespace.
"""

import os
import sys
import traceback


def error_facts(exc):
    """The error, with the project's file and line where it happened: the innermost frame of the
    project's own code, not Django's, the standard library's (importlib) or our own."""
    tb = traceback.extract_tb(exc.__traceback__)
    frame = None
    for entry in reversed(tb):
        if project_frame(entry.filename):
            frame = entry
            break
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    file, line = (frame.filename, frame.lineno) if frame else (getattr(exc, "filename", None),
                                                               getattr(exc, "lineno", None))
    if frame is None and isinstance(exc, ModuleNotFoundError):
        file, line = where_module_named(exc.name) or (file, line)
    return {"type": type(exc).__name__, "message": last[:800], "file": file, "line": line}


def project_frame(filename):
    if not filename or filename.startswith("<") or "-packages" + os.sep in filename:
        return False
    if PROJECT_DIR and filename.startswith(PROJECT_DIR + os.sep):
        return True
    return not filename.startswith((sys.base_prefix + os.sep, sys.prefix + os.sep))


def where_module_named(name):
    """A settings module that does not exist: the line naming it (manage.py's
    DJANGO_SETTINGS_MODULE, wsgi.py), which is where it is to be fixed."""
    wanted = os.environ.get("DJANGO_SETTINGS_MODULE") or ""
    if not name or not PROJECT_DIR or not (wanted == name or wanted.startswith(name + ".")):
        return None
    for relative in ["manage.py"] + sorted(n + os.sep + "wsgi.py" for n in os.listdir(PROJECT_DIR)
                                           if os.path.isdir(os.path.join(PROJECT_DIR, n))):
        path = os.path.join(PROJECT_DIR, relative)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, 1):
                    if "DJANGO_SETTINGS_MODULE" in text and wanted in text:
                        return path, number
        except OSError:
            continue
    return None


PROJECT_DIR = None  # the project's real path: set_project_dir()


def set_project_dir(project_dir):
    global PROJECT_DIR
    PROJECT_DIR = os.path.realpath(project_dir).rstrip(os.sep) if project_dir else None


def current_project_dir():
    """PROJECT_DIR as set now (one global whether the parts run as one script or as modules)."""
    return PROJECT_DIR
