"""Do the site's host names resolve to this machine? (the lesson's "check the DNS records")"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor, wait

from checkers.probe.runtime import run

TIMEOUT = 2.0


def own_addresses() -> set:
    result = run(["hostname", "-I"], timeout=5)
    addresses = set(result.out.split()) | {"127.0.0.1", "::1"}
    return addresses


def _resolve(name: str) -> list:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)})
    except OSError:
        return []


def resolve(hosts: list) -> dict:
    """{name: {"addresses": [...], "local": bool}} for the domain names among `hosts` (bounded time)."""
    names = []
    for host in hosts:
        name = host.lstrip(".")
        if not name or "*" in name or name == "localhost":
            continue
        try:
            ipaddress.ip_address(name)
            continue
        except ValueError:
            names.append(name)
    if not names:
        return {}
    mine = own_addresses()
    pool = ThreadPoolExecutor(max_workers=min(8, len(names)))
    futures = {name: pool.submit(_resolve, name) for name in names[:8]}
    wait(futures.values(), timeout=TIMEOUT)
    pool.shutdown(wait=False)
    out = {}
    for name, future in futures.items():
        addresses = future.result() if future.done() else []
        out[name] = {"addresses": addresses, "local": any(a in mine or a.startswith("127.") for a in addresses)}
    return out
