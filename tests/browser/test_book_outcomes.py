"""The book's live badges for every step status, in light and dark mode: "? nelze ověřit" for a step
that could not be verified, advice as a note on a passed step, and WCAG AA contrast (4.5:1) of
their text in both of pydata-sphinx-theme's modes."""

from __future__ import annotations

import re

import pytest

from checkers.course import load_course
from checkers.progress import empty_state, write_book_progress

pytestmark = pytest.mark.browser

CZECH_DATE = re.compile(r"\d{1,2}\. \d{1,2}\. \d{4} v \d{1,2}:\d{2}")
AA = 4.5
CHECKED_AT = "2026-11-24T14:05:00+01:00"

# The WCAG 2.x contrast of an element's text against what is really behind it: the first opaque
# background among itself and its ancestors, with translucent layers above it blended in.
CONTRAST_JS = """
el => {
  const parse = s => { const p = s.match(/[\\d.]+/g).map(Number); return p.length === 3 ? [...p, 1] : p; };
  const over = (top, below) => [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]);
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let back = [255, 255, 255, 1];
  for (let i = layers.length - 1; i >= 0; i--) back = over(layers[i], back);
  const fore = over(parse(getComputedStyle(el).color), back);
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const [a, b] = [lum(fore), lum(back)].sort((x, y) => y - x);
  return {ratio: (a + 0.05) / (b + 0.05), color: getComputedStyle(el).color,
          background: 'rgb(' + back.slice(0, 3).map(Math.round).join(', ') + ')',
          opacity: getComputedStyle(el).opacity};
}
"""


def step_record(status: str, points: int, max_points: int, **counts) -> dict:
    base = {"passed": 0, "failed": 0, "skipped": 0, "unverified": 0, "advice": 0, "errors": 0}
    return {"status": status, "checked_at": CHECKED_AT, "target": "vagrant", "points": points,
            "max_points": max_points, **base, **counts, "checks": {}, "failed_titles": []}


@pytest.fixture
def outcomes(html_dir):
    """A progress file with one step of each status: step1 could not be verified, step2 passed
    with two recommendations, step3 passed without any, step4 crashed, step5 an unknown status."""
    course = load_course()
    state = empty_state()
    state["updated_at"] = CHECKED_AT
    state["steps"] = {
        "step1": step_record("unverified", 0, course.step("step1").points, passed=1, unverified=1),
        "step2": step_record("passed", course.step("step2").points, course.step("step2").points, passed=2, advice=2),
        "step3": step_record("passed", course.step("step3").points, course.step("step3").points, passed=3),
        "step4": step_record("error", 0, course.step("step4").points, errors=1),
        "step5": step_record("bogus", 0, course.step("step5").points),
    }
    write_book_progress(html_dir, state, course)
    yield state
    write_book_progress(html_dir, empty_state(), course)


def open_in_mode(page, address: str, mode: str) -> None:
    page.emulate_media(color_scheme=mode)
    page.goto(address)
    page.wait_for_function("document.documentElement.dataset.courseProgress === 'loaded'")
    assert page.get_attribute("html", "data-theme") == mode


def badge(page, step: str):
    return page.locator(f".course-badge[data-step='{step}']").first


def contrast(locator) -> dict:
    return locator.evaluate(CONTRAST_JS)


def assert_readable(locator, what: str) -> None:
    measured = contrast(locator)
    assert measured["opacity"] == "1", (what, measured)
    assert measured["ratio"] >= AA, (what, measured)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_unverified_step_has_its_own_readable_badge(page, watch, html_dir, outcomes, mode, artifacts):
    open_in_mode(page, (html_dir / "intro.html").resolve().as_uri(), mode)
    unverified = badge(page, "step1")
    assert unverified.get_attribute("data-status") == "unverified"
    assert "course-badge-unverified" in unverified.get_attribute("class")
    text = unverified.inner_text()
    assert text.startswith("? nelze ověřit"), text
    assert "nezapočteny" in text and "0/" not in text, text  # no zero that reads as a failure
    assert CZECH_DATE.search(text), text
    assert "chyba na vaší straně" in unverified.get_attribute("title")
    for part in ("course-badge-state", "course-badge-meta"):
        assert_readable(unverified.locator(f".{part}"), f"{mode} unverified {part}")

    # Its colours are its own: neither the failure's nor the pass's nor the crash's.
    failed_like = {badge(page, s).evaluate("e => getComputedStyle(e).color + getComputedStyle(e).backgroundColor")
                   for s in ("step3", "step4")}
    own = unverified.evaluate("e => getComputedStyle(e).color + getComputedStyle(e).backgroundColor")
    assert own not in failed_like
    assert unverified.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"

    crashed = badge(page, "step4")
    assert crashed.get_attribute("data-status") == "error" and crashed.inner_text().startswith("⚠ nepodařilo se")
    assert_readable(crashed.locator(".course-badge-state"), f"{mode} error badge")
    # An unknown status string is shown as "not checked yet", never as a pass.
    assert badge(page, "step5").get_attribute("data-status") == "unknown"

    bar = page.locator(".course-progress-main")
    assert bar.get_attribute("data-unverified-steps") == "1"
    assert "nelze ověřit 1 krok" in bar.inner_text()
    assert_readable(bar.locator(".course-progress-unverified"), f"{mode} progress bar note")
    unverified.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"kniha-nelze-overit-{'tmavy' if mode == 'dark' else 'svetly'}.png"))
    assert watch.unexpected_errors() == []


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_advice_is_a_readable_note_on_a_passed_step(page, html_dir, outcomes, mode):
    open_in_mode(page, (html_dir / "intro.html").resolve().as_uri(), mode)
    with_advice = badge(page, "step2")
    assert with_advice.get_attribute("data-status") == "passed"
    assert with_advice.inner_text().startswith("✔ splněno")
    assert with_advice.get_attribute("data-advice") == "2"
    note = with_advice.locator(".course-badge-advice")
    assert note.inner_text() == "! 2 doporučení"
    assert "na body nemají vliv" in note.get_attribute("title")
    assert_readable(note, f"{mode} advice note")
    for part in ("course-badge-state", "course-badge-meta"):
        assert_readable(with_advice.locator(f".{part}"), f"{mode} passed {part}")

    without = badge(page, "step3")
    assert without.get_attribute("data-advice") == "0" and without.locator(".course-badge-advice").count() == 0


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_exercise_block_explains_an_unverified_step(page, html_dir, outcomes, mode):
    open_in_mode(page, (html_dir / "kapitoly/01-debug.html").resolve().as_uri(), mode)
    note = page.locator("section#cviceni-step1 .course-failed")
    assert note.is_visible()
    assert "course-failed-unverified" in note.get_attribute("class")
    assert "nepočítá se to jako nesplněné" in note.inner_text()
    assert "Neprošlé kontroly" not in note.inner_text()
    assert_readable(note.locator("p"), f"{mode} unverified note")
    assert_readable(badge(page, "step1").locator(".course-badge-state"), f"{mode} exercise badge")
