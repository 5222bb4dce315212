"""`python -m checkers book`: when it builds, what it says when a build fails, the server, the config."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from checkers import book
from checkers.errors import CheckerError
from checkers.paths import BOOK_DIR

MERMAID_SHA256 = "198b19442f86f0b46a17e56d3abf744c3a28a3427e66fa8dada3b589a77babcc"  # npm mermaid@11.12.1


@pytest.fixture
def tree(tmp_path):
    """A minimal book and exercises folder (the build itself is mocked in these tests)."""
    book_dir = tmp_path / "book"
    (book_dir / "kapitoly").mkdir(parents=True)
    (book_dir / "intro.md").write_text("# Úvod\n", encoding="utf-8")
    (book_dir / "kapitoly" / "01.md").write_text("# Kapitola\n", encoding="utf-8")
    exercises = tmp_path / "exercises"
    (exercises / "solutions").mkdir(parents=True)
    (exercises / "course.toml").write_text("schema = 1\n", encoding="utf-8")
    (exercises / "solutions" / "step1.sh").write_text("echo ok\n", encoding="utf-8")
    return book_dir, exercises


def fake_build(calls, returncode=0, output="build succeeded.\n"):
    def run(command, cwd, env, **kwargs):
        calls.append({"command": command, "env": env})
        out = Path(command[command.index("--path-output") + 1]) if "--path-output" in command else Path(command[4])
        if returncode == 0:
            html = out / "_build" / "html"
            html.mkdir(parents=True, exist_ok=True)
            (html / "index.html").write_text("<html lang='cs'></html>", encoding="utf-8")
        return subprocess.CompletedProcess(command, returncode, stdout=output.encode(), stderr=b"")

    return run


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_sources_are_the_book_course_data_and_solutions_not_the_build(tree):
    book_dir, exercises = tree
    (book_dir / "_build" / "html").mkdir(parents=True)
    (book_dir / "_build" / "html" / "index.html").write_text("x")
    names = {p.relative_to(book_dir.parent).as_posix() for p in book.source_files(book_dir, exercises)}
    assert names == {"book/intro.md", "book/kapitoly/01.md", "exercises/course.toml", "exercises/solutions/step1.sh"}


@pytest.mark.parametrize("changed", ["book/kapitoly/01.md", "exercises/course.toml", "exercises/solutions/step1.sh"])
def test_a_change_in_any_source_changes_the_fingerprint(tree, changed):
    book_dir, exercises = tree
    before = book.fingerprint(book.source_files(book_dir, exercises))
    touch_later(book_dir.parent / changed)
    assert book.fingerprint(book.source_files(book_dir, exercises)) != before


def test_builds_once_then_only_when_sources_change(tree, monkeypatch):
    book_dir, exercises = tree
    calls = []
    monkeypatch.setattr(book, "run_group", fake_build(calls))
    first = book.build_book(book_dir, exercises_dir=exercises)
    assert first.built and first.index.is_file()
    second = book.build_book(book_dir, exercises_dir=exercises)
    assert not second.built and len(calls) == 1
    (exercises / "solutions" / "step2.sh").write_text("echo new\n")
    assert book.build_book(book_dir, exercises_dir=exercises).built and len(calls) == 2
    assert book.build_book(book_dir, exercises_dir=exercises, force=True).built and len(calls) == 3


def test_build_runs_jupyter_book_with_this_interpreter_and_finds_the_checkers_package(tree, monkeypatch, tmp_path):
    book_dir, exercises = tree
    calls = []
    monkeypatch.setattr(book, "run_group", fake_build(calls))
    out = tmp_path / "out"
    result = book.build_book(book_dir, output_dir=out, exercises_dir=exercises, env={"CHECKERS_HOME": "/x"})
    command, env = calls[0]["command"], calls[0]["env"]
    import sys

    assert command[0] == sys.executable and "jupyter_book" in command[2]
    assert command[3:5] == ["build", str(book_dir)] and command[-2:] == ["--path-output", str(out)]
    assert str(Path(book.__file__).resolve().parent.parent) in env["PYTHONPATH"].split(os.pathsep)
    assert env["CHECKERS_HOME"] == "/x"
    assert result.html_dir == out / "_build" / "html"


def test_a_failed_build_raises_a_czech_error_with_the_end_of_the_log(tree, monkeypatch):
    book_dir, exercises = tree
    log = "\n".join(f"řádek {i}" for i in range(100)) + "\n\x1b[91mSphinx error: rozbitá kapitola\x1b[0m\n"
    monkeypatch.setattr(book, "run_group", fake_build([], returncode=1, output=log))
    with pytest.raises(CheckerError) as caught:
        book.build_book(book_dir, exercises_dir=exercises)
    err = caught.value
    assert "Knihu se nepodařilo sestavit" in err.message and "kódem 1" in err.message
    assert "Sphinx error: rozbitá kapitola" in err.message and "\x1b[" not in err.message
    assert "řádek 10\n" not in err.message  # only the tail
    assert "kniha-build.log" in err.hint
    assert (book_dir / "_build" / book.LOG_FILE).read_text().count("řádek") == 100
    # A failed build leaves no stamp: the next run tries again.
    assert not (book_dir / "_build" / book.STAMP_FILE).exists()


def test_missing_jupyter_book_is_explained(tree, monkeypatch):
    book_dir, exercises = tree
    monkeypatch.setattr(book, "run_group",
                        fake_build([], returncode=1, output="ModuleNotFoundError: No module named 'jupyter_book'\n"))
    with pytest.raises(CheckerError) as caught:
        book.build_book(book_dir, exercises_dir=exercises)
    assert "jupyter-book" in caught.value.message and "requirements.txt" in caught.value.hint


def test_run_book_prints_the_file_address(tree, monkeypatch, capsys):
    book_dir, exercises = tree
    monkeypatch.setattr(book, "run_group", fake_build([]))
    monkeypatch.setattr(book, "build_book", lambda: book.BookBuild(book_dir / "_build" / "html", True, 1.0))
    (book_dir / "_build" / "html").mkdir(parents=True)
    assert book.run_book() == 0
    out = capsys.readouterr().out
    assert (book_dir / "_build" / "html" / "index.html").resolve().as_uri() in out
    assert out.startswith("Kontroluji")


def test_server_serves_the_book_on_loopback_without_caching(tmp_path):
    import threading
    import urllib.request

    (tmp_path / "index.html").write_text("<p>kniha</p>", encoding="utf-8")
    server = book.make_server(tmp_path, 0)
    host, port = server.server_address
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as response:
            assert response.read() == b"<p>kniha</p>"
            assert response.headers["Cache-Control"] == "no-cache"
    finally:
        server.shutdown()
        server.server_close()


def test_busy_port_is_a_czech_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CheckerError) as caught:
            book.make_server(tmp_path, port)
    assert str(port) in caught.value.message and f"--port {port + 1}" in caught.value.hint


def test_config_gives_a_czech_offline_book():
    config = yaml.safe_load((BOOK_DIR / "_config.yml").read_text(encoding="utf-8"))
    assert config["title"] == "Django v produkci"
    sphinx_config = config["sphinx"]["config"]
    assert sphinx_config["language"] == "cs"  # top-level `language` alone is not enough
    assert not sphinx_config["mermaid_use_local"].startswith(("http:", "https:", "//"))
    assert "repository" not in config  # an unknown provider URL breaks the build


def test_mermaid_is_vendored_with_its_licence_and_not_in_the_auto_included_static_folder():
    vendored = BOOK_DIR / "_vendor" / "mermaid" / "mermaid.min.js"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == MERMAID_SHA256
    licence = (BOOK_DIR / "_vendor" / "mermaid" / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    # jupyter-book adds every *.js under book/_static to every page.
    assert not list((BOOK_DIR / "_static").rglob("*.js")) if (BOOK_DIR / "_static").exists() else True


def test_stamp_records_the_sources(tree, monkeypatch):
    book_dir, exercises = tree
    monkeypatch.setattr(book, "run_group", fake_build([]))
    before = time.time()
    book.build_book(book_dir, exercises_dir=exercises)
    stamp = json.loads((book_dir / "_build" / book.STAMP_FILE).read_text())
    assert stamp["sources"] == book.fingerprint(book.source_files(book_dir, exercises))
    assert stamp["built_at"] >= before


def test_a_page_change_rebuilds_incrementally_anything_else_rebuilds_everything(tree, monkeypatch):
    book_dir, exercises = tree
    (book_dir / "_ext").mkdir()
    (book_dir / "_ext" / "course.js").write_text("// v1\n")
    calls = []
    monkeypatch.setattr(book, "run_group", fake_build(calls))
    book.build_book(book_dir, exercises_dir=exercises)
    assert "--all" in calls[-1]["command"]  # first build: nothing to be incremental about
    touch_later(book_dir / "kapitoly" / "01.md")
    book.build_book(book_dir, exercises_dir=exercises)
    assert "--all" not in calls[-1]["command"]
    touch_later(exercises / "course.toml")  # a dependency the pages declare
    book.build_book(book_dir, exercises_dir=exercises)
    assert "--all" not in calls[-1]["command"]
    # Sphinx would not even copy a changed static file when no page is outdated.
    touch_later(book_dir / "_ext" / "course.js")
    book.build_book(book_dir, exercises_dir=exercises)
    assert "--all" in calls[-1]["command"] and len(calls) == 4
