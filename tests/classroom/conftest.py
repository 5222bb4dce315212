"""Fixtures of the class server's tests: the REAL server as a subprocess on 127.0.0.1 (a free port),
in its own process group, stopped by its PID at teardown, also when the test failed."""

from __future__ import annotations

import pytest

from tests.classroom.server_helpers import ClassServer
from tests.helpers.django_project import make_django_project


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


@pytest.fixture
def server(class_server) -> ClassServer:
    """The class server of the client's tests (the same as class_server)."""
    return class_server


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A `--target local` Django project the client's tests run the checker on (one per module)."""
    return make_django_project(tmp_path_factory.mktemp("p") / "projekt", debug=False)
