"""The built book in headless chromium: pages, diagrams, Czech UI, search, hints, solutions, progress."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checkers.course import load_course
from checkers.paths import EXERCISES_DIR
from checkers.progress import empty_state, write_book_progress
from tests.browser.conftest import REPO, build_into

pytestmark = pytest.mark.browser

# Every page with a mermaid diagram, and labels each of its diagrams must show (in order).
DIAGRAMS = {
    "kapitoly/01-debug.html": [["Nastala chyba?", "DEBUG?", "Podrobná ladicí stránka", "Server Error (500)"]],
    "kapitoly/02-allowed-hosts.html": [["Host: 127.0.0.1:8080", "ALLOWED_HOSTS", "400 Bad Request"]],
    "kapitoly/03-staticke-soubory.html": [["collectstatic", "STATIC_ROOT", "NGINX: location /static/"]],
    "kapitoly/04-media.html": [["Statické soubory", "Nahrané soubory", "MEDIA_ROOT/obrazky/", "NGINX"]],
    "kapitoly/05-secret-key.html": [["settings.py:", "secret_key.txt", "Django v paměti", "django-insecure-"]],
    "kapitoly/06-check-deploy.html": [["manage.py check --deploy", "W009", "W018", "W020", "kapitola 5"]],
    "kapitoly/07-nginx.html": [["NGINX:", "STATIC_ROOT", "MEDIA_ROOT", "soket /tmp/gunicorn.sock"]],
    "kapitoly/08-gunicorn.html": [["gunicorn: hlavní proces", "worker 1", "my_project.wsgi:application"]],
    "kapitoly/09-systemd.html": [["inactive: neběží", "active: běží", "failed: spadla", "Restart=on-failure",
                                  "gunicorn.socket"]],
    "kapitoly/10-postgresql.html": [["role postgres: správce", "role myprojectuser", "databáze myproject",
                                     "db_password.txt"]],
    "kapitoly/11-cela-cesta.html": [
        ["Klient", "Webový prohlížeč", "Internet", "Server", "NGINX", "Souborový systém", "STATIC_ROOT",
         "MEDIA_ROOT", "gunicorn", "Django projekt", "PostgreSQL", "proxy pass", "statické soubory",
         "nahrané soubory"],
        ["Prohlížeč: GET", "NGINX: čím adresa začíná?", "/tmp/gunicorn.sock", "gunicorn: volný worker",
         "ALLOWED_HOSTS", "PostgreSQL: databáze myproject", "SQL dotazy", "Odpověď prohlížeči", "cokoli jiného"],
    ],
    "kapitoly/12-reseni-problemu.html": [
        ["Co vidíte v prohlížeči?", "502 Bad Gateway", "Co píše error.log NGINX?", "2: No such file",
         "111: Connection refused", "13: Permission denied", "Soket neexistuje", "Chybí styly a obrázky",
         "Jaký kód vrací soubor?", "collectstatic", "www-data nesmí číst", "400 Bad Request", "ALLOWED_HOSTS"],
    ],
    "kapitoly/13-google-cloud.html": [["Přední servery Googlu", "Instance App Engine", "Cloud SQL", "Secret Manager",
                                       "Cloud Storage"]],
    "kapitoly/14-svs.html": [["Caddy", "/var/caddy.root.d/", "127.0.0.1:PORT", "PostgreSQL dbNNNN"]],
}
CZECH_DATE = re.compile(r"\d{1,2}\. \d{1,2}\. \d{4} v \d{1,2}:\d{2}")


def pages(html_dir: Path) -> list[str]:
    return sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")
                  if p.relative_to(html_dir).parts[0] not in {"_static", "_sources", "_images"})


def url(html_dir: Path, name: str) -> str:
    return (html_dir / name).resolve().as_uri()


def wait_for_progress(page) -> None:
    """course.js marks <html data-course-progress> once it has (re)loaded progress.js and rendered."""
    page.wait_for_function("document.documentElement.dataset.courseProgress !== undefined")


def reload_and_wait(page) -> None:
    page.reload()
    wait_for_progress(page)


def diagram_texts(page) -> list[str]:
    """The drawn text of each diagram (not its accessible <title>/<desc>, which repeat the labels)."""
    return page.eval_on_selector_all("pre.mermaid", """els => els.map(e => {
        const svg = e.querySelector('svg');
        if (!svg) return '';
        const copy = svg.cloneNode(true);
        copy.querySelectorAll('title, desc, style').forEach(n => n.remove());
        return copy.textContent.replace(/\\s+/g, ' ');
    })""")


# ------------------------------------------------------------------ pages, language, diagrams


def test_book_was_built_without_network(built_book):
    if not built_book.offline:
        pytest.skip("`unshare -n` is not permitted here (needs root or user namespaces); built with network")
    assert (built_book.html_dir / "_static" / "mermaid" / "mermaid.min.js").is_file()


def test_every_page_loads_in_czech_without_page_errors(page, watch, html_dir):
    names = pages(html_dir)
    assert "intro.html" in names and "kapitoly/07-nginx.html" in names and len(names) >= 19
    for name in names:
        page.goto(url(html_dir, name))
        wait_for_progress(page)
        assert page.get_attribute("html", "lang") == "cs", name
        assert "Django v produkci" in page.title(), name
    assert watch.unexpected_errors() == []


def test_czech_navigation_and_search_ui(page, html_dir):
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    footer = page.inner_text(".prev-next-area")
    assert "Předchozí" in footer and "Další" in footer
    assert page.locator("button.search-button__button").first.get_attribute("aria-label") == "Vyhledávání"
    assert "Na této stránce" in page.inner_text(".bd-sidebar-secondary")
    assert "Search" not in page.inner_text("body") and "Contents" not in page.inner_text("body")
    labels = page.evaluate("""() => [...document.querySelectorAll('[title], [aria-label], [data-tooltip]')]
        .flatMap(e => ['title', 'aria-label', 'data-tooltip', 'data-bs-original-title'].map(a => e.getAttribute(a)))
        .filter(Boolean)""")
    english = {"Link to this heading", "Copy", "Copy to clipboard", "Toggle primary sidebar", "Toggle secondary sidebar",
               "Color mode", "Main", "Page", "Search", "Next page", "Previous page"}
    assert sorted(set(labels) & english) == []


def test_mermaid_is_loaded_only_on_pages_with_a_diagram(html_dir):
    with_diagram = {n for n in pages(html_dir) if 'class="mermaid"' in (html_dir / n).read_text(encoding="utf-8")}
    loading = {n for n in pages(html_dir) if "mermaid/mermaid.min.js" in (html_dir / n).read_text(encoding="utf-8")}
    assert with_diagram == set(DIAGRAMS), "a new diagram needs its expected labels in DIAGRAMS"
    assert loading == with_diagram
    for name in pages(html_dir):
        assert "cdn.jsdelivr.net" not in (html_dir / name).read_text(encoding="utf-8"), name


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_every_mermaid_block_becomes_an_svg_with_czech_labels(page, watch, html_dir, http_base, scheme, artifacts):
    for name, expected in DIAGRAMS.items():
        page.goto(url(html_dir, name) if scheme == "file" else http_base + name)
        count = page.locator("pre.mermaid").count()
        assert count == len(expected), name
        page.wait_for_function("n => document.querySelectorAll('pre.mermaid svg').length === n", arg=count)
        for text, labels in zip(diagram_texts(page), expected):
            missing = [label for label in labels if label not in text]
            assert missing == [], f"{name}: labels not drawn: {missing}"
        accessible = page.eval_on_selector_all("pre.mermaid svg", """els => els.map(s => [
            (s.querySelector(':scope > title') || {textContent: ''}).textContent.trim(),
            (s.querySelector(':scope > desc') || {textContent: ''}).textContent.trim(),
            s.getAttribute('aria-labelledby') || '', s.getAttribute('aria-describedby') || ''])""")
        for title, desc, labelled, described in accessible:
            assert title and len(desc) > 40 and labelled and described, (name, title, desc)
        if scheme == "file" and name == "kapitoly/11-cela-cesta.html":
            page.locator("pre.mermaid").first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "kniha-diagram.png"), full_page=True)
    assert watch.unexpected_errors() == []


def test_search_finds_a_czech_word_with_diacritics(page, html_dir):
    def results(query: str) -> list[str]:
        page.goto(url(html_dir, "search.html") + "?q=" + query)
        page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                               " return s && s.textContent.trim().length > 0; }")
        return page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))")

    found = results("prohlížeč")
    assert any("00-priprava" in href or "11-cela-cesta" in href for href in found), found
    assert results("nesmyslslovoxyz") == []


# ------------------------------------------------------------------ exercises


def test_exercise_shows_course_data_and_hints_reveal_one_at_a_time(page, html_dir, artifacts):
    step = load_course().step("step3")
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    block = page.locator("section#cviceni-step3")
    assert step.title in block.locator(".course-exercise-title").inner_text()
    assert block.locator(".course-exercise-points").inner_text() == "2 body"
    assert "./kurz step3" in block.locator(".course-exercise-check pre").inner_text()
    assert block.locator(".course-badge").inner_text().startswith("○ zatím neověřeno")

    hints = block.locator(".course-hint")
    button = block.locator("button.course-hint-button")
    assert hints.count() == len(step.hints) >= 2
    assert [hints.nth(i).is_visible() for i in range(hints.count())] == [False] * len(step.hints)
    for revealed in range(1, len(step.hints) + 1):
        assert button.is_visible()
        assert button.inner_text().endswith(f"{revealed}/{len(step.hints)}")
        button.click()
        visible = [hints.nth(i).is_visible() for i in range(hints.count())]
        assert visible == [True] * revealed + [False] * (len(step.hints) - revealed)
        expected = re.sub(r"\s+", " ", step.hints[revealed - 1].replace("`", ""))[:40]
        assert expected in re.sub(r"\s+", " ", hints.nth(revealed - 1).inner_text())
    assert not button.is_visible()
    block.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "kniha-cviceni.png"), full_page=True)


def test_reference_solution_is_behind_a_toggle(page, html_dir):
    step = load_course().step("step3")
    page.goto(url(html_dir, "kapitoly/03-staticke-soubory.html"))
    details = page.locator("section#cviceni-step3 details.course-solution")
    body = details.locator("pre, p").last
    assert details.get_attribute("open") is None and not body.is_visible()
    details.locator("summary").click()
    assert details.get_attribute("open") is not None and body.is_visible()
    solution = EXERCISES_DIR / step.solution
    if solution.is_file():
        first_command = next(line for line in solution.read_text(encoding="utf-8").splitlines()
                             if line.strip() and not line.startswith("#"))
        assert first_command.strip() in details.locator("pre").inner_text()
    else:
        assert "zatím není k dispozici" in details.inner_text()
    details.locator("summary").click()
    assert not body.is_visible()


# ------------------------------------------------------------------ live progress from the real CLI


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """Two real Django 5.2 projects: the starter state (steps 1 and 2 not done) and a fixed one."""
    from tests.helpers.django_project import make_django_project

    root = tmp_path_factory.mktemp("projekty")
    return {
        "bad": make_django_project(root / "bad", debug=True),
        "good": make_django_project(root / "good", debug=False, allowed_hosts=["127.0.0.1", "localhost"]),
    }


def run_checker(project: Path, step: str, home: Path, html_dir: Path) -> str:
    """`./kurz --target local --project P --json STEP`, as a student runs it; the step's status."""
    env = {**os.environ, "CHECKERS_HOME": str(home), "CHECKERS_BOOK_HTML": str(html_dir)}
    proc = subprocess.run([sys.executable, "-m", "checkers", "--target", "local", "--project", str(project), "--json",
                           step], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), f"checker could not check (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(proc.stdout)
    return next(s["status"] for s in result["steps"] if s["id"] == step)


def reset_progress(html_dir: Path) -> None:
    write_book_progress(html_dir, empty_state(), load_course())


def badge(page, step: str):
    return page.locator(f".course-badge[data-step='{step}']").first


def assert_badge(page, step: str, status: str, text: str) -> None:
    b = badge(page, step)
    assert b.get_attribute("data-status") == status, step
    assert b.inner_text().startswith(text), (step, b.inner_text())
    if status != "unknown":
        assert CZECH_DATE.search(b.inner_text()), b.inner_text()


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_checker_runs_turn_badges_red_then_green_without_a_rebuild(page, watch, html_dir, http_base, projects,
                                                                   tmp_path, scheme, artifacts):
    home = tmp_path / "home"
    reset_progress(html_dir)
    address = (lambda name: url(html_dir, name)) if scheme == "file" else (lambda name: http_base + name)

    page.goto(address("kapitoly/01-debug.html"))
    wait_for_progress(page)
    assert_badge(page, "step1", "unknown", "○ zatím neověřeno")

    assert run_checker(projects["bad"], "step1", home, html_dir) == "failed"
    assert run_checker(projects["bad"], "step2", home, html_dir) == "failed"
    reload_and_wait(page)
    assert_badge(page, "step1", "failed", "✘ nesplněno")
    assert "DEBUG" in page.inner_text("section#cviceni-step1 .course-failed")
    assert page.locator(".course-progress-sidebar").is_visible()

    page.goto(address("intro.html"))
    wait_for_progress(page)
    assert_badge(page, "step1", "failed", "✘ nesplněno")
    assert_badge(page, "step2", "failed", "✘ nesplněno")
    assert_badge(page, "step3", "unknown", "○ zatím neověřeno")
    bar = page.locator(".course-progress-main")
    assert bar.get_attribute("data-passed-steps") == "0" and bar.get_attribute("data-earned-points") == "0"

    assert run_checker(projects["good"], "step1", home, html_dir) == "passed"
    assert run_checker(projects["good"], "step2", home, html_dir) == "passed"
    reload_and_wait(page)
    assert_badge(page, "step1", "passed", "✔ splněno")
    assert_badge(page, "step2", "passed", "✔ splněno")
    assert_badge(page, "step3", "unknown", "○ zatím neověřeno")
    assert bar.get_attribute("data-passed-steps") == "2" and bar.get_attribute("data-earned-points") == "2"
    assert "splněné kroky 2/" in bar.inner_text()
    assert page.locator(".course-progress-sidebar").get_attribute("data-passed-steps") == "2"
    if scheme == "file":
        page.screenshot(path=str(artifacts / "kniha-uvod.png"), full_page=True)

    page.goto(address("kapitoly/01-debug.html"))
    wait_for_progress(page)
    assert_badge(page, "step1", "passed", "✔ splněno")
    assert page.locator("section#cviceni-step1 .course-failed").is_hidden()
    assert watch.unexpected_errors() == []


def test_a_clean_rebuild_restores_the_progress(page, projects, tmp_path, built_book):
    home = tmp_path / "home"
    assert run_checker(projects["bad"], "step1", home, tmp_path / "no-book") == "failed"
    assert run_checker(projects["good"], "step2", home, tmp_path / "no-book") == "passed"
    fresh = build_into(tmp_path / "rebuild", home, offline=built_book.offline)
    page.goto(url(fresh, "intro.html"))
    wait_for_progress(page)
    assert_badge(page, "step1", "failed", "✘ nesplněno")
    assert_badge(page, "step2", "passed", "✔ splněno")
    assert_badge(page, "step0", "unknown", "○ zatím neověřeno")
