import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture
def checkers_home(tmp_path):
    """A private progress directory for one test (CHECKERS_HOME)."""
    home = tmp_path / "checkers-home"
    home.mkdir()
    return home


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for the whole run. Shared, because a second sync Playwright
    cannot start while the first one's event loop is open."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
