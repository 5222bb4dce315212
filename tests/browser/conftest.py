"""The book in a real headless browser: Debian chromium driven by Playwright (never `playwright install`).

One build per session into a temporary folder, with no network when the machine allows it
(`unshare -n`), and an empty progress store. Every page a test opens records any request that
is not file:, data:, blob:, about: or loopback; such requests are aborted and fail the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
# None known: the double sphinx-thebe config ("Identifier 'THEBE_JS_URL' has already been declared")
# is gone (book/_ext/book_fixes.py), and any page error now fails the tests.
KNOWN_HARMLESS_PAGE_ERRORS: tuple[str, ...] = ()
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome-error"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

BUILD_SCRIPT = (
    "import sys; from pathlib import Path; from checkers.book import build_book; "
    "print(build_book(output_dir=Path(sys.argv[1]), force=True).html_dir)"
)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and (parts.hostname or "") in LOOPBACK_HOSTS


def can_unshare_network() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class BuiltBook:
    html_dir: Path
    home: Path  # CHECKERS_HOME used for the build (empty progress)
    offline: bool  # built inside a network namespace with no network at all


def build_into(out: Path, home: Path, offline: bool) -> Path:
    env = {**os.environ, "CHECKERS_HOME": str(home), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", BUILD_SCRIPT, str(out)]
    if offline:
        command = ["unshare", "-n", *command]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"book build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    html_dir = Path(proc.stdout.strip().splitlines()[-1])
    assert (html_dir / "index.html").is_file()
    return html_dir


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BuiltBook:
    root = tmp_path_factory.mktemp("kniha")
    home = root / "home"
    home.mkdir()
    offline = can_unshare_network()
    return BuiltBook(html_dir=build_into(root / "out", home, offline), home=home, offline=offline)


@pytest.fixture(scope="session")
def html_dir(built_book) -> Path:
    return built_book.html_dir


@pytest.fixture(scope="session")
def http_base(html_dir):
    """The built book served by the checker's own server on 127.0.0.1 (an ephemeral port)."""
    from checkers.book import make_server

    server = make_server(html_dir, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class PageWatch:
    """What a page did that it must not: page errors and non-local requests."""

    def __init__(self):
        self.page_errors: list[str] = []
        self.external: list[str] = []

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.page_errors if not any(k in e for k in KNOWN_HARMLESS_PAGE_ERRORS)]


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser, watch):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="cs-CZ",
                                  timezone_id="Europe/Prague")

    def record(request):
        if not is_local(request.url):
            watch.external.append(request.url)

    context.on("request", record)
    # Anything non-local is aborted as well as recorded: nothing may leave the machine.
    context.route(lambda url: not is_local(url), lambda route: route.abort())
    pg = context.new_page()
    pg.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
    assert watch.external == [], f"the book requested non-local URLs: {watch.external}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
