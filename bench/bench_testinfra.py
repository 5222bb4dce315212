"""Benchmark (issue 4): our one-probe checker vs. the same checks of step7–step10 written the
naive way with pytest-testinfra (one remote command per assertion), against the same running VM.

    .venv/bin/python bench/bench_testinfra.py --ssh-config PATH [--repeat 3]

PATH is an ssh-config of a solved course VM (Host default), e.g. from `python -m lab up`
(~/.cache/django-v-produkci/lab/course/ssh-config) after applying the reference solutions.
Prints wall times, remote command counts and the ratios, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.cli import run_cli  # noqa: E402

STEPS = ["step7", "step8", "step9", "step10"]


def naive_checks(host) -> list[bool]:
    """The step7–step10 checks as a testinfra user would write them."""
    project = "/srv/my_project"
    results = []
    nginx = host.service("nginx")
    results += [host.package("nginx").is_installed, nginx.is_running, nginx.is_enabled]
    results.append(host.run("nginx -t").rc == 0)
    results.append(host.file("/etc/nginx/sites-available/my_project").exists)
    results.append(host.file("/etc/nginx/sites-enabled/my_project").is_symlink)
    results.append(host.file("/etc/nginx/sites-enabled/my_project").linked_to == "/etc/nginx/sites-available/my_project")
    results.append("my_project" in host.file("/etc/nginx/sites-available/my_project").content_string)
    results.append(host.run("curl -s -o /dev/null -w %{http_code} http://127.0.0.1/static/galerie/styl.css").stdout == "200")
    results.append(host.run("curl -s -o /dev/null -w %{http_code} http://127.0.0.1/media/obrazky/ukazka.svg").stdout == "200")
    results.append(host.file(f"{project}/.venv/bin/gunicorn").exists)
    results.append(host.socket("unix:///tmp/gunicorn.sock").is_listening)
    results.append(host.run("curl -s --unix-socket /tmp/gunicorn.sock -o /dev/null -w %{http_code} -H 'Host: 127.0.0.1' http://x/").stdout == "200")
    results.append(host.run("curl -s -o /dev/null -w %{http_code} http://127.0.0.1/").stdout == "200")
    gunicorn = host.service("gunicorn")
    results += [gunicorn.is_valid, gunicorn.is_enabled, gunicorn.is_running]
    props = gunicorn.systemd_properties
    results.append(props.get("User") not in ("", "root"))
    results.append(props.get("Restart") == "on-failure")
    results.append(host.run(f"sudo -u www-data test -x {project}").rc == 0)
    results.append(host.run(f"sudo -u www-data test -w {project}/media").rc == 0)
    results.append(host.package("postgresql").is_installed)
    results.append(host.service("postgresql").is_running)
    results.append(host.run("sudo -u postgres psql -tAc \"select 1 from pg_database where datname='myproject'\"").stdout.strip() == "1")
    results.append(host.run("sudo -u postgres psql -tAc \"select pg_get_userbyid(datdba) from pg_database where datname='myproject'\"").stdout.strip() == "myprojectuser")
    results.append(host.run(f"{project}/.venv/bin/pip show psycopg2-binary").rc == 0)
    results.append(host.run(f"cd {project} && .venv/bin/python -c \"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','my_project.settings'); django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])\"").stdout.strip().endswith("postgresql"))
    results.append(host.run(f"cd {project} && .venv/bin/python manage.py migrate --check").rc == 0)
    return results


def run_testinfra(ssh_config: str) -> tuple[float, int, int, int]:
    host = testinfra.get_host("paramiko://default", ssh_config=ssh_config, sudo=True)
    backend = host.backend
    counter = {"n": 0}
    original = backend.run

    def counting(command, *args, **kwargs):
        counter["n"] += 1
        return original(command, *args, **kwargs)

    backend.run = counting
    start = time.perf_counter()
    results = naive_checks(host)
    elapsed = time.perf_counter() - start
    return elapsed, counter["n"], sum(results), len(results)


def run_ours(ssh_config: str, home: Path) -> tuple[float, int]:
    facts = home / "facts.json"
    start = time.perf_counter()
    result = run_cli("--target", "ssh://default", "--ssh-config", ssh_config, "--json", "--save-facts", str(facts),
                     "all", home=home)
    elapsed = time.perf_counter() - start
    if result.rc not in (0, 1):
        raise SystemExit(result.stderr)
    return elapsed, json.loads(facts.read_text())["gathered"]["remote_executions"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ssh-config", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    ours, naive = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(options.repeat):  # interleaved, so both see the same machine load
            ours.append(run_ours(options.ssh_config, Path(tmp)))
            naive.append(run_testinfra(options.ssh_config))
    ours_time = statistics.median(t for t, _ in ours)
    naive_time = statistics.median(t for t, _, _, _ in naive)
    ours_cmds = ours[-1][1]
    naive_cmds = naive[-1][1]
    print(f"ours (all steps, 1 probe):        {ours_time:8.2f} s  {ours_cmds:4d} remote command(s)")
    print(f"testinfra (step7–10 only, naive): {naive_time:8.2f} s  {naive_cmds:4d} remote commands "
          f"({naive[-1][2]} of {naive[-1][3]} assertions true)")
    print(f"remote commands: testinfra / ours = {naive_cmds / ours_cmds:.1f}×")
    print(f"wall time:       testinfra / ours = {naive_time / ours_time:.1f}×")


if __name__ == "__main__":
    main()
