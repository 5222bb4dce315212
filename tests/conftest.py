import pytest


@pytest.fixture
def checkers_home(tmp_path):
    """A private progress directory for one test (CHECKERS_HOME)."""
    home = tmp_path / "checkers-home"
    home.mkdir()
    return home
