"""The book's search finds error codes ("502") and no page logs a console error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def search(page, html_dir, query: str) -> list[str]:
    page.goto((html_dir / "search.html").as_uri() + f"?q={query}")
    page.wait_for_function("document.querySelector('#search-results') && "
                           "!document.querySelector('#search-results').innerText.includes('Hledání')"
                           " || document.querySelectorAll('#search-results li').length > 0", timeout=30_000)
    page.wait_for_timeout(500)
    return page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.getAttribute('href'))")


def test_searching_502_finds_the_troubleshooting_chapter(page, html_dir):
    hits = search(page, html_dir, "502")
    assert any("12-reseni-problemu" in h for h in hits), hits


def test_a_word_query_still_works_and_a_nonsense_number_finds_nothing(page, html_dir):
    assert any("07-nginx" in h for h in search(page, html_dir, "nginx"))
    assert search(page, html_dir, "987654321") == []


def test_no_page_defines_thebe_twice(page, watch, html_dir):
    for name in ("intro.html", "kapitoly/12-reseni-problemu.html", "search.html"):
        page.goto((html_dir / name).as_uri())
        html = page.content()
        assert html.count("const THEBE_JS_URL") <= 1, name
    assert not [e for e in watch.page_errors if "THEBE_JS_URL" in e]


def test_without_the_fix_sphinx_search_ignores_502(page, html_dir):
    """The failing case: with search-numbers.js blocked, Sphinx's own search drops "502"."""
    page.route("**/search-numbers.js*", lambda route: route.abort())
    assert search(page, html_dir, "502") == []
