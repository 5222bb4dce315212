"""The checker never changes the student's VM (issue 4, point 5): a digest of /etc, the project,
unit states, databases and listening sockets is identical before and after every step, `all`
and `doctor`."""

from __future__ import annotations

import pytest

from tests.helpers.vm_checker import check_vm

pytestmark = pytest.mark.vm

DIGEST = r"""
set -e
{
  sudo find /etc /srv/my_project -xdev \( -type f -o -type l -o -type d -o -type s \) -printf '%p %m %u %g %T@ %s\n' 2>/dev/null | sort
  sudo find /etc /srv/my_project -xdev -type f -print0 2>/dev/null | sort -z | sudo xargs -0 sha256sum
  systemctl list-units --all --no-legend --plain | awk '{print $1, $2, $3, $4}' | sort
  systemctl list-unit-files --no-legend | sort
  sudo -u postgres psql -XAtc "select datname, pg_get_userbyid(datdba) from pg_database order by 1"
  sudo -u postgres psql -XAtc "select rolname, rolcanlogin, md5(coalesce(rolpassword,'')) from pg_authid order by 1"
  sudo -u postgres psql -XAt -d myproject -c "select count(*) from django_migrations; select count(*) from django_session"
  ss -Hlntx | awk '{print $1, $5}' | sort
} | sha256sum
"""


def digest(vm) -> str:
    return vm.run(DIGEST, timeout=300).stdout.strip()


def test_checker_and_doctor_leave_the_vm_unchanged(course_states, checkers_home):
    vm = course_states.vm
    vm.at_step("step11")
    before = digest(vm)
    assert digest(vm) == before  # the digest itself is stable
    for step in [f"step{k}" for k in range(12)] + ["all", "doctor"]:
        result = check_vm(vm, step, "--json", home=checkers_home)
        assert result.rc in (0, 1), result.stdout + result.stderr
    assert digest(vm) == before
