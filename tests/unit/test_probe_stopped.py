"""Where an inspection that did not finish stopped, from the probe's own evidence."""

from __future__ import annotations

import json

from checkers.probe.stopped import HANG_MARKER, where_stopped

PROJECT = "/srv/my_project"


def test_a_hang_marker_names_the_projects_innermost_frame():
    stack = [["/srv/my_project/.venv/lib/python3.11/site-packages/requests/api.py", 59],
             ["/srv/my_project/my_project/settings.py", 131], ["<frozen importlib._bootstrap>", 241]]
    django = {"not_run": "timeout", "stderr": "timed out after 45s\n" + HANG_MARKER + json.dumps(
        {"file": stack[0][0], "line": 59, "stack": stack}) + "\n"}
    assert where_stopped(django, PROJECT) == {"how": "hang", "file": "/srv/my_project/my_project/settings.py",
                                              "line": 131}
    assert HANG_MARKER not in django["stderr"]  # the student reads the location, not our marker


def test_a_faulthandler_dump_names_the_crash():
    dump = ('Fatal Python error: Segmentation fault\n\nStack (most recent call first):\n'
            '  File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at\n'
            '  File "/srv/my_project/my_project/settings.py", line 7 in <module>\n'
            '  File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed\n')
    django = {"not_run": "crashed", "rc": -11, "stderr": dump}
    assert where_stopped(django, PROJECT) == {"how": "crash", "file": "/srv/my_project/my_project/settings.py",
                                              "line": 7}


def test_nothing_is_invented():
    assert where_stopped({"not_run": "timeout", "stderr": "timed out after 45s"}, PROJECT) is None
    assert where_stopped({"not_run": "crashed", "stderr": "Error: libpython3.11.so: cannot open"}, PROJECT) is None
    assert where_stopped({"settings_error": {"type": "ValueError"}}, PROJECT) is None
