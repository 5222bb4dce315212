"""systemd facts: the app server's units (found by behaviour, not by name), their state and journal."""

from __future__ import annotations

import glob
import os
import shlex

from checkers.probe.journal import journal
from checkers.probe.runtime import os_error_name, read_text, run, which

UNIT_DIRS = ("/etc/systemd/system",)
APP_SERVER_WORDS = ("gunicorn", "uwsgi", "uvicorn", "daphne", "manage.py")
SERVICE_PROPERTIES = (
    "Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "Result", "ExecMainStatus", "ExecMainCode",
    "MainPID", "User", "Group", "WorkingDirectory", "ExecStart", "Restart", "Environment", "EnvironmentFiles",
    "FragmentPath", "NRestarts", "ActiveEnterTimestamp", "ExecMainStartTimestamp", "InactiveExitTimestamp",
    "WantedBy", "RequiredBy", "TriggeredBy", "Triggers", "Listen", "SocketUser", "SocketGroup", "SocketMode",
    "RuntimeDirectory", "UMask", "DropInPaths", "NeedDaemonReload", "StateChangeTimestamp", "ConditionResult",
    "ExecMainStartTimestampMonotonic", "ExecMainExitTimestampMonotonic", "ConsistsOf",
)
# What a second look at the app's units, at the probe's end, compares: a service caught "active"
# between two crashes changes its main process or restart count within seconds.
RESAMPLED_PROPERTIES = ("Id", "ActiveState", "SubState", "NRestarts", "MainPID", "ExecMainStartTimestampMonotonic")
SYSTEM_SERVICES = ("nginx.service", "postgresql.service", "caddy.service")
SECRET_WORDS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "PASS")


def is_secret_name(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS)


def parse_exec(value: str) -> list:
    """argv of the first command in a `systemctl show` ExecStart= value."""
    marker = "argv[]="
    start = value.find(marker)
    if start < 0:
        return shlex.split(value) if value else []
    end = value.find(" ;", start)
    try:
        return shlex.split(value[start + len(marker):end if end > 0 else None])
    except ValueError:
        return value[start + len(marker):end].split()


def parse_show(text: str) -> list:
    units, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                units.append(current)
                current = {}
            continue
        key, _, value = line.partition("=")
        current[key] = value
    if current:
        units.append(current)
    return units


def parse_environment(value: str) -> dict:
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    env = {}
    for word in words:
        key, sep, val = word.partition("=")
        if sep:
            env[key] = val
    return env


def parse_env_file(text: str) -> dict:
    """systemd EnvironmentFile= syntax: KEY=VALUE lines, # comments, optional quotes."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("export "):
            line = line[7:]
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def redact_unit_text(text: str) -> str:
    """Unit file text with values of secret-looking variables removed."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Environment=") and is_secret_name(stripped):
            lines.append("Environment=«hodnoty skryty»")
        else:
            lines.append(line)
    return "\n".join(lines)


def find_app_units() -> list:
    """Service units written by the student that start an app server."""
    found = []
    for directory in UNIT_DIRS:
        for path in sorted(glob.glob(os.path.join(directory, "*.service"))):
            if os.path.realpath(path) == "/dev/null":
                continue
            text = read_text(path) or ""
            exec_lines = [line for line in text.splitlines() if line.strip().startswith("ExecStart")]
            if any(word in line for line in exec_lines for word in APP_SERVER_WORDS):
                found.append(os.path.basename(path))
    return found


DROP_IN_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


def service_lines(text: str):
    """(key, value) of a unit file's [Service] section, continuation lines joined."""
    section, pending = None, ""
    for raw in text.splitlines():
        line = (pending + raw.strip()) if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[] ")
        elif section == "Service":
            key, sep, value = line.partition("=")
            if sep:
                yield key.strip(), value.strip()


def unit_from_files(name: str) -> dict | None:
    """What the unit's files say about how the app runs (user, directory, command, environment), as
    systemd would show it after reading them: for starting Django's inspection before `systemctl
    show` has answered. The probe compares with systemd's own view later, so anything this reading
    does not follow (specifiers, exec prefixes, unreadable files) gives None instead of a guess."""
    fragment = read_text(os.path.join(UNIT_DIRS[0], name))
    if fragment is None:
        return None
    drop_ins = {}
    for directory in reversed(DROP_IN_DIRS):  # same file name: /etc overrides /run overrides /usr/lib
        for path in glob.glob(os.path.join(directory, name + ".d", "*.conf")):
            drop_ins[os.path.basename(path)] = path
    texts = [fragment] + [read_text(drop_ins[key]) for key in sorted(drop_ins)]
    if any(text is None for text in texts):
        return None
    settings = {"User": "", "Group": "", "WorkingDirectory": "", "ExecStart": [], "Environment": [],
                "EnvironmentFile": []}
    for text in texts:
        for key, value in service_lines(text):
            if key not in settings:
                continue
            if "%" in value:
                return None
            if isinstance(settings[key], list):
                settings[key] = settings[key] + [value] if value else []  # an empty assignment resets
            else:
                settings[key] = value
    commands = settings["ExecStart"]
    if not commands or commands[0][:1] in "@-:+!" or settings["WorkingDirectory"][:1] in "-~":
        return None
    try:
        argv = shlex.split(commands[0])
    except ValueError:
        return None
    env = {}
    for value in settings["Environment"]:
        env.update(parse_environment(value))
    for value in settings["EnvironmentFile"]:
        text = read_text(value[1:] if value.startswith("-") else value)
        if text is not None:
            env.update(parse_env_file(text))
    return {"user": settings["User"] or None, "group": settings["Group"] or None,
            "working_directory": settings["WorkingDirectory"] or None, "argv": argv, "env": env}


def show(units: list, properties=SERVICE_PROPERTIES) -> dict:
    if not units:
        return {}
    result = run(["systemctl", "show", "--no-pager", "-p", ",".join(properties)] + units, timeout=15)
    shown = {}
    for props, name in zip(parse_show(result.out), units):
        shown[name] = props
    return shown


def uptime() -> float | None:
    """Seconds since boot: systemd's monotonic timestamps count from there."""
    try:
        with open("/proc/uptime", encoding="ascii") as handle:
            return float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def seconds_ago(monotonic_us: str | None, now: float | None):
    try:
        value = int(monotonic_us or 0)
    except ValueError:
        return None
    if not value or now is None:
        return None
    return round(max(0.0, now - value / 1e6), 1)


def resample(units_facts: dict) -> dict:
    """The app units' state once more, at the probe's end (a few seconds after the first look).
    A unit that changed meanwhile (fell, restarted) gets its journal read again: the first read
    may have come before the crash that explains it."""
    names = list(units_facts.get("app_units") or [])
    if not names:
        return {}
    shown = show(names, RESAMPLED_PROPERTIES)
    now = uptime()
    later = {name: {"active_state": props.get("ActiveState"), "sub_state": props.get("SubState"),
                    "n_restarts": int(props.get("NRestarts") or 0), "main_pid": int(props.get("MainPID") or 0),
                    "main_started_ago": seconds_ago(props.get("ExecMainStartTimestampMonotonic"), now)}
             for name, props in shown.items()}
    changed = [name for name, state in later.items() if unit_changed((units_facts.get("units") or {}).get(name), state)]
    if changed:
        again = journal(changed)
        for name in changed:
            if isinstance(again.get(name), list):
                later[name]["journal"] = again[name]
    return later


def unit_changed(before: dict | None, after: dict) -> bool:
    before = before or {}
    return any(before.get(key) != after.get(key) for key in ("active_state", "sub_state", "main_pid")) \
        or after["n_restarts"] > (before.get("n_restarts") or 0)


class SystemdFacts:
    """Collects unit facts; keeps environment values private (for running Django) and out of the facts."""

    def __init__(self):
        self.private_env = {}  # unit -> {name: value}, never emitted
        self.private_argv = {}  # unit -> ExecStart argv before redaction, never emitted
        self._app_units = None

    @staticmethod
    def available() -> bool:
        return bool(which("systemctl")) and os.path.isdir("/run/systemd/system")

    def app_units(self) -> list:
        if self._app_units is None:
            self._app_units = find_app_units() if self.available() else []
        return self._app_units

    def collect_units(self) -> dict:
        """The units' state: all the app's resolution needs, so it comes first and alone."""
        if not self.available():
            return {"available": False, "units": {}, "app_units": []}
        app_units = self.app_units()
        instances = sorted(os.path.basename(path) for path in
                           glob.glob("/etc/systemd/system/multi-user.target.wants/postgresql@*.service"))
        shown = show(app_units + [u[:-8] + ".socket" for u in app_units] + list(SYSTEM_SERVICES) + instances)
        # Units named only by the others (a differently named socket, PostgreSQL's clusters): usually none.
        extra = [trigger for name in app_units for trigger in shown.get(name, {}).get("TriggeredBy", "").split()]
        postgres = shown.get("postgresql.service", {})
        extra += [u for u in (postgres.get("Triggers", "") + " " + postgres.get("ConsistsOf", "")).split()
                  if u.startswith("postgresql@")]
        shown.update(show(sorted(set(u for u in extra if u not in shown))))
        now = uptime()
        units = {}
        for name, props in shown.items():
            if props.get("LoadState") == "not-found" and name not in app_units and not name.startswith("postgresql@"):
                continue
            units[name] = self._unit_facts(name, props)
            units[name]["main_started_ago"] = seconds_ago(props.get("ExecMainStartTimestampMonotonic"), now)
            units[name]["main_exited_ago"] = seconds_ago(props.get("ExecMainExitTimestampMonotonic"), now)
        return {"available": True, "app_units": app_units, "units": units}

    @staticmethod
    def journal_of(units_facts: dict) -> dict:
        """The app units' and sockets' journal (read before the probe's own requests add to it)."""
        if not units_facts.get("available"):
            return {}
        units = units_facts["units"]
        return journal(units_facts["app_units"] + [n for n in units if n.endswith(".socket")])

    @staticmethod
    def verify(units_facts: dict) -> dict:
        """`systemd-analyze verify` of each app unit, judging the unit's own settings only: by default
        it would also fail for any broken unit the app's unit merely depends on (multi-user.target
        pulls in most of the system), and checking those costs twice the CPU of the unit itself.
        systemd before 250 does not know the option: there the unit is verified the old way."""
        verified = {}
        for name in units_facts.get("app_units", []):
            fragment = units_facts["units"].get(name, {}).get("fragment_path")
            if fragment:
                res = run(["systemd-analyze", "verify", "--recursive-errors=no", fragment], timeout=20)
                if res.rc != 0 and "recursive-errors" in res.err:
                    res = run(["systemd-analyze", "verify", fragment], timeout=20)
                verified[name] = res.brief()  # timed_out: a busy machine (a crash loop) took longer, no verdict
        return verified

    def _unit_facts(self, name: str, props: dict) -> dict:
        env = parse_environment(props.get("Environment", ""))
        env_files = []
        for item in props.get("EnvironmentFiles", "").split(") "):
            path = item.split(" (")[0].strip()
            if not path:
                continue
            text = read_text(path)
            entry = {"path": path, "readable": text is not None, "optional": "ignore_errors=yes" in item}
            if text is None:  # not there, or not for us: the two mean different things
                entry["error"] = os_error_name(path)
            env_files.append(entry)
            if text is not None:
                env.update(parse_env_file(text))
        self.private_env[name] = env
        self.private_argv[name] = parse_exec(props.get("ExecStart", ""))
        fragment = props.get("FragmentPath") or None
        return {
            "name": name,
            "load_state": props.get("LoadState"),
            "active_state": props.get("ActiveState"),
            "sub_state": props.get("SubState"),
            "unit_file_state": props.get("UnitFileState"),
            "result": props.get("Result"),
            "exec_main_status": props.get("ExecMainStatus"),
            "main_pid": int(props.get("MainPID") or 0),
            "user": props.get("User") or None,
            "group": props.get("Group") or None,
            "working_directory": props.get("WorkingDirectory") or None,
            "exec_start": redact_argv(self.private_argv[name]),
            "restart": props.get("Restart"),
            "environment_names": sorted(env),
            "environment_files": env_files,
            "fragment_path": fragment,
            "fragment_text": redact_unit_text(read_text(fragment) or "") if fragment else None,
            "n_restarts": int(props.get("NRestarts") or 0),
            "active_enter": props.get("ActiveEnterTimestamp") or None,
            "exec_main_start": props.get("ExecMainStartTimestamp") or None,
            "wanted_by": props.get("WantedBy", "").split(),
            "required_by": props.get("RequiredBy", "").split(),
            "triggered_by": props.get("TriggeredBy", "").split(),
            "triggers": props.get("Triggers", "").split(),
            "listen": props.get("Listen") or None,
            "socket_user": props.get("SocketUser") or None,
            "socket_group": props.get("SocketGroup") or None,
            "socket_mode": props.get("SocketMode") or None,
            "runtime_directory": props.get("RuntimeDirectory") or None,
            "umask": props.get("UMask") or None,
            "drop_ins": props.get("DropInPaths", "").split(),
            "need_daemon_reload": props.get("NeedDaemonReload") == "yes",
        }


def redact_argv(argv: list) -> list:
    """argv with secret-looking values hidden: NAME=VALUE and --NAME=VALUE, and the argument after
    a flag such as --password."""
    out = []
    hide_next = False
    for arg in argv:
        key, sep, _ = arg.partition("=")
        if hide_next:
            out.append("«skryto»")
        else:
            out.append(key + "=«skryto»" if sep and is_secret_name(key.lstrip("-")) else arg)
        hide_next = arg.startswith("-") and not sep and is_secret_name(arg.lstrip("-").replace("-", "_"))
    return out
