"""The supervisor restarts a child that keeps dying with a growing delay, and never stops the
healthy ones because of it (a web process crashed by requests must not take the workers down)."""

import io
import sys
import threading
import time

from core.supervisor import Child, Supervisor
from tests.waiting import assert_nothing_within, wait_until

# A child that stays up (and ends by itself should it ever be left behind).
STAYS_UP = [sys.executable, "-c", "import time; time.sleep(120)"]


def fast_supervisor() -> tuple[Supervisor, io.StringIO]:
    out = io.StringIO()
    supervisor = Supervisor(out=out, colour=False)
    supervisor.BACKOFF_FIRST_S, supervisor.BACKOFF_MAX_S = 0.05, 0.4
    return supervisor, out


def test_the_delay_doubles_up_to_its_ceiling() -> None:
    supervisor = Supervisor(out=io.StringIO())
    assert [supervisor.backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_child_that_keeps_crashing_never_takes_the_healthy_ones_down() -> None:
    supervisor, out = fast_supervisor()
    healthy = Child("worker", STAYS_UP)
    crashing = Child("web", [sys.executable, "-c", "import os; os.abort()"])
    supervisor.start(healthy)
    supervisor.start(crashing)
    first_pid = healthy.process.pid if healthy.process else None
    watcher = threading.Thread(target=supervisor.watch, kwargs={"poll": 0.02}, daemon=True)
    watcher.start()
    try:
        wait_until(lambda: crashing.failures >= 8, timeout=60, message=out.getvalue)
        assert crashing.failures >= 8, out.getvalue()
        assert watcher.is_alive()  # still supervising, not given up
        assert healthy.process is not None and healthy.process.poll() is None
        assert healthy.process.pid == first_pid and healthy.failures == 0
        log = out.getvalue()
        assert "web      | exited with code -6; restarting in 0.05 s" in log
        assert "restarting in 0.4 s" in log  # the delay grew to its ceiling
        assert "stopping everything" not in log
    finally:
        supervisor.stop(timeout=2)
        watcher.join(timeout=5)
    assert not watcher.is_alive()
    assert healthy.process.poll() is not None


def test_a_child_that_cannot_start_is_tried_again_later() -> None:
    supervisor, out = fast_supervisor()
    attempts: list[int] = []

    def ready(process: object) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise TimeoutError("did not answer")

    child = Child("web", STAYS_UP, ready=ready)
    supervisor.children.append(child)
    child.failures, child.restart_at = 1, time.monotonic()
    watcher = threading.Thread(target=supervisor.watch, kwargs={"poll": 0.02}, daemon=True)
    watcher.start()
    try:
        wait_until(lambda: len(attempts) >= 3, timeout=30, message=out.getvalue)
        assert len(attempts) == 3
        assert out.getvalue().count("restart failed (did not answer)") == 2
        # The third start succeeded: for a while (many of the watcher's polls) it is kept, not failed again.
        assert_nothing_within(0.3, lambda: child.restart_at is not None or child.process is None
                              or child.process.poll() is not None, message=out.getvalue)
        assert child.process is not None and child.process.poll() is None and child.restart_at is None
    finally:
        supervisor.stop(timeout=2)
        watcher.join(timeout=5)


def test_a_process_that_exits_has_its_live_gauges_forgotten(tmp_path) -> None:
    """A web process that died leaves /metrics: its open-websocket gauge no longer counts."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    from kernel.metrics import process_dead

    out = io.StringIO()
    supervisor = Supervisor(out=out, colour=False, on_exit=lambda pid: process_dead(pid, str(tmp_path)))
    supervisor.BACKOFF_FIRST_S = 60  # (not restarted within the test)
    opens_a_socket = [sys.executable, "-c", (
        "from prometheus_client import Gauge; "
        "Gauge('open_sockets', 'x', multiprocess_mode='livesum').inc(); import sys; sys.exit(1)")]
    child = Child("web", opens_a_socket, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})
    supervisor.start(child)
    assert child.process is not None and child.process.wait(timeout=30) == 1
    assert list(tmp_path.glob(f"gauge_livesum_{child.process.pid}.db"))
    watcher = threading.Thread(target=supervisor.watch, kwargs={"poll": 0.02}, daemon=True)
    watcher.start()
    try:
        wait_until(lambda: child.failures >= 1, timeout=10, message=out.getvalue)
    finally:
        supervisor.stop(timeout=2)
        watcher.join(timeout=5)
    assert not list(tmp_path.glob(f"gauge_livesum_{child.process.pid}.db"))
    registry = CollectorRegistry()
    MultiProcessCollector(registry, str(tmp_path))
    assert registry.get_sample_value("open_sockets") in (None, 0.0)
