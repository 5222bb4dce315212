"""The class server's start: `./kurz class serve` (its options are in checkers.cli_parser).

Asks the teacher's password once (or reads KURZ_TEACHER_PASSWORD), keeps only its scrypt hash in
memory, prints where the dashboard is, the class code and the exact `join` command students type,
then serves until Ctrl-C. The class code, the session key and the TLS certificate are kept in the
--out folder, so a restart changes nothing students typed or pinned.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from checkers import class_protocol as protocol
from checkers.classroom.security import hash_password, write_private
from checkers.errors import CheckerError

PASSWORD_ENV = "KURZ_TEACHER_PASSWORD"
LIMITS_ENV = "KURZ_CLASS_LIMITS"  # e.g. "token_burst=5,join_burst=3" (tests, very large classes)
MIN_PASSWORD = 8


def teacher_password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CheckerError("Chybí heslo učitele pro nástěnku.",
                               f"Spusťte server v terminálu (zeptá se), nebo nastavte proměnnou {PASSWORD_ENV}.")
        password = getpass.getpass("Heslo učitele pro nástěnku (nevypisuje se): ")
        if getpass.getpass("Heslo znovu pro kontrolu: ") != password:
            raise CheckerError("Hesla se neshodují.", "Spusťte server znovu a zadejte heslo dvakrát stejně.")
    if len(password) < MIN_PASSWORD:
        raise CheckerError(f"Heslo učitele je kratší než {MIN_PASSWORD} znaků.",
                           "Zvolte delší heslo: nástěnku vidí každý v síti učebny, kdo ho uhodne.")
    return password


def class_code(out_dir: Path) -> str:
    """The class code, made once per --out folder (students who joined keep working after a restart)."""
    path = out_dir / "class.json"
    try:
        code = json.loads(path.read_text(encoding="utf-8")).get("code", "")
        if protocol.CODE_PATTERN.match(code):
            return code
    except (OSError, ValueError, AttributeError):
        pass
    code = protocol.new_class_code()
    write_private(path, json.dumps({"code": code}) + "\n")
    return code


def limits_from_env():
    from checkers.classroom.server import Limits

    limits = Limits()
    for item in filter(None, os.environ.get(LIMITS_ENV, "").split(",")):
        name, _, value = item.partition("=")
        if not hasattr(limits, name.strip()):
            raise CheckerError(f"Neznámý limit „{name.strip()}“ v {LIMITS_ENV}.",
                               f"Známé: {', '.join(vars(limits))}.")
        try:
            setattr(limits, name.strip(), type(getattr(limits, name.strip()))(value))
        except ValueError:
            raise CheckerError(f"Limit {name.strip()} v {LIMITS_ENV} není číslo.") from None
    return limits


def addresses(host: str) -> list[str]:
    """Where students reach the server: the address given, or for 0.0.0.0 this machine's LAN ones."""
    if host not in ("0.0.0.0", "::", ""):
        return [host]
    found: list[str] = []
    try:  # local interfaces only: no packet leaves the machine
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True,
                             text=True, timeout=5).stdout
        found += [line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3]
    except (OSError, subprocess.SubprocessError):
        pass
    if not found:
        try:
            found = sorted({info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)})
        except OSError:
            pass
    return [a for a in found if not a.startswith("127.")] or ["127.0.0.1"]


def serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. args: roster, host, port (0: any free one), tls, out, stuck_minutes, policy."""
    from checkers.course import load_course
    from checkers.grading.regrade import checks_digest
    from checkers.grading.roster import load_roster
    from checkers.grading.policy import load_policy
    from checkers.classroom.server import ClassConfig, create_app

    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise CheckerError(f"{out_dir} zadaný v --out není adresář, ale soubor.", "Zadejte adresář, např. --out trida.")
    roster = load_roster(args.roster) if args.roster else []
    course = load_course()
    policy = load_policy(args.policy, course) if args.policy else None  # refused before anything starts
    password_hash = hash_password(teacher_password())
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckerError(f"Adresář {out_dir} nejde vytvořit: {exc.strerror}.", "Zadejte jiný v --out.") from exc
    code = class_code(out_dir)
    shown = addresses(args.host)
    cert = key = fingerprint = None
    if args.tls:
        from checkers.classroom.tls import ensure_certificate

        cert, key, fingerprint = ensure_certificate(out_dir, shown + [args.host])
    config = ClassConfig(out_dir=out_dir, course=course, code=code, password_hash=password_hash, roster=roster,
                         stuck_minutes=args.stuck_minutes, tls=args.tls, limits=limits_from_env(),
                         checks_digest=checks_digest(course), policy=policy)
    app = create_app(config)  # forks the grading workers: before the socket exists, so they never hold it
    try:
        sock = _bind(args.host, args.port)
    except CheckerError:
        if app.state.cls.pool is not None:
            app.state.cls.pool.shutdown(wait=True, cancel_futures=True)
        raise
    port = sock.getsockname()[1]
    scheme = "https" if args.tls else "http"
    urls = [f"{scheme}://{_host_in_url(a)}:{port}" for a in shown]
    pin = f" --fingerprint {fingerprint}" if fingerprint else ""
    config.join_command = f"./kurz class join {urls[0]} --code {code}{pin}"
    lines = [f"Server třídy „{course.title}“ běží.", "Nástěnka učitele (přihlášení heslem):"]
    lines += [f"  {url}/" for url in urls]
    lines += [f"Kód třídy: {code}"]
    if fingerprint:
        lines += [f"Otisk certifikátu: {fingerprint}"]
    lines += ["Studenti se připojí příkazem:", f"  {config.join_command}"]
    if roster:
        lines += [f"Soupiska: {args.roster} – připojit se může jen student, který na ní je."]
    if policy is not None:
        lines += [policy_line(policy, roster)]
    lines += [f"Výsledky: {out_dir / 'gradebook.sqlite'}", "Server ukončíte Ctrl-C.", ""]
    print("\n".join(lines), flush=True)
    _run(app, sock, cert, key)
    return 0


def policy_line(policy, roster: list) -> str:
    """What the dashboard grades by, and names of excuses that match nobody on the roster (typos)."""
    line = f"Pravidla hodnocení: {policy.source}"
    if policy.deadline:
        line += f" – počítá se, co přijde do {policy.deadline_text()}"
    unmatched = policy.unmatched([(e.name, e.student_id) for e in roster]) if roster else []
    if unmatched:
        line += f"\nPozor: omluva v {policy.source} pro {', '.join(f'„{u}“' for u in unmatched)} nepatří nikomu ze soupisky."
    return line


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "je obsazený jiným programem" if exc.errno == 98 else (exc.strerror or str(exc))
        raise CheckerError(f"Server třídy nejde spustit na {host}:{port}: {why}.",
                           "Zvolte jiný port, např. --port 8766.") from exc
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _run(app, sock: socket.socket, cert, key) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, proxy_headers=False,
                            ssl_certfile=str(cert) if cert else None, ssl_keyfile=str(key) if key else None,
                            timeout_graceful_shutdown=2, limit_concurrency=2000, backlog=512,
                            timeout_keep_alive=30)  # a student's `watch` sends every few seconds: keep its connection
    uvicorn.Server(config).run(sockets=[sock])
