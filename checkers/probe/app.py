"""Which Django app runs on the target, and how: project dir, interpreter, user, environment.

Once a systemd unit starts an app server, the app is what that unit runs (its
WorkingDirectory, interpreter, User and Environment); before that, the project directory
from the course data (or --project) with its own venv, as the student's manage.py sees it.
"""

from __future__ import annotations

import json
import os
import pwd
import re

from checkers.probe.pipes import Captured
from checkers.probe.runtime import Started, base_env, module_source

VENV_NAMES = (".venv", "venv", "env", ".env")
SETTINGS_RE = re.compile(r"""os\.environ\.setdefault\(\s*['"]DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
APP_ARG_RE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*(\(\))?)?$")
SKIP_DIRS = {".venv", "venv", "env", ".git", "node_modules", "static", "media", "staticfiles", "__pycache__"}


def parse_gunicorn_argv(argv: list) -> dict:
    """Options of a gunicorn command line that matter for checks (bind, workers, chdir, env, app)."""
    out = {"binds": [], "workers": None, "chdir": None, "env": {}, "app": None, "pythonpath": None, "config": None}
    i = 1
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")
        takes_value = name in ("-b", "--bind", "-w", "--workers", "--chdir", "-e", "--env", "--pythonpath", "-c",
                               "--config", "-k", "--worker-class", "--threads", "-t", "--timeout", "--umask", "-u",
                               "--user", "-g", "--group", "--access-logfile", "--error-logfile", "--log-level",
                               "-p", "--pid", "--name", "-n", "--max-requests", "--graceful-timeout")
        if arg.startswith("-") and takes_value:
            value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            i += 1 if eq else 2
            if name in ("-b", "--bind"):
                out["binds"].append(value)
            elif name in ("-w", "--workers"):
                out["workers"] = int(value) if value.isdigit() else value
            elif name == "--chdir":
                out["chdir"] = value
            elif name in ("-e", "--env"):
                key, _, val = value.partition("=")
                out["env"][key] = val
            elif name == "--pythonpath":
                out["pythonpath"] = value
            elif name in ("-c", "--config"):
                out["config"] = value
            continue
        if arg.startswith("-b") and len(arg) > 2:
            out["binds"].append(arg[2:])
        elif arg.startswith("-w") and arg[2:].isdigit():
            out["workers"] = int(arg[2:])
        elif not arg.startswith("-") and APP_ARG_RE.match(arg):
            out["app"] = arg
        i += 1
    return out


def settings_from_source(project_dir: str, module_path: str | None) -> str | None:
    candidates = []
    if module_path:
        candidates.append(os.path.join(project_dir, *module_path.split(".")) + ".py")
    candidates.append(os.path.join(project_dir, "manage.py"))
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                match = SETTINGS_RE.search(handle.read())
        except OSError:
            continue
        if match:
            return match.group(1)
    return None


def interpreter_for(executable: str) -> str | None:
    base = os.path.basename(executable)
    if base.startswith("python"):
        return executable
    for name in ("python", "python3"):
        candidate = os.path.join(os.path.dirname(executable), name)
        if os.path.exists(candidate):
            return candidate
    try:
        with open(executable, "rb") as handle:
            first = handle.readline().decode("utf-8", "replace")
    except OSError:
        return None
    if first.startswith("#!"):
        return first[2:].strip().split()[0]
    return None


def owner(path: str) -> str | None:
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except (OSError, KeyError):
        return None


def resolve(params: dict, systemd: dict, private_env: dict, private_argv: dict) -> dict:
    """Decide how the app runs; the result (minus private env values) becomes facts['app']."""
    project = params["project"]
    explicit = params.get("project_explicit", False)
    units = systemd.get("units", {}) if systemd else {}
    for name in (systemd or {}).get("app_units", []):
        unit = units.get(name)
        argv = private_argv.get(name) or []
        if not unit or not argv:
            continue
        gunicorn = parse_gunicorn_argv(argv)
        workdir = gunicorn["chdir"] or unit.get("working_directory") or project
        if explicit and os.path.realpath(workdir) != os.path.realpath(project):
            continue
        # A unit pointing at a directory that is not there is the unit's mistake (step 9): the
        # project itself is still inspected where it is - where the course has it, or where the
        # venv the unit runs lives.
        project_dir = workdir if os.path.isdir(workdir) or explicit else next(
            (d for d in (project, venv_project(argv[0])) if d and os.path.isfile(os.path.join(d, "manage.py"))),
            workdir)
        env = dict(private_env.get(name, {}))
        env.update(gunicorn["env"])
        module = env.get("DJANGO_SETTINGS_MODULE")
        if not module and gunicorn["app"]:
            module = settings_from_source(project_dir, gunicorn["app"].split(":")[0])
        found = {
            "source": "unit", "unit": name, "project_dir": project_dir, "unit_workdir": workdir,
            "exists": os.path.isdir(project_dir),
            "manage_py": os.path.isfile(os.path.join(project_dir, "manage.py")),
            "interpreter": interpreter_for(argv[0]), "user": unit.get("user") or "root",
            "group": unit.get("group"), "settings_module": module or settings_from_source(project_dir, None),
            "gunicorn": {k: v for k, v in gunicorn.items() if k != "env"},
            "env_names": sorted(env), "_env": env,
        }
        # A program or user the unit names that is not on the machine is the unit's mistake
        # (step 9): the project is still inspected, in its own venv and as its owner.
        if argv[0].startswith("/") and not os.path.exists(argv[0]):  # a bare name is searched for by systemd
            found["exec_missing"] = argv[0]
            found["interpreter"] = project_interpreter(project_dir)
            instead = os.path.join(os.path.dirname(found["interpreter"] or "/"), os.path.basename(argv[0]))
            if found["interpreter"] and os.path.isfile(instead):
                found["exec_in_venv"] = instead  # the same program in the project's own venv
        if not user_exists(found["user"]):
            found["user_missing"] = True
        return found
    return {
        "source": "project", "unit": None, "project_dir": project, "exists": os.path.isdir(project),
        "manage_py": os.path.isfile(os.path.join(project, "manage.py")),
        "interpreter": project_interpreter(project), "user": owner(project), "group": None,
        "settings_module": settings_from_source(project, None), "gunicorn": None, "env_names": [], "_env": {},
    }


def project_interpreter(project_dir: str) -> str | None:
    """The Python of the project's own venv (.venv, venv, env, .env inside it)."""
    return next((c for c in (os.path.join(project_dir, name, "bin", "python") for name in VENV_NAMES)
                 if os.path.exists(c)), None)


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def venv_project(executable: str) -> str | None:
    """/var/www/p/.venv/bin/gunicorn -> /var/www/p (the project a venv inside it belongs to)."""
    parts = os.path.normpath(executable or "").split(os.sep)
    if len(parts) >= 4 and parts[-2] == "bin" and parts[-3] in VENV_NAMES:
        return os.sep.join(parts[:-3]) or None
    return None


def newest_source_mtime(project_dir: str, limit: int = 5000) -> dict:
    """The newest .py/.html/.txt file in the project (to tell whether gunicorn runs old code)."""
    newest, newest_path, seen = 0.0, None, 0
    for dirpath, dirnames, filenames in os.walk(project_dir):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for name in filenames:
            if not name.endswith((".py", ".html", ".txt")):
                continue
            seen += 1
            try:
                mtime = os.stat(os.path.join(dirpath, name)).st_mtime
            except OSError:
                continue
            if mtime > newest:
                newest, newest_path = mtime, os.path.relpath(os.path.join(dirpath, name), project_dir)
        if seen > limit:
            break
    return {"mtime": newest or None, "path": newest_path}


# The Django inspection's modules, sent to the project's interpreter as ONE script in this order
# (it has no `checkers` package): the parts first, django_inspect (which runs main()) last.
INSPECTION_PARTS = ("checkers.probe.django_errors", "checkers.probe.django_secrets", "checkers.probe.django_storage",
                    "checkers.probe.django_database", "checkers.probe.django_inspect")


def inspection_command(app: dict, timeout: float) -> dict | None:
    """How django_inspect runs: in the project's interpreter, as the app's user, with the app's
    environment. None when there is no interpreter to run it in."""
    if not app.get("interpreter") or not os.path.exists(app["interpreter"]):
        return None
    env = base_env()
    user = owner(app["project_dir"]) if app.get("user_missing") else app.get("user")
    try:
        env["HOME"] = pwd.getpwnam(user).pw_dir if user else env["HOME"]
    except KeyError:
        pass
    env.update(app.get("_env", {}))
    if app.get("settings_module"):
        env.setdefault("DJANGO_SETTINGS_MODULE", app["settings_module"])
    params = {"project_dir": app["project_dir"], "settings_module": app.get("settings_module"),
              "time_limit": int(timeout)}
    source = "\n".join(module_source(name) for name in INSPECTION_PARTS)
    return {"args": [app["interpreter"], "-B", "-c", source, json.dumps(params)], "user": user, "env": env,
            "cwd": app["project_dir"] if app.get("exists") else "/", "timeout": timeout}


def start_inspection(command: dict) -> Started:
    """Start django_inspect. Whatever the project prints goes to a pipe of the probe's own (the
    inspection's `output_fd`), so it is still here when the interpreter dies: a crash, or a hang
    ended on the timeout. It is only ever passed on masked (inspection_result)."""
    read_fd, write_fd = os.pipe()
    params = dict(json.loads(command["args"][-1]), output_fd=write_fd)
    try:
        started = Started(command["args"][:-1] + [json.dumps(params)], user=command["user"], env=command["env"],
                          cwd=command["cwd"], pass_fds=(write_fd,), untrusted=True)
    finally:
        os.close(write_fd)  # the interpreter holds the only write end now
    started.captured = Captured(read_fd)
    return started


def inspection_result(started: Started, command: dict, known: tuple = ()) -> tuple:
    """Wait for django_inspect; returns (facts, scrub). `known`: secrets the probe found itself.

    The interpreter names the secrets it sees on its stdout as it goes (before the project prints
    anything through Python, before it starts a process, when it is about to be ended as hanging),
    then its facts. So what the project printed is masked with every secret named before it died,
    besides the probe's own and the assignments and URL passwords any text is masked for."""
    result = started.result(command["timeout"])
    captured = getattr(started, "captured", None)
    printed = captured.text() if captured is not None else ""
    document, scrub, other = read_documents(result.out)
    scrub = [value for value in scrub if isinstance(value, str) and value]
    own = (other + result.err).strip()  # the interpreter's own words: faulthandler, the hang marker
    if result.timed_out:
        return {"not_run": "timeout", "stderr": masked_tail(own, scrub + list(known)),
                "output_tail": masked_tail(printed, scrub + list(known))}, scrub
    if document is None:
        return {"not_run": "crashed", "rc": result.rc, "stderr": masked_tail(own, scrub + list(known)),
                "output_tail": masked_tail(printed, scrub + list(known))}, scrub
    facts = document.get("facts", {})
    facts["stderr_tail"] = masked_tail((printed + own).strip(), scrub + list(known))
    facts["ran_as"] = command["user"] if os.geteuid() == 0 else None
    return facts, scrub


def read_documents(out: str) -> tuple:
    """(the facts document or None, every secret named, the lines that are no JSON of ours)."""
    document, scrub, other = None, [], []
    for line in out.splitlines():
        try:
            data = json.loads(line) if line.startswith("{") else None
        except ValueError:
            data = None
        if not isinstance(data, dict) or "scrub" not in data:
            other.append(line)
            continue
        scrub.extend(data.get("scrub") or [])
        if "facts" in data:
            document = data
    return document, scrub, "\n".join(other)


def masked_tail(text: str, secrets: list, limit: int = 1500) -> str:
    """The end of `text` with every secret masked first, then cut at a line start."""
    from checkers.probe.envelope import mask

    text = mask(text or "", set(secrets))
    if len(text) > limit:
        text = text[-limit:]
        text = text.split("\n", 1)[1] if "\n" in text[:-1] else text
    return text


def inspect_django(app: dict, timeout: float, started_early=None, known=()) -> tuple:
    """Run django_inspect for `app`; returns (facts, scrub). `started_early`: (command, Started) of
    an inspection started before `app` was known for sure: used when its command is this one.
    `known`: secrets the probe found itself, to mask the project's output with.

    When the app's user is refused by the file system (a project directory it cannot enter, a
    settings file it cannot read), the project is inspected again as the project's owner: the
    project itself is fine, the permission problem belongs to the service and is reported there
    (`app_user_denied`) - never as a broken venv or missing settings."""
    command = inspection_command(app, timeout)
    early_command, early = started_early or (None, None)
    if early is not None and early_command != command:
        early.cancel()  # started for another app (or environment) than the one that runs
        early = None
    if command is None:
        return {"not_run": "no-interpreter"}, []
    known = tuple(known)
    facts, scrub = inspection_result(early or start_inspection(command), command, known)
    facts["started_early"] = early is not None
    denied = permission_refusal(facts) or user_shut_out(facts, command["user"], app.get("project_dir"))
    project_owner = owner(app.get("project_dir") or "/")
    if denied and os.geteuid() == 0 and project_owner and project_owner != command["user"]:
        retry = dict(command, user=project_owner)
        again, again_scrub = inspection_result(start_inspection(retry), retry, known)
        if not permission_refusal(again):
            again["app_user_denied"] = {"user": command["user"] or "root", "error": denied}
            again["started_early"] = False
            return again, scrub + again_scrub
    return facts, scrub


PERMISSION_WORDS = ("Permission denied", "PermissionError", "EACCES")


def user_shut_out(facts: dict, user: str | None, project_dir: str | None) -> str | None:
    """After a failed inspection: could `user` not even enter the project directory? (Python's
    import system reports such a refusal as a missing module, so it is asked directly.)"""
    failed = facts.get("not_run") or facts.get("settings_error") or facts.get("inspect_error")
    if not failed or not user or not project_dir or os.geteuid() != 0:
        return None
    from checkers.probe import access

    result = access.test_as(user, [{"path": project_dir, "need": "read"}])
    row = (result.get("results") or [{}])[0]
    if row.get("ok") is False and row.get("error") == "EACCES":
        return "%s: %s (EACCES at %s)" % (user, project_dir, row.get("denied_at") or project_dir)
    return None


def permission_refusal(facts: dict) -> str | None:
    """The file-system refusal that stopped the inspection, if that is what stopped it."""
    if facts.get("not_run") in ("crashed", "timeout"):
        text = facts.get("stderr") or ""
    else:
        error = facts.get("settings_error") or facts.get("inspect_error") or {}
        text = error.get("message") or "" if error.get("type") in ("PermissionError", "OSError", None) else ""
    if not any(word in text for word in PERMISSION_WORDS):
        return None
    lines = [line.strip() for line in text.strip().splitlines() if any(w in line for w in PERMISSION_WORDS)]
    return (lines or [text.strip()])[-1][:300]
