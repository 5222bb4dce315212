"""Real-VM tier: ONE QEMU VM of the offline course image for the whole test session.

The `vm` fixture (session scope) is a lab.harness.CourseVM:
    vm.ssh_config   Path of an ssh-config in `vagrant ssh-config` form (Host default)
    vm.ssh_port     host port forwarded to the guest's 22 (127.0.0.1)
    vm.http_port    host port forwarded to the guest's 80 (127.0.0.1)
    vm.run(cmd, check=True, timeout=300, input=None) -> CompletedProcess   (as vagrant; sudo works)
    vm.apply_solution("step3")      run exercises/solutions/step3.sh on the VM (`bash -s`, as vagrant)
    vm.run_script(path, extra_files=[lib], args=(), timeout=600, sudo=False)   copy + run a script
    vm.snapshot(name) / vm.restore(name)   QEMU internal snapshots (RAM + disk), restore fixes the clock
    vm.reset()                       back to the fresh, provisioned VM (snapshot "fresh")
    vm.at_step("step7")              state after solutions step0..step7 (snapshot cached per step)
    vm.reboot()                      reboot the guest and wait until systemd is up
    vm.http_get("/static/x.css", retry_for=10) -> HttpResponse(status, headers, body, text)

If the machine cannot run a VM the fixture FAILS with the reason (never skips).
The VM is stopped at session end, also when tests fail or the session is interrupted.
"""

from __future__ import annotations

import atexit
import signal
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.harness import CourseVM, start_session_vm, stop_session_vm, write_timings

HERE = Path(__file__).resolve().parent
TIMINGS_FILE = HERE.parent / "artifacts" / "vm-timings.json"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.vm)


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def vm(request) -> CourseVM:
    def log(msg: str) -> None:
        print(msg, flush=True)

    # A CI time-out sends SIGTERM: turn it into KeyboardInterrupt so the teardown below runs.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    try:
        course_vm = start_session_vm(log=log)
    except LabError as exc:
        pytest.fail(f"Na tomto stroji nejde spustit kurzový stroj: {exc}", pytrace=False)
    except OSError as exc:  # e.g. qemu binary missing, no permission
        pytest.fail(f"Na tomto stroji nejde spustit kurzový stroj: {exc}", pytrace=False)
    atexit.register(course_vm.stop, graceful=False)  # last resort if teardown never runs
    try:
        yield course_vm
    finally:
        try:
            write_timings(course_vm, TIMINGS_FILE)
        finally:
            stop_session_vm(course_vm)


@pytest.fixture
def fresh_vm(vm: CourseVM) -> CourseVM:
    """The session VM reset to the freshly provisioned state."""
    vm.reset()
    return vm


@pytest.fixture
def solved_vm(vm: CourseVM) -> CourseVM:
    """The session VM after all reference solutions (step0 … step11)."""
    vm.at_step("step11")
    return vm



from tests.vm.course_states import course_states  # noqa: E402,F401  (the walk through all steps, for the checks' proof)
