"""A small nginx configuration reader: directives, includes, servers, locations, upstreams.

It resolves what nginx itself would load from disk (nginx.conf and its includes), picks the
server block for a Host and port the way nginx does, and the location for a URI. Checks use
it to explain *why* a request goes where it goes; the probe uses it to find the app server.
"""

from __future__ import annotations

import glob
import os
import re

NGINX_PREFIX = "/etc/nginx"


class Directive:
    __slots__ = ("name", "args", "block", "file", "line")

    def __init__(self, name, args, block, file, line):
        self.name, self.args, self.block, self.file, self.line = name, args, block, file, line


def tokenize(text: str):
    """Yield (token, line, quoted) from nginx config text."""
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "{};":
            yield ch, line, False
            i += 1
        elif ch in "'\"":
            quote, i, buf = ch, i + 1, []
            while i < n and text[i] != quote:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            i += 1
            yield "".join(buf), line, True
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in "{};" and not (text[i] == "#" and i == start):
                if text[i] == "$" and i + 1 < n and text[i + 1] == "{":  # ${var} inside a word
                    i = text.find("}", i) + 1 or n
                    continue
                i += 1
            yield text[start:i], line, False


def parse(text: str, file: str = "") -> list:
    """Parse config text into a list of Directive (blocks nested). Raises ValueError on bad syntax."""
    stack = [[]]
    words = []
    start_line = 0
    for token, line, quoted in tokenize(text):
        if not quoted and token == ";":
            if words:
                stack[-1].append(Directive(words[0], words[1:], None, file, start_line))
            words = []
        elif not quoted and token == "{":
            if not words:
                raise ValueError("%s:%d: unexpected {" % (file, line))
            block = []
            stack[-1].append(Directive(words[0], words[1:], block, file, start_line))
            stack.append(block)
            words = []
        elif not quoted and token == "}":
            if len(stack) == 1:
                raise ValueError("%s:%d: unexpected }" % (file, line))
            stack.pop()
            words = []
        else:
            if not words:
                start_line = line
            words.append(token)
    if len(stack) != 1:
        raise ValueError("%s: unexpected end of file (missing })" % file)
    return stack[0]


def load(main_file: str = os.path.join(NGINX_PREFIX, "nginx.conf"), reader=None, globber=None) -> dict:
    """Read the configuration nginx would load, resolving includes. Returns a summary dict."""
    reader = reader or _read_file
    globber = globber or (lambda pattern: sorted(glob.glob(pattern)))
    errors, files = [], []

    def load_file(path, depth):
        text = reader(path)
        if text is None:
            errors.append("nelze přečíst %s" % path)
            return []
        files.append(path)
        try:
            directives = parse(text, path)
        except ValueError as exc:
            errors.append(str(exc))
            return []
        return expand(directives, depth)

    def expand(directives, depth):
        out = []
        for d in directives:
            if d.name == "include" and d.args and depth < 10:
                pattern = d.args[0]
                if not os.path.isabs(pattern):
                    pattern = os.path.join(os.path.dirname(main_file), pattern)
                for path in globber(pattern) if any(c in pattern for c in "*?[") else [pattern]:
                    out.extend(load_file(path, depth + 1))
            elif d.block is not None:
                out.append(Directive(d.name, d.args, expand(d.block, depth), d.file, d.line))
            else:
                out.append(d)
        return out

    top = load_file(main_file, 0)
    return summarize(top, files, errors)


def _read_file(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _first(directives, name):
    for d in directives:
        if d.name == name:
            return d
    return None


def parse_listen(args: list) -> dict:
    target = args[0] if args else "80"
    flags = args[1:]
    addr, port = "*", 80
    if target.startswith("unix:"):
        return {"addr": target, "port": None, "default_server": "default_server" in flags}
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        addr = host
        if rest.startswith(":"):
            port = int(rest[1:])
    elif target.isdigit():
        port = int(target)
    elif ":" in target:
        host, _, port_text = target.rpartition(":")
        addr, port = host, int(port_text) if port_text.isdigit() else 80
    else:
        addr = target
    return {"addr": addr, "port": port, "default_server": "default_server" in flags or "default" in flags}


def summarize(top: list, files: list, errors: list) -> dict:
    user_directive = _first(top, "user")
    http = _first(top, "http")
    servers, upstreams, error_logs = [], {}, []
    if user_directive and user_directive.args:
        user = user_directive.args[0]
    else:
        user = None
    for d in top:
        if d.name == "error_log" and d.args:
            error_logs.append(d.args[0])
    if http is not None:
        for d in http.block:
            if d.name == "server" and d.block is not None:
                servers.append(summarize_server(d))
            elif d.name == "upstream" and d.block is not None and d.args:
                upstreams[d.args[0]] = [s.args[0] for s in d.block if s.name == "server" and s.args]
            elif d.name == "error_log" and d.args:
                error_logs.append(d.args[0])
    for server in servers:
        error_logs.extend(server.pop("error_logs"))
    return {"files": files, "errors": errors, "user": user, "servers": servers, "upstreams": upstreams,
            "error_logs": [p for p in dict.fromkeys(error_logs) if p not in ("off", "stderr")],
            "directives": simple_directives(http.block if http is not None else [])}


# Directives whose values may hold credentials (an Authorization header, a password): never recorded.
PRIVATE_DIRECTIVE = re.compile(r"header|auth|pass(word|wd)?$|secret|token|key$", re.IGNORECASE)


def simple_directives(block: list) -> dict:
    """name -> value of the block's own directives that have no block (`gzip on`, `gzip_types
    text/css …`): a check of an nginx setting reads them without a probe change of its own. The
    first of a repeated one, as nginx reads most; private ones are left out."""
    found = {}
    for d in block:
        if d.block is None and d.name not in found and not PRIVATE_DIRECTIVE.search(d.name):
            found[d.name] = " ".join(d.args)
    return found


def summarize_server(d: Directive) -> dict:
    listens = [parse_listen(x.args) for x in d.block if x.name == "listen"] or [{"addr": "*", "port": 80, "default_server": False}]
    names = []
    for x in d.block:
        if x.name == "server_name":
            names.extend(x.args)
    locations = []
    collect_locations(d.block, locations)
    root = _first(d.block, "root")
    return {
        "file": d.file, "line": d.line, "listen": listens, "server_names": names or [""],
        "root": root.args[0] if root and root.args else None,
        "locations": locations,
        "error_logs": [x.args[0] for x in d.block if x.name == "error_log" and x.args],
        "directives": simple_directives(d.block),
    }


def collect_locations(block: list, out: list) -> None:
    for x in block:
        if x.name != "location" or x.block is None or not x.args:
            continue
        if len(x.args) >= 2:
            modifier, path = x.args[0], x.args[1]
        else:
            modifier, path = "", x.args[0]
        values = {}
        for name in ("alias", "root", "proxy_pass", "uwsgi_pass", "fastcgi_pass", "return", "try_files"):
            found = _first(x.block, name)
            values[name] = " ".join(found.args) if found else None
        values["host_header"] = host_header(x.block)
        out.append({"modifier": modifier, "path": path, "line": x.line, "file": x.file, **values})
        collect_locations(x.block, out)


def host_header(block: list):
    """The value `proxy_set_header Host …` gives in this block (includes such as proxy_params are
    already read into it), or None."""
    for d in block:
        if d.name == "proxy_set_header" and len(d.args) >= 2 and d.args[0].lower() == "host":
            return d.args[1]
    return None


def _name_matches(pattern: str, host: str):
    """nginx server_name match rank (lower wins) or None."""
    if pattern.startswith("~"):
        try:
            return 3 if re.search(pattern[1:], host) else None
        except re.error:
            return None
    if pattern == host:
        return 0
    if pattern.startswith("*.") and host.endswith(pattern[1:]):
        return 1
    if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
        return 1
    if pattern.endswith(".*") and host.startswith(pattern[:-1]):
        return 2
    return None


def select_server(config: dict, host: str, port: int = 80, addr: str = "127.0.0.1"):
    """The server block nginx picks for Host `host` on `addr:port`, and why ('name' or 'default')."""
    candidates = []
    for index, server in enumerate(config.get("servers", [])):
        for listen in server["listen"]:
            if listen["port"] == port and listen["addr"] in ("*", "0.0.0.0", "::", addr, "localhost" if addr == "127.0.0.1" else addr):
                candidates.append((index, server, listen))
                break
    if not candidates:
        return None, "none"
    ranked = []
    for index, server, listen in candidates:
        ranks = [r for r in (_name_matches(p, host.lower()) for p in server["server_names"]) if r is not None]
        if ranks:
            ranked.append((min(ranks), index, server))
    if ranked:
        ranked.sort(key=lambda item: (item[0], item[1]))
        return ranked[0][2], "name"
    for index, server, listen in candidates:
        if listen["default_server"]:
            return server, "default"
    return candidates[0][1], "default"


def select_location(server: dict, uri: str):
    """The location nginx uses for `uri` (prefix/exact/regex rules)."""
    if server is None:
        return None
    best = None
    for loc in server["locations"]:
        if loc["modifier"] == "=" and loc["path"] == uri:
            return loc
        if loc["modifier"] in ("", "^~") and uri.startswith(loc["path"]):
            if best is None or len(loc["path"]) > len(best["path"]):
                best = loc
    if best is not None and best["modifier"] == "^~":
        return best
    for loc in server["locations"]:
        if loc["modifier"] in ("~", "~*"):
            flags = re.IGNORECASE if loc["modifier"] == "~*" else 0
            try:
                if re.search(loc["path"], uri, flags):
                    return loc
            except re.error:
                continue
    return best


def file_for(server: dict, location, uri: str):
    """Which file nginx would open for `uri` (alias/root), or None when it proxies."""
    if location is not None and location.get("alias"):
        return location["alias"] + uri[len(location["path"]):] if location["modifier"] in ("", "^~") else None
    root = (location or {}).get("root") or (server or {}).get("root")
    if root and not (location or {}).get("proxy_pass"):
        return root.rstrip("/") + uri
    return None


def parse_upstream(proxy_pass: str, upstreams: dict):
    """`http://unix:/run/x.sock` / `http://127.0.0.1:8000/` / `http://name` -> {'kind', 'path'|'host','port'}."""
    if not proxy_pass:
        return None
    target = re.sub(r"^https?://", "", proxy_pass.strip())
    if target.startswith("unix:"):
        path = target[5:]
        colon = path.find(":")
        return {"kind": "unix", "path": path[:colon] if colon > 0 else path.rstrip("/")}
    hostport = target.split("/", 1)[0]
    if hostport in upstreams and upstreams[hostport]:
        first = upstreams[hostport][0]
        return parse_upstream("http://" + first, {})
    host, _, port = hostport.rpartition(":")
    if not host:
        host, port = hostport, "80"
    if not port.isdigit():
        return {"kind": "unknown", "value": proxy_pass}
    return {"kind": "tcp", "host": host.strip("[]"), "port": int(port)}



DEFAULT_SITE_FILES = ("/etc/nginx/sites-available/default", "/etc/nginx/sites-enabled/default")


def app_proxy_pass(config: dict, host: str):
    """The upstream the app's requests go to: the `location /` proxy_pass of the server nginx picks
    for `host`, else of the student's own server (a site shadowed by the default one, or one
    nginx does not pick for this host, still shows where the student wants the app to be)."""
    server, _ = select_server(config, host)
    servers = [server] + [s for s in config.get("servers", []) if s is not server
                          and s.get("file") not in DEFAULT_SITE_FILES]
    for candidate in servers:
        location = select_location(candidate, "/")
        if location is not None and location.get("proxy_pass"):
            return parse_upstream(location["proxy_pass"], config.get("upstreams", {}))
    return None


def bind_endpoint(bind: str):
    """gunicorn's `--bind` value (unix:PATH, HOST:PORT, :PORT) as an endpoint, or None."""
    if not bind:
        return None
    if bind.startswith("unix:"):
        return {"kind": "unix", "path": bind[5:]}
    host, _, port = bind.rpartition(":")
    if not port.isdigit():
        return None
    host = host.strip("[]")
    return {"kind": "tcp", "host": "127.0.0.1" if host in ("", "0.0.0.0", "*") else host, "port": int(port)}
