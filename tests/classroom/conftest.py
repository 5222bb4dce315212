"""Fixtures of the class server's tests: the REAL server as a subprocess on 127.0.0.1 (a free port),
in its own process group, stopped by its PID at teardown, also when the test failed."""

from __future__ import annotations

import pytest

from tests.classroom.server_helpers import ClassServer


@pytest.fixture
def make_class_server(tmp_path):
    """Start servers (ClassServer(...) keyword arguments); every one is stopped at teardown."""
    started: list[ClassServer] = []

    def make(out_dir=None, **kwargs) -> ClassServer:
        server = ClassServer(out_dir or tmp_path / f"class-{len(started)}", **kwargs)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def class_server(make_class_server) -> ClassServer:
    return make_class_server()
