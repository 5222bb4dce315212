"""Runs INSIDE the project's own interpreter (its venv), with the app's settings and environment.

Prints one JSON object on stdout, after lines naming the secrets seen so far ({"scrub": [...]}).
Secret values never leave this process except in those private "scrub" lists, which the probe uses
to mask them and then drops. Everything the project prints goes to the probe's own pipe
(CapturedOutput), which the probe masks before passing on its tail.

This module runs the inspection (output capture, hang watch, the sections in order); its parts
are django_errors, django_secrets, django_storage and django_database. The project's interpreter has
no `checkers` package: app.inspection_command sends the parts' sources and then this one as ONE
script (app.INSPECTION_PARTS), where they share a namespace; imported, this module imports them.
"""

import gc
import json
import os
import re
import subprocess
import sys
import threading
import time

if __name__ != "__main__":  # imported (the probe, tests); sent as one script, the parts precede this
    from checkers.probe.django_database import connect_early, database_facts
    from checkers.probe.django_errors import current_project_dir, error_facts, project_frame, set_project_dir
    from checkers.probe.django_secrets import (frame_secrets, list_tracked_files, masked_tree, secret_facts,
                                               secret_values, settings_secrets)
    from checkers.probe.django_storage import deploy_facts, media_facts, static_facts

STARTED = time.monotonic()


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
        root = current_project_dir()
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None) or ""
            if root and path.startswith(root + os.sep) and "-packages" + os.sep not in path:
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
    project_dir = params["project_dir"]
    set_project_dir(project_dir)
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
    gc.disable()  # a short-lived process: the cyclic garbage collector would only slow down Django's imports
    params = json.loads(sys.argv[1])
    captured = CapturedOutput(params.get("output_fd"))
    out = captured.json_out
    if params.get("project_dir"):
        set_project_dir(params["project_dir"])  # the namer below looks for secrets in the project's modules
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
