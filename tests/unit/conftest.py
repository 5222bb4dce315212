import pytest

from checkers.course import load_course


@pytest.fixture(scope="session")
def course():
    """The course as shipped (exercises/course.toml)."""
    return load_course()
