"""The live book: an open page picks up a new checker result within seconds without a reload (over
file:// too, where only a re-inserted <script> can read a changed file), and a passed exercise
links to the next one."""

from __future__ import annotations

import re
import time

import pytest

from checkers.course import load_course
from checkers.progress import empty_state, write_book_progress
from tests.browser.test_book_browser import url
from tests.browser.test_book_outcomes import CHECKED_AT, step_record

pytestmark = pytest.mark.browser

LIVE_WITHIN_MS = 6_000  # course.js re-reads progress.js every 2 s


def write_state(html_dir, steps: dict) -> None:
    course = load_course()
    state = empty_state()
    state["updated_at"] = CHECKED_AT
    state["steps"] = {step: step_record(status, course.step(step).points if status == "passed" else 0,
                                        course.step(step).points) for step, status in steps.items()}
    write_book_progress(html_dir, state, course)


@pytest.fixture
def clean_progress(html_dir):
    write_book_progress(html_dir, empty_state(), load_course())
    yield
    write_book_progress(html_dir, empty_state(), load_course())


def badge_status(page, step: str) -> str:
    return page.locator(f".course-badge[data-step='{step}']").first.get_attribute("data-status")


def wait_for_status(page, step: str, status: str, within_ms: int = LIVE_WITHIN_MS) -> float:
    started = time.monotonic()
    page.wait_for_function(
        "([s, st]) => { const b = document.querySelector(`.course-badge[data-step='${s}']`);"
        " return b && b.getAttribute('data-status') === st; }", arg=[step, status], timeout=within_ms)
    return time.monotonic() - started


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_an_open_page_shows_a_new_result_within_seconds_without_a_reload(page, watch, html_dir, http_base,
                                                                         clean_progress, scheme, artifacts):
    address = url(html_dir, "kapitoly/03-staticke-soubory.html") if scheme == "file" \
        else http_base + "kapitoly/03-staticke-soubory.html"
    page.goto(address)
    page.wait_for_function("document.documentElement.dataset.courseProgress !== undefined")
    assert badge_status(page, "step3") == "unknown"
    next_link = page.locator("section#cviceni-step3 .course-next")
    assert next_link.is_hidden()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
    loads = int(page.get_attribute("html", "data-course-progress-loads"))

    # A checker run that fails the step: the badge turns red, still no link onwards.
    write_state(html_dir, {"step3": "failed"})
    wait_for_status(page, "step3", "failed")
    assert next_link.is_hidden()

    # The student fixes it and runs the checker again: green, and the next exercise is offered.
    write_state(html_dir, {"step3": "passed"})
    seconds = wait_for_status(page, "step3", "passed")
    assert seconds < LIVE_WITHIN_MS / 1000
    assert page.evaluate("window.__sameDocument") is True
    assert int(page.get_attribute("html", "data-course-progress-loads")) > loads + 1
    assert next_link.is_visible()
    assert page.locator(".course-progress-main, .course-progress-sidebar").first.get_attribute("data-passed-steps") == "1"
    if scheme == "file":
        next_link.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "kniha-dalsi-cviceni.png"))

    # The link leads to the next step's exercise on its page.
    course = load_course()
    following = course.step("step4")
    link = next_link.locator("a")
    assert following.title in link.inner_text()
    link.click()
    page.wait_for_url(f"**/{following.section}.html#cviceni-step4")
    assert page.locator("section#cviceni-step4").is_visible()
    assert watch.unexpected_errors() == []


def test_without_a_new_result_the_page_stays_as_it_is(page, html_dir, clean_progress):
    """Polling re-reads the data but re-renders nothing when it did not change (no flicker), and a
    result for another step leaves this one alone."""
    write_state(html_dir, {"step3": "failed"})
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    wait_for_status(page, "step3", "failed")
    page.evaluate("""() => { window.__renders = 0; new MutationObserver(() => window.__renders++)
        .observe(document.querySelector("section#cviceni-step3 .course-badge"), {childList: true, subtree: true}); }""")
    loads = int(page.get_attribute("html", "data-course-progress-loads"))
    page.wait_for_function("n => Number(document.documentElement.dataset.courseProgressLoads) >= n + 2", arg=loads)
    assert page.evaluate("window.__renders") == 0
    write_state(html_dir, {"step3": "failed", "step4": "passed"})
    page.wait_for_function("n => Number(document.documentElement.dataset.courseProgressLoads) >= n + 4", arg=loads)
    assert badge_status(page, "step3") == "failed"
    assert page.locator("section#cviceni-step3 .course-next").is_hidden()


def test_the_last_exercise_says_the_course_is_done(page, html_dir, clean_progress):
    course = load_course()
    last = course.steps[-1]
    write_state(html_dir, {last.id: "passed"})
    page.goto(url(html_dir, f"{last.section}.html"))
    wait_for_status(page, last.id, "passed")
    note = page.locator(f"section#cviceni-{last.id} .course-next")
    assert note.is_visible() and "poslední cvičení kurzu" in note.inner_text()
    assert note.locator("a").count() == 0


# ------------------------------------------------------------------ glossary and estimated time in the built book


def test_first_uses_link_to_the_czech_glossary(page, html_dir):
    page.goto(url(html_dir, "kapitoly/07-nginx.html"))
    terms = page.locator("a.course-term")
    hrefs = terms.evaluate_all("els => els.map(e => [e.textContent, e.getAttribute('href'), e.title])")
    assert ["reverzní proxy", "../slovnicek.html#term-reverzni-proxy"] in [h[:2] for h in hrefs]
    assert all(title for _, _, title in hrefs)  # the definition's first sentence as a tooltip
    assert len({href for _, href, _ in hrefs}) == len(hrefs)  # each term once per page
    assert page.locator("code a.course-term, h1 a.course-term, h2 a.course-term, a a.course-term").count() == 0
    page.locator("a.course-term", has_text="reverzní proxy").click()
    page.wait_for_url("**/slovnicek.html#term-reverzni-proxy")
    for term in ("reverzní proxy", "soket", "démon", "worker"):
        assert page.locator("dl.glossary dt", has_text=term).count() >= 1, term
    assert page.locator("a.course-term").count() == 0  # the glossary does not link to itself


def test_every_chapter_shows_its_estimated_time(page, html_dir):
    for path in sorted((html_dir / "kapitoly").glob("[0-9][0-9]-*.html")):
        page.goto(path.as_uri())
        note = page.locator("article .course-time")
        assert note.count() == 1, path.name
        assert re.fullmatch(r"Odhadovaný čas: asi \d+ minut(a|y)?", note.inner_text()), note.inner_text()
    page.goto(url(html_dir, "intro.html"))
    assert page.locator(".course-time").count() == 0  # only chapters with estimated_minutes
