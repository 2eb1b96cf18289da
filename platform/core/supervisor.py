"""Start child processes, prefix their output, restart the ones that die, stop them all.

Each child runs in its own session (process group), so Ctrl-C reaches only this supervisor,
which then stops the children in order and kills whatever is left of each group. A child that
keeps dying is restarted after a delay that doubles each time (up to a minute), and is never a
reason to stop the others: a web process crashed by some request must not take the workers,
the chain node and Redis down with it.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

COLOURS = ["36", "35", "33", "32", "34", "31"]


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    ready: Callable[[subprocess.Popen], None] | None = None  # blocks until usable, or raises
    stop_signal: int = signal.SIGTERM  # anvil saves its state on SIGINT, as on a person's Ctrl-C
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # exits in a row, each without a STABLE_AFTER_S run in between
    restart_at: float | None = None  # when it is down, waiting for its next start


class Supervisor:
    BACKOFF_FIRST_S = 1.0
    BACKOFF_MAX_S = 60.0
    STABLE_AFTER_S = 60.0  # a child up this long starts its backoff from the beginning again

    def __init__(self, *, out: IO[str] = sys.stdout, colour: bool | None = None,
                 on_exit: Callable[[int], None] | None = None) -> None:
        self.children: list[Child] = []
        self.on_exit = on_exit  # called with the pid of a child that exited
        self.out = out
        self.colour = out.isatty() if colour is None else colour
        self.width = 8
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def log(self, name: str, line: str) -> None:
        label = name.ljust(self.width)
        names = [c.name for c in self.children]
        if self.colour and name in names:
            label = f"\033[{COLOURS[names.index(name) % len(COLOURS)]}m{label}\033[0m"
        with self._lock:
            self.out.write(f"{label} | {line.rstrip()}\n")
            self.out.flush()

    def _pump(self, child: Child, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.log(child.name, raw.decode(errors="replace"))
        stream.close()

    def start(self, child: Child) -> None:
        if child not in self.children:
            self.children.append(child)
            self.width = max(self.width, len(child.name))
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(child.env or {})}
        child.process = subprocess.Popen(
            child.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        child.started_at = time.monotonic()
        assert child.process.stdout is not None
        threading.Thread(target=self._pump, args=(child, child.process.stdout), daemon=True).start()
        if child.ready is not None:
            child.ready(child.process)

    def backoff(self, failures: int) -> float:
        """Seconds before the next start of a child that failed `failures` times in a row (>= 1)."""
        return min(self.BACKOFF_MAX_S, self.BACKOFF_FIRST_S * 2 ** (failures - 1))

    def watch(self, poll: float = 0.5) -> None:
        """Restart children that exit, each after its own backoff, until stop() is called."""
        while not self.stopping.wait(poll):
            for child in self.children:
                if self.stopping.is_set():
                    return
                if child.restart_at is not None:
                    if time.monotonic() >= child.restart_at:
                        self._restart(child)
                    continue
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    if child.failures and time.monotonic() - child.started_at >= self.STABLE_AFTER_S:
                        child.failures = 0
                    continue
                self._failed(child, f"exited with code {code}")

    def _failed(self, child: Child, what: str) -> None:
        self._kill_group(child, signal.SIGKILL)  # whatever it left behind
        if self.on_exit is not None and child.process is not None:
            self.on_exit(child.process.pid)
        child.failures += 1
        delay = self.backoff(child.failures)
        child.restart_at = time.monotonic() + delay
        self.log(child.name, f"{what}; restarting in {delay:g} s")

    def _restart(self, child: Child) -> None:
        child.restart_at = None
        try:
            self.start(child)
        except Exception as exc:  # a child that cannot come back now is tried again later
            self._failed(child, f"restart failed ({exc})")

    def stop(self, timeout: float = 8.0) -> None:
        """Stop children in reverse start order (web first, Valkey last); SIGKILL stragglers."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            self._kill_group(child, child.stop_signal)
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.5, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(child.name, "did not stop in time; killing")
            self._kill_group(child, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=2)

    @staticmethod
    def _kill_group(child: Child, sig: int) -> None:
        if child.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, sig)
