"""`class serve --policy FILE`: the live grid grades by the same rules as the exports. The file's
excuses are "omluveno", each cell counts what the student's checker sent by the deadline (a later
result is shown beside it as "po termínu", never counted), and a mark column appears (never on the
projector). The real server, started with a policy file; a bad file is refused in Czech, exit 2."""

from __future__ import annotations

import re

from tests.classroom.server_helpers import free_port, submission
from tests.classroom.test_server_cli import serve
from tests.classroom.test_server_dashboard import read_events

POLICY = ('deadline = 2026-12-01T12:00:00+00:00\n'
          '[[excused]]\nstudent = "Jana Nováková"\nsteps = ["step9"]\nreason = "nemoc <b>3.–10. 12.</b>"\n')


def cell(page: str, step: str) -> str:
    found = re.search(rf'<td class="cell [^"]*" title="{step}: [^"]*">.*?</td>', page, re.S)
    assert found, f"no cell of {step}"
    return found.group(0)


def test_the_grid_counts_by_the_deadline_shows_later_results_and_the_files_excuses_with_a_mark(make_class_server, tmp_path):
    policy = tmp_path / "pravidla.toml"
    policy.write_text(POLICY, encoding="utf-8")
    server = make_class_server(extra=["--policy", str(policy)])
    token = server.token("Jana Nováková")
    # on time: only step 0 passes; after the deadline: everything passes (shown, not counted)
    assert server.submit(token, submission(1, "vm-fresh", created_at="2026-12-01T10:00:00Z")).status == 201
    assert server.submit(token, submission(2, "vm-solved", created_at="2026-12-02T08:00:00Z")).status == 201
    teacher = server.teacher()
    grid = teacher.get("/").text
    assert "pravidla.toml" in grid and "1. 12. 2026" in grid and '<th scope="col">Známka</th>' in grid
    step1 = cell(grid, "step1")
    assert 'class="cell failed late"' in step1 and "po termínu: splněno (nepočítá se)" in step1 and "po termínu ✔" in step1
    assert 'class="cell passed"' in cell(grid, "step0")  # passed in time: counted, nothing late about it
    step9 = cell(grid, "step9")
    assert 'class="cell excused' in step9 and "nemoc &lt;b&gt;3.–10. 12.&lt;/b&gt;" in step9 and "<b>" not in step9
    assert re.search(r'<td class="total">1</td>\s*<td class="mark">5</td>', grid)
    late_only = server.token("Petr Svoboda")  # sent nothing before the deadline: nothing counts
    assert server.submit(late_only, submission(1, "vm-solved", created_at="2026-12-03T08:00:00Z")).status == 201
    petr = teacher.get("/").text.split('id="s-2"', 1)[1]
    assert 'class="cell none late"' in cell(petr, "step0") and "po termínu: splněno (nepočítá se)" in cell(petr, "step0")
    assert re.search(r'<td class="total">0</td>\s*<td class="mark">5</td>', petr)
    projector = teacher.get("/projector?names=1").text
    assert "Známka" not in projector and 'class="mark"' not in projector and "nemoc" not in projector


def test_a_result_sent_in_time_counts_and_earns_its_mark(make_class_server, tmp_path):
    policy = tmp_path / "pravidla.toml"
    policy.write_text('deadline = 2099-01-01T00:00:00+01:00\n', encoding="utf-8")
    server = make_class_server(extra=["--policy", str(policy)])
    token = server.token("Petr Svoboda")
    teacher = server.teacher()
    rows = read_events(server, teacher, lambda: server.submit(token, submission(1, "vm-solved")))
    assert rows and '<td class="mark">1</td>' in rows[0]["html"]  # the live row carries the mark too
    grid = teacher.get("/").text
    assert "late" not in cell(grid, "step1") and re.search(r'<td class="mark">1</td>', grid)
    assert 'class="mark"' not in read_events(server, teacher, lambda: server.submit(token, submission(2, "vm-solved")),
                                             query="?view=projector&names=1")[0]["html"]


def test_without_a_policy_there_is_no_mark_column(class_server):
    token = class_server.token("Petr Svoboda")
    assert class_server.submit(token, submission(1, "vm-solved")).status == 201
    grid = class_server.teacher().get("/").text
    assert "Známka" not in grid and 'class="mark"' not in grid and "po termínu" not in grid


def test_a_bad_policy_file_is_refused_in_czech_before_the_server_starts(tmp_path):
    broken = tmp_path / "pravidla.toml"
    broken.write_text("deadline = zítra\n", encoding="utf-8")
    for path, words in ((tmp_path / "neni.toml", "neexistuje"), (broken, "pravidla.toml")):
        result = serve("--out", str(tmp_path / "out"), "--port", str(free_port()), "--policy", str(path))
        assert result.returncode == 2, result.stdout + result.stderr
        assert words in result.stdout + result.stderr and "Traceback" not in result.stderr
        assert "Server třídy" not in result.stdout
