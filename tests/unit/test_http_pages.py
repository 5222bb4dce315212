"""The probe's page requests against real HTTP servers on loopback: a stand-in web server on a TCP
port and a stand-in app server on a unix socket, each counting the requests it gets."""

from __future__ import annotations

import contextlib
import http.server
import socketserver
import threading

from checkers.probe import http_requests

DJANGO_HEADERS = {"X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin"}


def handler(status: int, headers: dict, seen: list):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's naming)
            seen.append(self.path)
            body = b"<html><title>stranka</title></html>"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    return Handler


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # BaseHTTPRequestHandler wants a (host, port) client address
        request, _ = super().get_request()
        return request, ("local", 0)


@contextlib.contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def web_and_app(tmp_path, web_status: int, web_headers: dict):
    web_seen, app_seen = [], []
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(web_status, web_headers, web_seen))
    path = str(tmp_path / "gunicorn.sock")
    app = UnixHTTPServer(path, handler(200, DJANGO_HEADERS, app_seen))
    with serving(web), serving(app):
        yield ({"kind": "tcp", "host": "127.0.0.1", "port": web.server_address[1]}, web_seen,
               {"kind": "unix", "path": path}, app_seen)


def test_a_django_answer_through_the_web_server_is_not_asked_for_again(tmp_path):
    with web_and_app(tmp_path, 200, DJANGO_HEADERS) as (web, web_seen, app, app_seen):
        listening = {"unix": [{"path": app["path"], "pids": []}], "tcp": []}
        found = http_requests.pages(web, "127.0.0.1", upstream=app,
                                    upstream_listens=http_requests.listens(app, listening))
    assert app_seen == []
    assert found["upstream"]["home"]["via"] == "web" and found["upstream"]["home"]["status"] == 200
    assert web_seen.count("/") == 2  # home and the bad Host


def test_an_error_through_the_web_server_sends_the_request_to_the_app_server_itself(tmp_path):
    with web_and_app(tmp_path, 500, {}) as (web, web_seen, app, app_seen):
        found = http_requests.pages(web, "127.0.0.1", upstream=app, upstream_listens=True)
    assert app_seen == ["/"]
    home = found["upstream"]["home"]
    assert "via" not in home and home["status"] == 200 and home["django_headers"]


def test_an_upstream_nobody_listens_on_is_asked_directly(tmp_path):
    with web_and_app(tmp_path, 200, DJANGO_HEADERS) as (web, web_seen, app, app_seen):
        assert not http_requests.listens(app, {"unix": [{"path": "/run/jiny.sock", "pids": []}], "tcp": []})
        found = http_requests.pages(web, "127.0.0.1", upstream=app, upstream_listens=False)
    assert app_seen == ["/"] and "via" not in found["upstream"]["home"]


def test_tcp_upstreams_listen_by_port():
    endpoint = {"kind": "tcp", "host": "127.0.0.1", "port": 8000}
    assert http_requests.listens(endpoint, {"tcp": [{"addr": "0.0.0.0", "port": 8000, "pids": []}]})
    assert not http_requests.listens(endpoint, {"tcp": [{"addr": "127.0.0.1", "port": 8001, "pids": []}]})


def test_a_web_server_that_never_answers_is_waited_for_once(monkeypatch):
    """Accepting and holding the connection (nginx waiting for an app that keeps crashing): the home
    page's time-out is not retried and no other page is asked for, instead of minutes of waiting."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts (the kernel's backlog), never answers
    endpoint = {"kind": "tcp", "host": "127.0.0.1", "port": listener.getsockname()[1]}
    real_request = http_requests.request
    asked = []

    def short_request(endpoint, path, host, **kw):
        asked.append(path)
        return real_request(endpoint, path, host, **{**kw, "timeout": 0.5})

    monkeypatch.setattr(http_requests, "request", short_request)
    started = time.monotonic()
    try:
        found = http_requests.pages(endpoint, "127.0.0.1")
    finally:
        listener.close()
    assert found["web"]["home"]["error"] == "timeout" and found["web"]["home"]["attempts"] == 1
    assert asked == ["/"] and "not_found" not in found["web"]
    assert time.monotonic() - started < 2


def test_a_refused_connection_is_still_retried(tmp_path):
    import socket

    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nobody listens there now
    answer = http_requests.request({"kind": "tcp", "host": "127.0.0.1", "port": port}, "/", "x", retries=2)
    assert answer["status"] is None and answer["attempts"] == 2
