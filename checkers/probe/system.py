"""Facts about the machine: OS, packages, processes and listening sockets (from /proc)."""

from __future__ import annotations

import os
import pwd
import socket
import struct

from checkers.probe.runtime import read_text, run, which
from checkers.probe.systemd import redact_argv

WATCHED_PACKAGES = ("nginx", "nginx-core", "nginx-light", "nginx-full", "postgresql", "postgresql-15",
                    "postgresql-client", "caddy", "python3", "python3-venv", "git", "sudo")
INTERESTING_PROCESSES = ("gunicorn", "runserver", "nginx", "postgres", "caddy", "uwsgi", "uvicorn", "daphne")


def os_release() -> dict:
    info = {}
    for line in (read_text("/etc/os-release") or "").splitlines():
        key, _, value = line.partition("=")
        if key:
            info[key.lower()] = value.strip().strip('"')
    return {
        "id": info.get("id"),
        "version_id": info.get("version_id"),
        "pretty_name": info.get("pretty_name"),
        "hostname": socket.gethostname(),
        "cpus": os.cpu_count(),
        "systemd": os.path.isdir("/run/systemd/system"),
        "boot_time": boot_time(),
    }


def packages() -> dict:
    """Installed version of each watched package, or None."""
    if not which("dpkg-query"):
        return {"available": False, "versions": {}}
    result = run(["dpkg-query", "-W", "-f", "${Package}\t${Status}\t${Version}\n"] + list(WATCHED_PACKAGES))
    versions = {name: None for name in WATCHED_PACKAGES}
    for line in result.out.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].endswith(" installed"):
            versions[parts[0]] = parts[2]
    return {"available": True, "versions": versions}


def boot_time() -> float | None:
    for line in (read_text("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# Ports whose holder matters even when it is no known server: it keeps nginx from starting there.
WEB_PORTS = (80, 443)


def web_port_holders(listening_facts: dict) -> set:
    return {pid for row in (listening_facts or {}).get("tcp", []) if row.get("port") in WEB_PORTS
            for pid in row.get("pids", [])}


def processes(also: frozenset | set = frozenset()) -> list:
    """The processes that matter for a Django deployment (app servers, web servers, databases),
    and those with a pid in `also` (whatever holds a web port)."""
    ticks = os.sysconf("SC_CLK_TCK")
    btime = boot_time() or 0
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        raw = read_text("/proc/%s/cmdline" % entry)
        if not raw:
            continue
        argv = [part for part in raw.split("\0") if part]
        joined = " ".join(argv)
        if int(entry) not in also and not any(word in joined for word in INTERESTING_PROCESSES):
            continue
        status = read_text("/proc/%s/status" % entry) or ""
        uid = ppid = None
        for line in status.splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("PPid:"):
                ppid = int(line.split()[1])
        stat = read_text("/proc/%s/stat" % entry) or ""
        started = None
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 19:
            started = round(btime + int(fields[19]) / ticks, 1)
        found.append({
            "pid": int(entry), "ppid": ppid, "user": _user_name(uid) if uid is not None else None,
            "argv": redact_argv(argv[:40]), "started": started, "cwd": _cwd(entry), "unit": _service_of(entry),
        })
    return found


def _service_of(pid: str) -> str | None:
    return service_in_cgroup(read_text("/proc/%s/cgroup" % pid) or "")


def service_in_cgroup(text: str) -> str | None:
    """The systemd service a process runs in, from its /proc/PID/cgroup, if any."""
    for line in text.splitlines():
        name = line.rsplit("/", 1)[-1]
        if name.endswith(".service"):
            return name
    return None


def _cwd(pid: str) -> str | None:
    try:
        return os.readlink("/proc/%s/cwd" % pid)
    except OSError:
        return None


def _socket_owners() -> dict:
    """socket inode -> [pid, ...] (needs root to see other users' processes)."""
    owners = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fd_dir = "/proc/%s/fd" % entry
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(int(target[8:-1]), []).append(int(entry))
    return owners


def _parse_tcp(path: str, family: int) -> list:
    rows = []
    for line in (read_text(path) or "").splitlines()[1:]:
        parts = line.split()
        if len(parts) < 10 or parts[3] != "0A":  # 0A = LISTEN
            continue
        hex_addr, hex_port = parts[1].split(":")
        raw = bytes.fromhex(hex_addr)
        if family == socket.AF_INET:
            addr = socket.inet_ntop(family, struct.pack("<I", struct.unpack(">I", raw)[0]))
        else:
            words = struct.unpack(">4I", raw)
            addr = socket.inet_ntop(family, struct.pack("<4I", *words))
        rows.append({"addr": addr, "port": int(hex_port, 16), "inode": int(parts[9])})
    return rows


def listening() -> dict:
    owners = _socket_owners()
    tcp = _parse_tcp("/proc/net/tcp", socket.AF_INET) + _parse_tcp("/proc/net/tcp6", socket.AF_INET6)
    for row in tcp:
        row["pids"] = owners.get(row.pop("inode"), [])
    unix = []
    for line in (read_text("/proc/net/unix") or "").splitlines()[1:]:
        parts = line.split()
        # Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = accepting connections
        if len(parts) >= 8 and int(parts[3], 16) & 0x10000 and parts[7].startswith("/"):
            unix.append({"path": parts[7], "pids": owners.get(int(parts[6]), [])})
    return {"tcp": tcp, "unix": unix}
