"""The checker never changes the student's VM (issue 4, point 5): a digest of /etc, the project,
unit states, databases and listening sockets is identical before and after every step, `all`
and `doctor`. The state is compared line by line, so a failure names what changed."""

from __future__ import annotations

import difflib
import re

import pytest

from tests.helpers.vm_checker import check_vm

pytestmark = pytest.mark.vm

DIGEST = r"""
set -e
for unit in $(systemctl show -P Triggers $(systemctl list-units --all --type=timer --no-legend --plain | awk '{print $1}')); do
  echo "timer-activated $unit"
done
{
  sudo find /etc /srv/my_project -xdev \( -type f -o -type l -o -type d -o -type s \) -printf '%p %m %u %g %T@ %s\n' 2>/dev/null | sort
  sudo find /etc /srv/my_project -xdev -type f -print0 2>/dev/null | sort -z | sudo xargs -0 sha256sum
  systemctl list-units --all --no-legend --plain | awk '{print $1, $2, $3, $4}' | sort
  systemctl list-unit-files --no-legend | sort
  sudo -u postgres psql -XAtc "select datname, pg_get_userbyid(datdba) from pg_database order by 1"
  sudo -u postgres psql -XAtc "select rolname, rolcanlogin, md5(coalesce(rolpassword,'')) from pg_authid order by 1"
  sudo -u postgres psql -XAt -d myproject -c "select count(*) from django_migrations; select count(*) from django_session"
  ss -Hlntx | awk '$5 != "*" {print $1, $5}' | sort
}
"""
# Not the checker's doing, so left out: logging in over SSH (as the checker must) opens a login
# session, listed as a session-N.scope unit for a while; restoring a snapshot jumps the clock, so
# timers start their services (logrotate, tmpfiles-clean…) in the middle of the run. Unnamed unix
# sockets (`*`: any process's passing datagram socket, e.g. sudo's to syslog) are no listeners.
LOGIN_SESSION = re.compile(r"^session-\d+\.scope\s")


def digest(vm) -> list[str]:
    lines = vm.run(DIGEST, timeout=300).stdout.splitlines()
    timer_activated = {line.split()[1] for line in lines if line.startswith("timer-activated ")}
    return [line for line in lines if not LOGIN_SESSION.match(line) and line.split(" ", 1)[0] not in timer_activated]


def changes(before: list[str], after: list[str]) -> str:
    diff = [line for line in difflib.unified_diff(before, after, "before", "after", lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(diff[:40])


def test_checker_and_doctor_leave_the_vm_unchanged(course_states, checkers_home):
    vm = course_states.vm
    vm.at_step("step11")
    before = digest(vm)
    assert len(before) > 1000 and any("gunicorn.service" in line for line in before)
    assert changes(before, digest(vm)) == ""  # the digest itself is stable
    for step in [f"step{k}" for k in range(12)] + ["all", "doctor"]:
        result = check_vm(vm, step, "--json", home=checkers_home)
        assert result.rc in (0, 1), result.stdout + result.stderr
        assert changes(before, digest(vm)) == "", f"after `{step}`"


POSTGRES_LOG = "/var/log/postgresql/postgresql-15-main.log"
# What PostgreSQL logs about a client that went away without saying goodbye (a connection left
# open at exit), or refused: the checker's own connections must never show up like that.
POSTGRES_COMPLAINTS = ("could not receive data from client", "unexpected EOF", "FATAL", "ERROR")


def test_checker_leaves_no_complaint_in_postgresql_s_log(course_states, checkers_home):
    vm = course_states.vm
    vm.at_step("step11")
    lines_before = int(vm.run(f"sudo wc -l {POSTGRES_LOG}").stdout.split()[0])
    for step in ("step10", "all", "doctor"):
        result = check_vm(vm, step, "--json", home=checkers_home)
        assert result.rc in (0, 1), result.stdout + result.stderr
    added = vm.run(f"sudo tail -n +{lines_before + 1} {POSTGRES_LOG}").stdout.splitlines()
    assert [line for line in added if any(word in line for word in POSTGRES_COMPLAINTS)] == []
