"""`./kurz book`: build the course book when its sources changed, then show or serve it.

The book is a Jupyter Book 1.x in book/ (Sphinx underneath); it builds with no network.
A build runs `jupyter-book build` through the current interpreter, so it uses the same
environment as the checker. Whether a build is needed is decided from a fingerprint of the
sources (book/ without _build, exercises/course.toml, exercises/solutions/) kept next to the
output; jupyter-book itself then rebuilds only the pages that changed. The student's progress
(<html>/_static/progress.js) is rewritten at the end of every build by the book's extension, and
by the checker after every run, so the book never needs a rebuild to show new results.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from checkers.children import run_group
from checkers.errors import CheckerError
from checkers.paths import BOOK_DIR, EXERCISES_DIR

STAMP_FILE = ".checkers-book-stamp.json"
LOG_FILE = "kniha-build.log"
LOG_TAIL_LINES = 25
BUILD_TIMEOUT = 900  # seconds; a cold build takes a few seconds
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Folders inside book/ that are outputs or caches, never sources.
IGNORED_PARTS = {"_build", "__pycache__", ".ipynb_checkpoints", ".jupyter_cache"}

JB_MAIN = "import sys; from jupyter_book.cli.main import main; sys.argv[0] = 'jupyter-book'; sys.exit(main())"


@dataclass(frozen=True)
class BookBuild:
    html_dir: Path
    built: bool  # False: the sources had not changed, nothing was run
    seconds: float

    @property
    def index(self) -> Path:
        return self.html_dir / "index.html"


def source_files(book_dir: Path = BOOK_DIR, exercises_dir: Path = EXERCISES_DIR) -> list[Path]:
    """Every file whose change can change the built book."""
    files = [p for p in book_dir.rglob("*") if p.is_file() and not IGNORED_PARTS.intersection(p.relative_to(book_dir).parts)]
    course = exercises_dir / "course.toml"
    if course.is_file():
        files.append(course)
    solutions = exercises_dir / "solutions"
    if solutions.is_dir():
        files.extend(p for p in solutions.rglob("*") if p.is_file())
    return sorted(files)


def is_page_source(path: Path, book_dir: Path) -> bool:
    """Pages and the course data: Sphinx notices their changes and rebuilds just what they affect.

    Anything else in book/ (config, table of contents, extensions, their JS/CSS, vendored files)
    is "machinery": Sphinx does not notice a change there (it does not even copy a changed static
    file when no page is outdated), so such a change needs a full rebuild.
    """
    try:
        rel = path.relative_to(book_dir)
    except ValueError:
        return True  # exercises/course.toml and exercises/solutions/: dependencies of the pages
    return path.suffix in {".md", ".ipynb"} and not rel.parts[0].startswith("_")


def fingerprint(files: list[Path]) -> str:
    """A digest of the sources' names, sizes and modification times (cheap; no file is read)."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _output_root(book_dir: Path, output_dir: Path | None) -> Path:
    # jupyter-book writes to <path-output>/_build/html (default path-output: the book folder).
    return (output_dir or book_dir) / "_build"


def build_book(book_dir: Path = BOOK_DIR, output_dir: Path | None = None, force: bool = False,
               exercises_dir: Path = EXERCISES_DIR, env: dict[str, str] | None = None) -> BookBuild:
    """Build the book if its sources changed since the last successful build (or if forced).

    `output_dir` puts the build in <output_dir>/_build/html instead of book/_build/html;
    `env` adds environment variables for the build (tests set CHECKERS_HOME).
    """
    build_root = _output_root(book_dir, output_dir)
    html_dir = build_root / "html"
    stamp_path = build_root / STAMP_FILE
    files = source_files(book_dir, exercises_dir)
    current = fingerprint(files)
    machinery = fingerprint([p for p in files if not is_page_source(p, book_dir)])
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    built_before = (html_dir / "index.html").is_file()
    if not force and built_before and stamp.get("sources") == current:
        return BookBuild(html_dir=html_dir, built=False, seconds=0.0)
    # Pages changed: Sphinx rebuilds what they affect. Anything else changed (or we do not know
    # what the last build was made from): rebuild everything.
    full = force or not built_before or stamp.get("machinery") != machinery

    command = [sys.executable, "-c", JB_MAIN, "build", str(book_dir)]
    if full:
        command.append("--all")
    if output_dir is not None:
        command += ["--path-output", str(output_dir)]
    build_root.mkdir(parents=True, exist_ok=True)
    log_path = build_root / LOG_FILE
    # The book's extension imports `checkers`; make sure it finds this very package.
    repo_root = str(Path(__file__).resolve().parent.parent)
    pythonpath = os.pathsep.join(p for p in (repo_root, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8", "PYTHONPATH": pythonpath}
    started = time.monotonic()
    try:  # in a session of its own: a timeout, Ctrl-C or error ends Sphinx's workers too
        proc = run_group(command, cwd=book_dir.parent, env=env, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise CheckerError(f"Sestavení knihy nedoběhlo ani za {BUILD_TIMEOUT} s.",
                           "Zkuste to znovu; když se to opakuje, smažte adresář book/_build a sestavte knihu načisto.") from exc
    except OSError as exc:
        raise CheckerError(f"Sestavení knihy nešlo spustit: {exc}.", "Zkontrolujte instalaci Pythonu kurzu.") from exc
    seconds = time.monotonic() - started
    output = ANSI.sub("", (proc.stdout + proc.stderr).decode("utf-8", "replace"))
    log_path.write_text(output, encoding="utf-8")

    if proc.returncode != 0 or not (html_dir / "index.html").is_file():
        if "No module named 'jupyter_book'" in output:
            raise CheckerError("Chybí program jupyter-book, kterým se kniha sestavuje.",
                               "Nainstalujte závislosti kurzu: python -m pip install -r requirements.txt")
        tail = "\n".join(line for line in output.strip().splitlines()[-LOG_TAIL_LINES:])
        raise CheckerError(
            f"Knihu se nepodařilo sestavit (jupyter-book skončil kódem {proc.returncode}). "
            f"Konec výpisu:\n{tail}",
            f"Opravte chybu, kterou výpis ukazuje (obvykle v souboru v book/), a spusťte příkaz znovu. "
            f"Celý výpis je v {log_path}.",
        )
    stamp_path.write_text(json.dumps({"sources": current, "machinery": machinery, "built_at": time.time()}) + "\n",
                          encoding="utf-8")
    return BookBuild(html_dir=html_dir, built=True, seconds=seconds)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass

    def end_headers(self) -> None:
        # progress.js changes after every checker run: never let the browser keep an old copy.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(html_dir: Path, port: int) -> _Server:
    """An HTTP server for the built book on 127.0.0.1 only (never reachable from the network)."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    try:
        return _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CheckerError(f"Na adrese 127.0.0.1:{port} nejde spustit server knihy: {exc.strerror or exc}.",
                           f"Port je nejspíš obsazený. Zvolte jiný: ./kurz book --serve --port {port + 1}") from exc


def run_book(serve: bool = False, port: int = 8000) -> int:
    """Build the book when needed, then print its file:// address or serve it on 127.0.0.1:port."""
    if not 1 <= port <= 65535:
        raise CheckerError(f"Port {port} neexistuje.", "Zadejte číslo od 1024 do 65535, například --port 8000.")
    print("Kontroluji, jestli je kniha aktuální…", flush=True)
    result = build_book()
    if result.built:
        print(f"Kniha je sestavená ({result.seconds:.1f} s).")
    else:
        print("Kniha je aktuální, není co sestavovat.")
    if not serve:
        print("Otevřete ji v prohlížeči:")
        print(f"  {result.index.resolve().as_uri()}")
        return 0
    server = make_server(result.html_dir, port)
    print(f"Kniha běží na http://127.0.0.1:{port}/ – ukončíte ji klávesami Ctrl+C.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nServer knihy jsem ukončil.")
    finally:
        server.server_close()
    return 0
