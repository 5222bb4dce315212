"""Real servers for the live-check tests: a private CA (openssl), gunicorn / runserver with a real
Django project, nginx and Caddy from Debian's packages, all on 127.0.0.1 ports picked free.

Every process is started by us, in the foreground of its own session, and stopped by its PID
(never by name), also when a test fails: use the `Servers` registry as a context manager or
through the `servers` fixture.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.django_project import shared_venv

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "exercises" / "starter"
APT_PACKAGES_FILE = REPO / "scripts" / "apt-packages-test.txt"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not path:
        raise RuntimeError(f"{name} is not installed: install the packages listed in {APT_PACKAGES_FILE}")
    return path


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path
    pid_file: Path | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to our PID (and its process group, which only our children share), then SIGKILL."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)


@dataclass
class Servers:
    """The processes one test started; stop_all() stops them by PID in reverse order."""

    root: Path
    started: list[Process] = field(default_factory=list)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()

    def start(self, name: str, argv: list[str], *, cwd: Path | None = None, env: dict | None = None,
              port: int | None = None, pid_file: Path | None = None, timeout: float = 30) -> Process:
        log = self.root / f"{name}.log"
        handle = open(log, "wb")
        proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=handle,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        handle.close()
        process = Process(name, proc, log, pid_file)
        self.started.append(process)
        if port:
            wait_port(port, process, timeout)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self.started:
            self.started.remove(process)


def wait_port(port: int, process: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.name} is not listening on 127.0.0.1:{port} after {timeout} s:\n{process.log_tail()}")


# ----------------------------------------------------------------------------- private CA
@dataclass
class PrivateCA:
    """A certificate authority made with openssl for one test session, and certificates it issues."""

    directory: Path

    @property
    def cert(self) -> Path:
        return self.directory / "ca.pem"

    @classmethod
    def create(cls, directory: Path) -> "PrivateCA":
        directory.mkdir(parents=True, exist_ok=True)
        ca = cls(directory)
        openssl = need_binary("openssl")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", str(directory / "ca.key"), "-out", str(ca.cert),
                        "-subj", "/CN=Kurz Django testovaci CA", "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], check=True, capture_output=True)
        return ca

    def issue(self, name: str, *dns_names: str) -> tuple[Path, Path]:
        """(certificate chain, key) for the given DNS names, signed by this CA."""
        openssl = need_binary("openssl")
        key, csr, cert = (self.directory / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        ext = self.directory / f"{name}.ext"
        ext.write_text("subjectAltName=" + ",".join(f"DNS:{d}" for d in dns_names) + "\n"
                       "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        subprocess.run([openssl, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
                        "-subj", f"/CN={dns_names[0]}"], check=True, capture_output=True)
        subprocess.run([openssl, "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey",
                        str(self.directory / "ca.key"), "-CAcreateserial", "-days", "2", "-out", str(cert),
                        "-extfile", str(ext)], check=True, capture_output=True)
        return cert, key


# ----------------------------------------------------------------------------- Django site
SECURE_SETTINGS = """
SECURE_HSTS_SECONDS = 3600
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
"""


def make_site(root: Path, *, debug: bool = False, allowed_hosts=("kurz.test",), secure: bool = True,
              static_root: str | None = None, media_root: str | None = None, collect: bool = True,
              extra: str = "") -> Path:
    """The course's starter project (real templates linking CSS), migrated on SQLite, ready to serve."""
    venv = shared_venv()
    def ignore(directory, names):
        top = Path(directory) == STARTER
        return [n for n in names if n == "__pycache__" or (top and n in (".venv", "db.sqlite3", "static"))]

    shutil.copytree(STARTER, root, ignore=ignore)
    (root / ".venv").symlink_to(venv)
    static_root = static_root or str(root / "static")
    media_root = media_root or str(root / "media")
    settings = root / "my_project" / "settings.py"
    settings.write_text(settings.read_text() + textwrap.dedent(f"""
        # --- test overrides ---
        DEBUG = {debug!r}
        ALLOWED_HOSTS = {list(allowed_hosts)!r}
        SECRET_KEY = 'q8#v0z!r3m@k7w2j$e5t9y1u4i6o8p0a2s4d6f8g0h2j4k6l8z0x'
        STATIC_ROOT = {static_root!r}
        MEDIA_ROOT = {media_root!r}
        """) + (SECURE_SETTINGS if secure else "") + textwrap.dedent(extra))
    python = str(root / ".venv" / "bin" / "python")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=root, check=True, env=env)
    if collect:
        subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=root, check=True, env=env)
    return root


def start_gunicorn(servers: Servers, project: Path, port: int, *, settings: str = "my_project.settings",
                   name: str = "gunicorn") -> Process:
    argv = [str(project / ".venv" / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
            "--pid", str(servers.root / f"{name}.pid"), "my_project.wsgi:application"]
    return servers.start(name, argv, cwd=project, env={"DJANGO_SETTINGS_MODULE": settings}, port=port)


def start_runserver(servers: Servers, project: Path, port: int) -> Process:
    argv = [str(project / ".venv" / "bin" / "python"), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return servers.start("runserver", argv, cwd=project, port=port)


# ----------------------------------------------------------------------------- nginx
NGINX_MAIN = """\
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
{user}
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {root}/nginx-access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
{servers}
}}
"""


def start_nginx(servers: Servers, servers_conf: str, ports: tuple[int, ...], name: str = "nginx") -> Process:
    root = servers.root / name
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # workers read the tests' private temp dirs
    conf = root / "nginx.conf"
    conf.write_text(NGINX_MAIN.format(root=root, user=user, servers=textwrap.indent(servers_conf, "    ")))
    binary = need_binary("nginx")
    check = subprocess.run([binary, "-t", "-q", "-c", str(conf), "-e", str(root / "error.log")], capture_output=True,
                           text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}\n{conf.read_text()}")
    process = servers.start(name, [binary, "-c", str(conf), "-e", str(root / "error.log")],
                            pid_file=root / "nginx.pid")
    for port in ports:
        wait_port(port, process)
    return process


# ----------------------------------------------------------------------------- Caddy
CADDY_GLOBAL = """\
{{
    admin off
    http_port {http_port}
    https_port {https_port}
    storage file_system {root}/data
    skip_install_trust
    log {{
        output file {root}/caddy-log.json
    }}
}}
"""

# The SVS site template (avava-web's default.Caddyfile): files from the domain's root win,
# everything else goes to the app server on the domain's port. TLS from our private CA.
SVS_SITE = """\
{domain} {{
    tls {cert} {key}
    root * {site_root}
    @notStatic {{
        not file {{
            try_files {{path}} {{path}}/index.html
        }}
    }}
    reverse_proxy @notStatic 127.0.0.1:{app_port}
    file_server
}}
"""


def start_caddy(servers: Servers, caddyfile_body: str, *, http_port: int, https_port: int,
                name: str = "caddy") -> Process:
    root = servers.root / name
    root.mkdir(parents=True, exist_ok=True)
    caddyfile = root / "Caddyfile"
    caddyfile.write_text(CADDY_GLOBAL.format(http_port=http_port, https_port=https_port, root=root) + caddyfile_body)
    binary = need_binary("caddy")
    env = {"HOME": str(root), "XDG_DATA_HOME": str(root / "data"), "XDG_CONFIG_HOME": str(root / "config")}
    process = servers.start(name, [binary, "run", "--config", str(caddyfile), "--adapter", "caddyfile",
                                   "--pidfile", str(root / "caddy.pid")], env=env, pid_file=root / "caddy.pid")
    wait_port(https_port, process)
    wait_port(http_port, process)
    return process
