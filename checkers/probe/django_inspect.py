"""Runs INSIDE the project's own interpreter (its venv), with the app's settings and environment.

Prints one JSON object on stdout, after lines naming the secrets seen so far ({"scrub": [...]}).
Secret values never leave this process except in those private "scrub" lists, which the probe uses
to mask them and then drops. Everything the project prints goes to the probe's own pipe
(CapturedOutput), which the probe masks before passing on its tail.
"""

import ast
import gc
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback

STARTED = time.monotonic()

IGNORE_PATTERNS = ["CVS", ".*", "*~"]  # collectstatic's defaults
# Values copied from tutorials instead of generated (compared here, never sent anywhere).
PLACEHOLDER_KEYS = {"some-long-random-string", "your-secret-key", "secret", "changeme", "change-me",
                    "your-secret-key-here", "tajny-klic", "django-secret-key"}
MAX_LISTED = 5


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


PROJECT_DIR = None  # set by inspect()


SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "PASS", "CREDENTIAL", "PRIVATE")
NOT_SECRET_NAME = re.compile(r"KEY_PREFIX|KEY_FUNCTION|PASSWORD_(HASHERS|VALIDATORS|RESET)|(_FILE|_PATH|_DIR)$")
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'\"]*:(?P<password>[^\s@'\"/]+)@")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def is_secret_name(name):
    upper = str(name).upper()
    return any(word in upper for word in SECRET_WORDS) and not NOT_SECRET_NAME.search(upper)


def secret_values(name, value, found, depth=0):
    """Collect the secrets a (settings) variable holds: the value of a secret-looking name, the
    values of secret-looking keys of its dicts (DATABASES' PASSWORD), and passwords in URLs."""
    if depth > 5:
        return found
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if is_secret_name(name) and len(value) >= 4 and not DOTTED.match(value):
            found.append(value)
        found.extend(m.group("password") for m in URL_PASSWORD.finditer(value))
    elif isinstance(value, dict):
        for key, item in list(value.items())[:200]:
            secret_values(key if isinstance(key, str) else "", item, found, depth + 1)
            if is_secret_name(name) and isinstance(item, str):
                secret_values(name, item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in list(value)[:200]:
            secret_values(name, item, found, depth + 1)
    return found


def frame_secrets(exc, project_dir):
    """The secrets held by the project's frames an exception went through: settings that fail to
    import have already assigned SECRET_KEY or DATABASES (in the module's globals) when they fail,
    and their error message or printed output may quote them."""
    found, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            filename = frame.f_code.co_filename
            ours = filename.startswith(project_dir) or not filename.startswith(("<", sys.base_prefix, sys.prefix))
            if ours and "-packages" + os.sep not in filename:  # the project's code, not Django's
                for namespace in (frame.f_globals, frame.f_locals):
                    for name, value in list(namespace.items()):
                        if not name.startswith("__"):
                            secret_values(name, value, found)
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return found


def settings_secrets(settings):
    """Every secret-looking setting once the settings have loaded (EMAIL_HOST_PASSWORD, API tokens,
    old keys in SECRET_KEY_FALLBACKS…) and the module's own variables."""
    found = []
    module = sys.modules.get(getattr(settings, "SETTINGS_MODULE", None) or "")
    for name in dir(settings._wrapped) if hasattr(settings, "_wrapped") else []:
        if name.isupper():
            try:
                secret_values(name, getattr(settings, name), found)
            except Exception:
                continue
    for name, value in list(vars(module).items()) if module else []:
        if not name.startswith("__"):
            secret_values(name, value, found)
    return found


class CapturedOutput:
    """Whatever the project prints, at the file-descriptor level (Python's print, C extensions,
    its subprocesses), goes to the probe's pipe `output_fd`, never to our stdout: the probe reads
    it as it comes (so it outlives this interpreter: a crash, a hang ended by the probe) and passes
    on only its masked tail. Our JSON goes to a private copy of the original stdout, which the
    project's output can no longer corrupt; the secrets we see are named there (SecretNamer)."""

    def __init__(self, output_fd=None):
        sys.stdout.flush()
        sys.stderr.flush()
        self.json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
        self.err_fd = os.dup(2)  # our own messages (faulthandler's dump of a hang)
        if output_fd is None:  # run by hand, without a probe: the project's output is dropped
            output_fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)

    def close(self):
        """Stop capturing: our ends of the probe's pipe are closed (the project's leftovers are
        ended by the probe, which then sees the end of the output)."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)


class SecretNamer:
    """Names the secrets in sight to the probe (a {"scrub": [...]} line on our JSON channel) before
    the project can print them: before every write through sys.stdout/sys.stderr, before a process
    is started, signalled or replaced, before an os.write, and before the probe ends a hanging
    inspection. If the interpreter then dies, the probe still masks what it printed. In sight: the
    variables of the project's modules (the settings module while it is being imported too) and of
    the project's frames on the stack. Output written by other means and followed by a sudden death
    (a C extension's printf, then a crash) is masked only for the secrets named before it."""

    PROCESS_CALLS = (("os", ("system", "write", "kill", "killpg", "abort", "execv", "execve", "posix_spawn",
                             "posix_spawnp", "fork")),
                     ("signal", ("raise_signal",)))

    def __init__(self, fd):
        self.fd = fd
        self.named = set()
        self.lock = threading.RLock()
        self.busy = threading.local()

    def name_visible(self, frame=None):
        if getattr(self.busy, "on", False):  # our own write below, or a write from a scan
            return
        self.busy.on = True
        try:
            found = self.visible(frame)
            with self.lock:
                new = sorted({value for value in found if isinstance(value, str) and len(value) >= 4} - self.named)
                if new:
                    self.named.update(new)
                    os_write(self.fd, (json.dumps({"scrub": new}) + "\n").encode("utf-8", "replace"))
        except Exception:
            pass
        finally:
            self.busy.on = False

    @staticmethod
    def visible(frame):
        found = []
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None) or ""
            if PROJECT_DIR and path.startswith(PROJECT_DIR + os.sep) and "-packages" + os.sep not in path:
                for name, value in list(vars(module).items()):
                    if not name.startswith("__"):
                        secret_values(name, value, found)
        while frame is not None:
            if project_frame(frame.f_code.co_filename):
                for namespace in (frame.f_globals, frame.f_locals):
                    for name, value in list(namespace.items()):
                        if not name.startswith("__"):
                            secret_values(name, value, found)
            frame = frame.f_back
        return found

    def install(self):
        sys.stdout = NamingStream(sys.stdout, self)
        sys.stderr = NamingStream(sys.stderr, self)
        for module_name, names in self.PROCESS_CALLS:
            module = sys.modules.get(module_name) or __import__(module_name)
            for name in names:
                if hasattr(module, name):
                    setattr(module, name, self.named_before(getattr(module, name)))
        subprocess.Popen.__init__ = self.named_before(subprocess.Popen.__init__)

    def named_before(self, function):
        def call(*args, **kwargs):
            self.name_visible(sys._getframe(1))
            return function(*args, **kwargs)

        call.__wrapped__ = function
        return call


os_write = os.write  # ours, never wrapped


class NamingStream:
    """sys.stdout/sys.stderr that name the secrets in sight before the project's text is written."""

    def __init__(self, stream, namer):
        self._stream = stream
        self._namer = namer

    def write(self, text):
        self._namer.name_visible(sys._getframe(1))
        return self._stream.write(text)

    def writelines(self, lines):
        self._namer.name_visible(sys._getframe(1))
        return self._stream.writelines(lines)

    def __getattr__(self, name):
        return getattr(self._stream, name)


_REAL_EXIT = os._exit
INSPECTOR_PID = os.getpid()


def project_exit(code=0):
    if os.getpid() != INSPECTOR_PID:  # a process the project forked ends as it asked (a daemon's fork)
        _REAL_EXIT(code)
    raise SystemExit("os._exit(%s)" % code)


HANG_MARKER = "KURZ_INSPECTION_STOPPED_AT "


def watch_for_hang(time_limit, err_fd, project_dir, namer=None):
    """Shortly before the probe ends a hanging inspection, name the secrets in sight (namer) and
    write where the main thread is (the project's innermost frame and the stack) as one marked JSON
    line on our own stderr. A crash of the interpreter itself is dumped by faulthandler (file and
    line only, never a value)."""
    try:
        import faulthandler

        faulthandler.enable(file=err_fd, all_threads=False)
    except Exception:
        pass
    main_thread = threading.get_ident()
    done = threading.Event()

    def watch():
        if done.wait(max(0.5, min(time_limit - 1.5, time_limit * 0.85) - (time.monotonic() - STARTED))):
            return
        frame = sys._current_frames().get(main_thread)
        if namer is not None:
            namer.name_visible(frame)
        stack = []
        while frame is not None and len(stack) < 40:
            stack.append((frame.f_code.co_filename, frame.f_lineno))
            frame = frame.f_back
        ours = [(f, n) for f, n in stack if (f.startswith(project_dir) or not f.startswith(("<", sys.base_prefix,
                                                                                            sys.prefix)))
                and "-packages" + os.sep not in f]
        where = ours[0] if ours else (stack[0] if stack else (None, None))
        line = HANG_MARKER + json.dumps({"file": where[0], "line": where[1], "stack": stack[:12]})
        try:
            os_write(err_fd, ("\n" + line + "\n").encode("utf-8", "replace"))
        except OSError:
            pass

    threading.Thread(target=watch, name="hang-watch", daemon=True).start()
    return done.set


def masked_tree(value, secrets):
    if isinstance(value, str):
        return masked(value, secrets)
    if isinstance(value, dict):
        return {key: masked_tree(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked_tree(item, secrets) for item in value]
    return value


def masked(text, secrets):
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "\u00abskryto\u00bb")
    return text


def settings_literal(path, name):
    """Is `name` assigned a string literal in the settings source? (never returns the value)"""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                        return True
    return False


def list_tracked_files(project_dir):
    """Start `git ls-files` at once; the returned function waits for the names (None: no repository).
    Started before django.setup(), the command costs the inspection nothing."""
    try:
        proc = subprocess.Popen(["git", "-c", "safe.directory=*", "-C", project_dir, "ls-files", "-z"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except OSError:
        return lambda: None

    def names():
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
        if proc.returncode != 0:
            return None
        return [name for name in out.decode("utf-8", "replace").split("\0") if name]

    return names


def files_containing(project_dir, names, needle):
    hits = []
    data = needle.encode()
    for name in names:
        path = os.path.join(project_dir, name)
        try:
            if os.path.getsize(path) > 2_000_000:
                continue
            with open(path, "rb") as handle:
                if data in handle.read():
                    hits.append(name)
        except OSError:
            continue
    return hits


def secret_facts(settings, settings_file, project_dir, tracked_files, scrub):
    key = settings.SECRET_KEY
    if not isinstance(key, str):
        key = key.decode() if isinstance(key, bytes) else str(key)
    scrub.append(key)
    tracked = tracked_files()
    source_names = [os.path.relpath(settings_file, project_dir)] if settings_file else []
    in_env = [name for name, value in os.environ.items() if value == key and key]
    literal = settings_literal(settings_file, "SECRET_KEY") if settings_file else None
    return {
        "length": len(key),
        "distinct": len(set(key)),
        "insecure_prefix": key.startswith("django-insecure-"),
        "placeholder": key.strip().lower() in PLACEHOLDER_KEYS,
        "literal_in_settings": literal,
        "from_environment": bool(in_env),
        "git_repository": tracked is not None,
        "in_versioned_files": files_containing(project_dir, tracked, key) if tracked is not None and key else [],
        "in_settings_source": bool(files_containing(project_dir, source_names, key)) if key else False,
    }


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
    """A collected CSS file to request through the web server (the project's own first)."""
    css = [rel for rel in sorted(sources) if rel.endswith(".css") and os.path.isfile(os.path.join(root, rel))]
    own = [rel for rel in css if not rel.startswith("admin/")]
    chosen = (own or css or [None])[0]
    if chosen is None:
        return None
    with open(os.path.join(root, chosen), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {"path": chosen, "sha256": digest}


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
    sample, count = None, 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            count += 1
            if sample is None:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                    sample = {"path": os.path.relpath(path, root), "sha256": digest}
                except OSError:
                    pass
        if count > 200:
            break
    facts["files"] = count
    facts["sample"] = sample
    return facts


# The server's version, databases (with owners) and roles, as any role may read them. Asked over
# Django's own connection, they spare the probe a psql run of its own (a second server process,
# ~0.9 s of CPU on an emulated VM); the probe's psql asks the same when Django cannot connect.
CATALOG_QUERY = (
    "select json_build_object("
    "'version', current_setting('server_version'),"
    "'databases', (select coalesce(json_agg(json_build_object('name', datname, 'owner', pg_get_userbyid(datdba))"
    " order by datname), '[]') from pg_database where not datistemplate),"
    "'roles', (select coalesce(json_agg(json_build_object('name', rolname, 'login', rolcanlogin,"
    " 'superuser', rolsuper) order by rolname), '[]') from pg_roles where rolname !~ '^pg_'))::text"
)


def server_catalog(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute(CATALOG_QUERY)
            return json.loads(cursor.fetchone()[0])
    except Exception as exc:
        return {"error": error_facts(exc)}


def connect_early(settings, time_limit):
    """Open Django's default database connection in a thread while django.setup() loads the apps.
    A new PostgreSQL connection (a server process started, authentication) mostly waits for the
    server: ~0.35 s an emulated VM's inspection no longer waits for. Returns a function giving
    (connection, error) once setup is done, or None where the database is to be connected later.
    The backend is imported here, before the thread starts: two threads importing Django's modules
    at once could each hold a module the other needs."""
    from django.db import DEFAULT_DB_ALIAS, connections

    conf = settings.DATABASES.get(DEFAULT_DB_ALIAS, {})
    if conf.get("ENGINE") == "django.db.backends.sqlite3" or not hasattr(connections, "create_connection"):
        return None  # SQLite costs nothing to open (and must not be created); Django < 4.0
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    connection.inc_thread_sharing()  # used later by the main thread
    outcome = {}

    def connect():
        try:
            connection.ensure_connection()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="connect-early", daemon=True)
    thread.start()

    def result():
        thread.join(time_limit / 2)
        if thread.is_alive():  # a database host that never answers: the rest is still worth reporting
            return None, TimeoutError("the database did not answer within %d s" % (time_limit // 2))
        # From now on Django's own code (the migration recorder asks for the alias) uses this
        # connection in this thread, instead of opening a second one.
        connections[DEFAULT_DB_ALIAS] = connection
        return connection, outcome.get("error")

    return result


def database_facts(settings, scrub, early=None):
    """The default database: connection, unapplied migrations. `early`: (connection, error) of
    connect_early(), when the connection has already been tried."""
    from django.db import DEFAULT_DB_ALIAS, connections

    conf = settings.DATABASES.get(DEFAULT_DB_ALIAS, {})
    password = conf.get("PASSWORD")
    if password:
        scrub.append(str(password))
    facts = {"engine": conf.get("ENGINE"), "name": str(conf.get("NAME")) if conf.get("NAME") else None,
             "user": conf.get("USER") or None, "host": conf.get("HOST") or None, "port": str(conf.get("PORT") or ""),
             "password_set": bool(password)}
    if facts["engine"] == "django.db.backends.sqlite3" and not (facts["name"] and os.path.exists(facts["name"])):
        facts["connect"] = {"ok": False, "skipped": "sqlite file missing"}  # connecting would create it
        return facts
    connection, error = early or (connections[DEFAULT_DB_ALIAS], None)
    try:
        if error is not None:
            raise error
        connection.ensure_connection()
        facts["connect"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        facts["connect"] = {"ok": False, "error": error_facts(exc)}
        return facts
    if connection.vendor == "postgresql":
        facts["server"] = server_catalog(connection)
    try:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        facts["unapplied_migrations"] = ["%s.%s" % (m.app_label, m.name) for m, backwards in plan]
    except Exception as exc:
        facts["migrations_error"] = error_facts(exc)
    finally:
        connection.close()
    return facts


WATCHED_DISTRIBUTIONS = ("Django", "gunicorn", "psycopg2", "psycopg2-binary", "psycopg", "psycopg-binary", "whitenoise",
                         "uvicorn", "uwsgi")


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def package_versions(wanted=WATCHED_DISTRIBUTIONS):
    """Versions of the distributions that matter, from the names of their metadata directories
    ("{name}-{version}.dist-info", PEP 376/427; "….egg-info" of older installs). Reading names is
    enough and costs a directory listing; importlib.metadata would parse nine METADATA files after
    scanning the path nine times (a tenth of the whole inspection on the course VM)."""
    found = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project, _, rest = name.rpartition(".")[0].partition("-")
                version = rest.split("-py")[0]
                found.setdefault(normalized(project), version or None)
    return {name: found.get(normalized(name)) for name in wanted}


def inspect(params):
    global PROJECT_DIR
    project_dir = params["project_dir"]
    PROJECT_DIR = os.path.realpath(project_dir).rstrip(os.sep) if project_dir else None
    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    if params.get("settings_module"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", params["settings_module"])
    facts = {"python": sys.version.split()[0], "executable": sys.executable,
             "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE"), "packages": package_versions()}
    scrub = []
    time_limit = int(params.get("time_limit") or 90)
    tracked_files = list_tracked_files(project_dir)
    early_connection = None
    try:
        import django
        from django.conf import settings

        facts["django_version"] = django.get_version()
        settings.INSTALLED_APPS  # noqa: B018  (forces the settings import)
        try:
            early_connection = connect_early(settings, time_limit)
        except Exception:  # the backend's import fails: found again, and reported, after setup
            early_connection = None
        django.setup()
    except (Exception, SystemExit) as exc:  # sys.exit() in the settings is the settings' error too
        scrub.extend(frame_secrets(exc, project_dir))
        facts["settings_error"] = error_facts(exc)
        if early_connection:  # say goodbye to the server (a dropped connection is logged as an error)
            connection, error = early_connection()
            if connection is not None and error is None:
                connection.close()
        return facts, scrub
    try:
        scrub.extend(settings_secrets(settings))
    except Exception:
        pass
    module = sys.modules.get(settings.SETTINGS_MODULE)
    settings_file = getattr(module, "__file__", None)
    facts["settings_file"] = settings_file
    facts["settings"] = {
        "DEBUG": settings.DEBUG,
        "ALLOWED_HOSTS": [str(h) for h in settings.ALLOWED_HOSTS],
        "INSTALLED_APPS": list(settings.INSTALLED_APPS),
        "MIDDLEWARE": list(settings.MIDDLEWARE),
        "CSRF_TRUSTED_ORIGINS": list(getattr(settings, "CSRF_TRUSTED_ORIGINS", [])),
        "SECURE_PROXY_SSL_HEADER": list(settings.SECURE_PROXY_SSL_HEADER or []),
        "SILENCED_SYSTEM_CHECKS": list(settings.SILENCED_SYSTEM_CHECKS),
        "ROOT_URLCONF": settings.ROOT_URLCONF,
        "WSGI_APPLICATION": settings.WSGI_APPLICATION,
    }
    sections = (
        ("secret_key", lambda: secret_facts(settings, settings_file, project_dir, tracked_files, scrub)),
        ("deploy_check", deploy_facts),
        ("static", lambda: static_facts(settings)),
        ("media", lambda: media_facts(settings, settings.STATIC_ROOT)),
    )
    timings = facts["timings"] = {"setup": round(time.monotonic() - STARTED, 3)}
    for name, collect in sections:
        facts[name], timings[name] = timed_section(collect)
    began = time.monotonic()
    early = early_connection() if early_connection else None
    timings["connect_wait"] = round(time.monotonic() - began, 3)
    facts["database"], timings["database"] = timed_section(lambda: database_facts(settings, scrub, early))
    return facts, scrub


def timed_section(collect):
    began = time.monotonic()
    try:
        result = collect()
    except Exception as exc:
        result = {"error": error_facts(exc)}
    return result, round(time.monotonic() - began, 3)


def main():
    global PROJECT_DIR
    gc.disable()  # a short-lived process: the cyclic garbage collector would only slow down Django's imports
    params = json.loads(sys.argv[1])
    captured = CapturedOutput(params.get("output_fd"))
    out = captured.json_out
    if params.get("project_dir"):
        PROJECT_DIR = os.path.realpath(params["project_dir"]).rstrip(os.sep)
    namer = SecretNamer(out.fileno())
    namer.install()
    stop_watching = watch_for_hang(int(params.get("time_limit") or 90), captured.err_fd,
                                   params.get("project_dir") or "/", namer)
    scrub = []
    exit_now = os._exit
    os._exit = project_exit  # settings calling os._exit() are reported like sys.exit(), output included
    try:
        facts, scrub = inspect(params)
    except BaseException as exc:  # noqa: BLE001  (report, never die silently)
        scrub = scrub + frame_secrets(exc, params.get("project_dir") or "/")
        facts = {"inspect_error": error_facts(exc)}
    os._exit = exit_now
    stop_watching()
    scrub = [s for s in scrub if s]
    captured.close()
    facts = masked_tree(facts, scrub)
    out.write("\n" + json.dumps({"facts": facts, "scrub": scrub}, default=str) + "\n")
    out.flush()
    # Everything is said: skip the interpreter's teardown of Django's ~600 modules (a large part
    # of the inspection's time on an emulated VM). Nothing of ours is left to close or flush.
    os._exit(0)


if __name__ == "__main__":
    main()
