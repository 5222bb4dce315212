"""The whole course book as one PDF, offline: `python -m checkers.book_pdf [--out kniha.pdf]`.

The built HTML book (`./kurz book` first) is joined into one temporary page (never inside the built
book): every page of the table of contents in order, inside the layout of a chapter with a diagram
(so the theme's styles, course.css with its print rules and the offline mermaid are all there), with
a <base href> at the built book's kapitoly/ so every relative address still resolves. Debian's
chromium prints it with `--headless --print-to-pdf`: no network, no extra Python packages beyond
the book's own (BeautifulSoup comes with jupyter-book). The print stylesheet (course.css,
`@media print`) expands every hint and hides buttons, the reference solutions and the navigation.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkers.errors import CheckerError
from checkers.paths import BOOK_DIR, BOOK_HTML_DIR

# Where the joined page behaves as if it were (its <base>): addresses are rewritten for this place.
PRINT_PAGE = "kapitoly/kniha-tisk.html"
# A chapter with a mermaid diagram: its <head> loads everything the joined page needs.
TEMPLATE_PAGE = "kapitoly/11-cela-cesta.html"
NOT_PRINTED = (".bd-header", ".bd-sidebar-primary", ".bd-sidebar-secondary", ".bd-header-article", ".onlyprint",
               ".prev-next-area", ".bd-footer", ".bd-footer-content", "#pst-back-to-top", ".search-button__wrapper",
               ".bd-search", "dialog")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Time the page gets to run its scripts (mermaid draws ~15 diagrams) before it is printed.
VIRTUAL_TIME_MS = 20_000
PRINT_TIMEOUT = 180


def toc_pages(book_dir: Path = BOOK_DIR) -> list[str]:
    """The book's pages in reading order (HTML paths relative to the output), from _toc.yml."""
    import yaml

    toc = yaml.safe_load((book_dir / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [f"{name}.html" for name in files]


def _rebase(value: str, page: str, target: str) -> str:
    """A relative URL written in `page` rewritten for a document at `target` (both relative to the root)."""
    if not value or value.startswith(("#", "/", "data:", "mailto:")) or "://" in value:
        return value
    path, hash_, fragment = value.partition("#")
    if not path:
        return value
    absolute = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    rebased = posixpath.relpath(absolute, posixpath.dirname(target) or ".")
    return rebased + (hash_ + fragment if hash_ else "")


def join_pages(target: Path, html_dir: Path = BOOK_HTML_DIR, book_dir: Path = BOOK_DIR) -> Path:
    """Write `target`: the whole book on one page, its addresses relative to <html_dir>/kapitoly/."""
    from bs4 import BeautifulSoup

    template_file = html_dir / TEMPLATE_PAGE
    if not template_file.is_file():
        raise CheckerError(f"Sestavená kniha v {html_dir} chybí (není tam {TEMPLATE_PAGE}).",
                           "Nejdřív knihu sestavte: ./kurz book")
    document = BeautifulSoup(template_file.read_text(encoding="utf-8"), "html.parser")
    article = document.select_one("article.bd-article")
    article.clear()
    # Only the pages themselves: no navigation, sidebars, page header or the template's own print TOC.
    for selector in NOT_PRINTED:
        for tag in document.select(selector):
            tag.decompose()
    for page in toc_pages(book_dir):
        source = html_dir / page
        if not source.is_file():
            raise CheckerError(f"Stránka {page} v sestavené knize chybí.", "Sestavte knihu znovu: ./kurz book")
        content = BeautifulSoup(source.read_text(encoding="utf-8"), "html.parser").select_one("article.bd-article")
        for tag in content.find_all(True):
            for attribute in ("href", "src"):
                if tag.has_attr(attribute):
                    tag[attribute] = _rebase(tag[attribute], page, PRINT_PAGE)
        wrapper = document.new_tag("section", attrs={"class": "course-print-page", "data-page": page})
        for child in list(content.children):
            wrapper.append(child.extract())
        article.append(wrapper)
    title = document.find("title")
    if title is not None:
        title.string = "Django v produkci – celá kniha"
    base = document.new_tag("base", href=(html_dir / PRINT_PAGE).resolve().parent.as_uri() + "/")
    document.head.insert(0, base)
    target.write_text(str(document), encoding="utf-8")
    return target


def find_chromium() -> str:
    explicit = os.environ.get("CHROMIUM")
    if explicit and Path(explicit).exists():
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise CheckerError("Pro export do PDF je potřeba prohlížeč Chromium a ten tu není.",
                       "Na Debianu ho nainstalujete příkazem: sudo apt install chromium")


def print_to_pdf(page: Path, out: Path, chromium: str | None = None) -> Path:
    """Print one local HTML page to a PDF with headless chromium (offline, no header and footer)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    command = [chromium or find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--virtual-time-budget={VIRTUAL_TIME_MS}", f"--print-to-pdf={out}", page.resolve().as_uri()]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise CheckerError(f"Chromium nestihl knihu vytisknout do {PRINT_TIMEOUT} s.", "Zkuste to znovu.") from exc
    if not out.is_file() or out.stat().st_size == 0:
        raise CheckerError(f"Chromium PDF nevytvořil (návratový kód {proc.returncode}).",
                           (proc.stderr or proc.stdout)[-800:].strip() or "Bez dalšího výpisu.")
    return out


def export_pdf(out: Path, html_dir: Path = BOOK_HTML_DIR, book_dir: Path = BOOK_DIR) -> Path:
    with tempfile.TemporaryDirectory(prefix="kniha-tisk-") as scratch:
        return print_to_pdf(join_pages(Path(scratch) / "kniha-tisk.html", html_dir, book_dir), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checkers.book_pdf",
                                     description="Celá kniha kurzu jako jeden PDF (bez internetu).")
    parser.add_argument("--out", type=Path, default=Path("kniha.pdf"), help="kam PDF uložit (výchozí kniha.pdf)")
    parser.add_argument("--html", type=Path, default=BOOK_HTML_DIR, help="sestavená kniha (výchozí book/_build/html)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        pdf = export_pdf(args.out, html_dir=args.html)
    except CheckerError as exc:
        print(f"Chyba: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"→ {exc.hint}", file=sys.stderr)
        return 2
    print(f"Kniha je v PDF: {pdf} ({pdf.stat().st_size // 1024} kB, {time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
