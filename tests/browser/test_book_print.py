"""The book on paper: the print stylesheet expands every hint and hides every button, and the whole
book exports to one PDF offline (checkers/book_pdf.py, Debian's chromium --print-to-pdf) in which
pdftotext finds the hints, the diagrams' labels and no button labels."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from checkers import book_pdf
from checkers.course import load_course
from checkers.paths import BOOK_DIR
from tests.browser.test_book_browser import url

pytestmark = pytest.mark.browser

# What the buttons say (jak-pracovat.md mentions "tlačítkem Ukázat nápovědu" in its text: no counter there).
BUTTON_LABELS = re.compile(r"Ukázat (další )?nápovědu \d+/\d+|Ukázat referenční řešení|Zobrazit diagram v plné velikosti"
                           r"|Zpět na začátek")


def pdf_text(pdf) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


def plain(markdown: str) -> str:
    """A hint's text as it reads on the page (no backticks), whitespace folded."""
    return re.sub(r"\s+", " ", markdown.replace("`", ""))


def hint_probe(text: str) -> str:
    """The first 30 characters of a hint without any whitespace (pdftotext puts spaces around
    inline code and breaks lines); compare with squeezed()."""
    return re.sub(r"\s+", "", plain(text))[:30]


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("media", ["print", "screen"])
def test_print_media_expands_hints_and_hides_buttons(page, html_dir, media):
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    page.wait_for_function("document.documentElement.dataset.courseProgress !== undefined")
    page.emulate_media(media=media)
    hints = page.locator("section#cviceni-step3 .course-hint")
    visible = [hints.nth(i).is_visible() for i in range(hints.count())]
    button = page.locator("section#cviceni-step3 button.course-hint-button")
    solution = page.locator("section#cviceni-step3 details.course-solution")
    copy = page.locator("button.copybtn").first
    if media == "print":
        assert visible == [True] * hints.count()
        assert not button.is_visible() and not solution.is_visible()
        assert copy.count() == 0 or not copy.is_visible()
    else:  # on screen hints stay hidden until asked for: the print rules are what expands them
        assert visible == [False] * hints.count()
        assert button.is_visible() and solution.is_visible()


@pytest.fixture(scope="module")
def whole_book_pdf(html_dir, tmp_path_factory):
    pdf = book_pdf.export_pdf(tmp_path_factory.mktemp("pdf") / "kniha.pdf", html_dir=html_dir, book_dir=BOOK_DIR)
    return pdf


def test_the_whole_book_exports_to_one_pdf_with_every_hint(whole_book_pdf, html_dir):
    assert list(html_dir.rglob("kniha-tisk*")) == []  # the joined page is temporary, never in the book
    text = pdf_text(whole_book_pdf)
    course = load_course()
    missing = [(step.id, tier) for step in course.steps for tier, hint in enumerate(step.hints, 1)
               if hint_probe(hint) not in squeezed(text)]
    assert missing == [], f"hints not in the PDF: {missing}"
    # Every chapter is in, in order, with its diagrams drawn (labels are in the PDF's text).
    titles = ["Vypnutí ladicího režimu", "Povolené adresy", "Webový server NGINX", "Databáze PostgreSQL",
              "Řešení problémů", "Nasazení na SVS", "Slovníček"]
    position = 0
    for title in titles:  # each one after the previous one
        position = text.find(title, position)
        assert position >= 0, title
    for label in ("Nastala chyba?", "role myprojectuser", "Přední servery Googlu", "Co vidíte v prohlížeči?"):
        assert label in text, label
    assert BUTTON_LABELS.findall(text) == [] and BUTTON_LABELS.search("Ukázat nápovědu 1/3")
    assert "Na této stránce" not in text  # no navigation or page chrome
    pages = subprocess.run(["pdfinfo", str(whole_book_pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 40


def test_a_pdf_printed_as_on_screen_has_no_hints(page, html_dir, tmp_path):
    """The control case: the same chapter printed with screen styles keeps its hints folded away,
    so the check above would notice print rules that stopped working."""
    step = load_course().step("step3")
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    page.wait_for_function("document.documentElement.dataset.courseProgress !== undefined")
    page.emulate_media(media="screen")
    screen_pdf = tmp_path / "obrazovka.pdf"
    page.pdf(path=str(screen_pdf))
    text = pdf_text(screen_pdf)
    assert hint_probe(step.hints[-1]) not in squeezed(text)
    assert BUTTON_LABELS.search(text)
    page.emulate_media(media="print")
    print_pdf = tmp_path / "tisk.pdf"
    page.pdf(path=str(print_pdf))
    assert hint_probe(step.hints[-1]) in squeezed(pdf_text(print_pdf))


def test_toc_pages_follow_the_table_of_contents():
    pages = book_pdf.toc_pages(BOOK_DIR)
    assert pages[0] == "intro.html" and "kapitoly/01-debug.html" in pages and "slovnicek.html" in pages
    assert pages.index("kapitoly/01-debug.html") < pages.index("kapitoly/14-svs.html")


@pytest.mark.parametrize("value, page, expected", [
    ("../_static/course.css", "kapitoly/01-debug.html", "../_static/course.css"),
    ("_static/course.css", "intro.html", "../_static/course.css"),
    ("02-allowed-hosts.html#x", "kapitoly/01-debug.html", "02-allowed-hosts.html#x"),
    ("kapitoly/01-debug.html", "intro.html", "01-debug.html"),
    ("#local", "intro.html", "#local"),
    ("https://example.org/a", "intro.html", "https://example.org/a"),
])
def test_links_are_rebased_onto_the_joined_page(value, page, expected):
    assert book_pdf._rebase(value, page, book_pdf.PRINT_PAGE) == expected
