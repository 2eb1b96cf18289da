"""Filesystem locations shared by settings, the `up` command and tests."""

import hashlib
import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# Database file, sockets, keys, media and logs of the embedded set-up. Movable so a test can
# boot the whole platform on a clean directory.
VAR_DIR = Path(os.environ.get("STORYLOOM_VAR_DIR", BASE_DIR / "var")).resolve()

_UNIX_SOCKET_MAX = 100  # sun_path holds 108 bytes; keep a margin


def valkey_socket(name: str = "valkey") -> Path:
    path = VAR_DIR / f"{name}.sock"
    if len(str(path)) <= _UNIX_SOCKET_MAX:
        return path
    # A deep checkout: put the socket in the temp dir, unique per checkout.
    digest = hashlib.sha256(str(VAR_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"storyloom-{digest}-{name}.sock"
