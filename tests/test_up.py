"""`manage.py up` boots the whole platform on a clean var/, reports healthy, and stops cleanly."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
HEALTH_TOKEN = "boot-test-" + "h" * 32  # the detailed /healthz is for staff and monitors
pytestmark = pytest.mark.slow


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries the marker: every child `up` started, at any depth."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if marker.encode() in environ.split(b"\0") and state != "Z":
            pids.append(int(entry.name))
    return pids


def _health(port: int, timeout: float) -> dict:
    last: list[object] = [None]

    def healthy() -> dict | None:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                             headers={"Authorization": f"Bearer {HEALTH_TOKEN}"})
            with urllib.request.urlopen(request, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            last[0] = json.loads(exc.read())
        except OSError as exc:
            last[0] = exc
        return None

    return wait_until(healthy, timeout=timeout, interval=0.5,
                      message=lambda: f"/healthz never returned 200; last answer: {last[0]}")


def stop_up(up: subprocess.Popen, marker: str, timeout: float = 20) -> None:
    """Stop `manage.py up` as a person would (Ctrl-C), killing it if it does not stop in time;
    then whatever it started that is still there."""
    up.send_signal(signal.SIGINT)
    try:
        up.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        up.kill()
    for pid in _processes_with(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _command_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            lines.append((Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return lines


def _boot_and_stop(env: dict[str, str], log: Path, marker: str, stop: int) -> dict:
    port = free_port()
    with log.open("w") as out:
        up = subprocess.Popen([sys.executable, "manage.py", "up", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            report = _health(port, timeout=120)
            assert _processes_with(marker), "no child processes found"
            report["command_lines"] = _command_lines(_processes_with(marker))
            up.send_signal(stop)
            assert up.wait(timeout=60) == 0, log.read_text()[-3000:]
        finally:
            if up.poll() is None:  # a failed check: stop it as a person would, so nothing is left
                stop_up(up, marker)
    # `up` has exited; its children are on their way out (or already gone).
    wait_until(lambda: _processes_with(marker) == [], timeout=10, message="children survived the stop")
    assert _processes_with(marker) == [], "children survived the stop"
    return report


def test_up_boots_on_clean_var_reports_healthy_and_stops(tmp_path):
    var = tmp_path / "var"
    marker = f"STORYLOOM_VAR_DIR={var}"
    dropped = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(STORYLOOM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="core.settings.local",
               ANVIL_PORT=str(free_port()), HEALTH_TOKEN=HEALTH_TOKEN)

    report = _boot_and_stop(env, tmp_path / "first.log", marker, signal.SIGTERM)
    assert report["status"] == "up"
    # The web bounds websocket frames; webhook deliveries have a worker of their own.
    commands = report["command_lines"]
    assert any("uvicorn" in line and "--ws-max-size 1048576" in line and "--no-proxy-headers" in line
               for line in commands), commands
    assert any("worker -Q webhooks" in line for line in commands), commands
    assert {name for name, part in report["checks"].items() if part["status"] == "up"} == {
        "database", "redis", "workers", "chain"}
    first = (tmp_path / "first.log").read_text()
    assert "Demo users (created now):" in first
    creds = json.loads((var / "demo-credentials.json").read_text())
    assert set(creds) == {"ada", "ben", "chen"}
    for name, password in creds.items():
        assert f"{name:<6} password {password}" in first

    # A second start reuses the data: same demo, not created again. Ctrl-C stops it.
    _boot_and_stop(env, tmp_path / "second.log", marker, signal.SIGINT)
    second = (tmp_path / "second.log").read_text()
    assert "Demo users:" in second and "(created now)" not in second
    # The chain kept its state (anvil saves it when stopped): the registry is deployed only once.
    assert re.search(r"Chain ready: registry 0x[0-9a-fA-F]{40}, .*\(funded and deployed now\)", first), first
    registry = re.findall(r"Chain ready: registry (0x[0-9a-fA-F]{40})", first)[0]
    licensing = re.findall(r"licensing (0x[0-9a-fA-F]{40}), stablecoin 0x[0-9a-fA-F]{40}, signer", first)[0]
    assert f"Chain ready: registry {registry}, licensing {licensing}, " in second  # the same contracts
    assert "deployed now" not in second
    assert json.loads((var / "demo-credentials.json").read_text()) == creds
