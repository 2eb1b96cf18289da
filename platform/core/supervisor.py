"""Start child processes, prefix their output, restart the ones that die, stop them all.

Each child runs in its own session (process group), so Ctrl-C reaches only this supervisor,
which then stops the children in order and kills whatever is left of each group.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    MAX_RESTARTS_PER_MINUTE = 5

    def __init__(self, *, out: IO[str] = sys.stdout, colour: bool | None = None) -> None:
        self.children: list[Child] = []
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
        assert child.process.stdout is not None
        threading.Thread(target=self._pump, args=(child, child.process.stdout), daemon=True).start()
        if child.ready is not None:
            child.ready(child.process)

    def watch(self, poll: float = 0.5) -> int:
        """Restart children that exit until stop() is called; give up on one that keeps dying."""
        while not self.stopping.wait(poll):
            for child in self.children:
                assert child.process is not None
                code = child.process.poll()
                if code is None or self.stopping.is_set():
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                if len(child.restarts) > self.MAX_RESTARTS_PER_MINUTE:
                    self.log(child.name, f"exited with code {code} too often; stopping everything")
                    return 1
                self.log(child.name, f"exited with code {code}; restarting")
                self._kill_group(child, signal.SIGKILL)
                try:
                    self.start(child)
                except Exception as exc:  # a child that cannot come back is logged and retried
                    self.log(child.name, f"restart failed: {exc}")
        return 0

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
