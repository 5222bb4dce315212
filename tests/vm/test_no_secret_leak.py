"""No secret leaves the VM (issue 4, point 6): with a known SECRET_KEY and database password,
neither appears in any output (terminal, --json), the progress store, saved facts or logs –
also when a traceback in the journal quotes the settings line that holds the key."""

from __future__ import annotations

import pytest

from tests.helpers.vm_checker import check_vm

pytestmark = pytest.mark.vm

KEY = "kurz-znamy-tajny-klic-6f1d2c0a9b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
PASSWORD = "kurz-zname-heslo-3b9f2a7c5e1d"
P = "/srv/my_project"


def everything_written(home, *runs) -> str:
    text = "".join(r.stdout + r.stderr for r in runs)
    for path in home.rglob("*"):
        if path.is_file():
            text += path.read_text(errors="replace")
    return text


def test_known_secrets_never_leave_the_vm(course_states, checkers_home, tmp_path):
    vm = course_states.vm
    vm.at_step("step11")
    vm.run(f"printf '%s\\n' '{KEY}' > {P}/secret_key.txt && printf '%s\\n' '{PASSWORD}' > {P}/db_password.txt && "
           f"sudo -u postgres psql -qc \"ALTER ROLE myprojectuser PASSWORD '{PASSWORD}'\" && "
           "sudo systemctl restart gunicorn")
    facts = tmp_path / "facts.json"
    runs = [check_vm(vm, "all", "--json", "--save-facts", str(facts), home=checkers_home),
            check_vm(vm, "all", home=checkers_home),
            check_vm(vm, "doctor", "--json", home=checkers_home)]
    assert runs[0].rc == 0, runs[0].stdout
    # Now break the settings so that gunicorn's traceback in the journal quotes the key literally.
    vm.run(f"sed -i \"s|^SECRET_KEY = .*|SECRET_KEY = '{KEY}' +|\" {P}/my_project/settings.py && "
           "sudo systemctl restart gunicorn || true; sleep 3")
    runs += [check_vm(vm, "all", "--json", home=checkers_home),
             check_vm(vm, "doctor", "--json", "--save-facts", str(tmp_path / "facts2.json"), home=checkers_home)]
    assert runs[-1].rc == 1  # the breakage was seen …
    written = everything_written(checkers_home, *runs) + facts.read_text() + (tmp_path / "facts2.json").read_text()
    assert KEY not in written and PASSWORD not in written  # … and the secrets were not
