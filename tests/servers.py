"""Real server processes for tests: uvicorn serving core.asgi on the test database and Redis."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.waiting import WaitTimeout, wait_until

ROOT = Path(__file__).resolve().parents[1]
# Every server and worker started, in order: tests/conftest.py stops those a test left running.
STARTED: list["AsgiServer | CeleryWorker"] = []


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{db['HOST']}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the cluster's balancer and its web processes),
    below the ephemeral range, where outgoing connections do not take them meanwhile."""
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(20_000, 30_000)
        socks = [socket.socket() for _ in range(count)]
        try:
            for offset, sock in enumerate(socks):
                sock.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def manage_shell(env: dict[str, str], code: str, timeout: float = 600) -> str:
    """Run Python in a Django shell with `env` (a platform that `up` runs, say); what it printed."""
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip()


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a process started on the test database, Redis and channel prefix
    (call with database access allowed: it reads the test database's name)."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings.test",
            "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
            "STORYLOOM_TEST_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class AsgiServer:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, port: int | None = None, **extra_env: str) -> "AsgiServer":
        """Call with database access allowed (it reads the test database's name)."""
        port = port or free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "core.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--ws", "websockets-sansio",
             "--ws-max-size", str(settings.WS_MAX_FRAME_BYTES), "--no-proxy-headers",
             "--lifespan", "off", "--log-level", "warning"], cwd=ROOT, env=child_env(**extra_env))
        server = cls(process, port)
        STARTED.append(server)

        def live() -> bool:
            try:
                urllib.request.urlopen(f"{server.url}/livez", timeout=2).close()
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("it exited") from None
                return False
            return True

        try:
            wait_until(live, timeout=60, interval=0.1, message="the test server did not answer /livez")
        except (RuntimeError, WaitTimeout) as error:
            server.kill()
            raise RuntimeError(f"the test server did not start: {error}") from None
        return server

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class CeleryWorker:
    """A real Celery worker (prefork, one child) on the test database and broker."""

    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(cls, log_path: Path, queues: str = "gpu,default", **extra_env: str) -> "CeleryWorker":
        """Call with database access allowed (it reads the test database's name)."""
        env = child_env(**extra_env)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "core", "worker", "-Q", queues, "--concurrency", "1",
                 "--loglevel", "INFO", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        worker = cls(process, log_path)
        STARTED.append(worker)

        def ready() -> bool:
            if b" ready." in log_path.read_bytes():
                return True
            if process.poll() is not None:
                raise RuntimeError("it exited")
            return False

        try:
            wait_until(ready, timeout=120, interval=0.1, message="it never said it was ready")
        except (RuntimeError, WaitTimeout) as error:
            worker.stop()
            log = log_path.read_text()[-3000:]
            raise RuntimeError(f"the Celery worker did not start ({error}): {log}") from None
        return worker

    def children(self) -> list[int]:
        """The pool's child processes (where tasks run)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class StalledNode:
    """A server that accepts connections and never answers (a stalled chain node), counting them."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.connections.append(self.server.accept()[0])

    def close(self) -> None:
        for sock in [*self.connections, self.server]:
            sock.close()
