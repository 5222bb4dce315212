"""Live URL checks against real servers on 127.0.0.1: a private CA, gunicorn/runserver with the
course's starter project, nginx and Caddy from Debian's packages. Names like kurz.test reach
127.0.0.1 through CHECKERS_CONNECT_TO (no DNS, no /etc/hosts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.servers import PrivateCA, Servers, make_site


@pytest.fixture(scope="session")
def ca(tmp_path_factory) -> PrivateCA:
    return PrivateCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def site_factory(tmp_path_factory):
    """Django sites by name, built once per session (migrate + collectstatic take seconds)."""
    cache: dict = {}

    def make(name: str, **settings) -> Path:
        if name not in cache:
            cache[name] = make_site(tmp_path_factory.mktemp(f"site-{name}") / "my_project", **settings)
        return cache[name]

    return make


@pytest.fixture
def servers(tmp_path):
    """The processes a test starts; all stopped by PID when it ends, passed or failed."""
    with Servers(tmp_path) as started:
        yield started
