"""Shared fixtures. With REDIS_URL unset the suite runs its own embedded Valkey."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from core.valkey import valkey_command, valkey_wait
from kernel.redis_urls import socket_path
from tests import servers
from tests.servers import AsgiServer

# Fixtures shared across packages (pytest reads pytest_plugins in the root conftest only).
pytest_plugins = ["tests.plugins.chain", "tests.plugins.logs", "tests.plugins.works"]


@pytest.fixture(scope="session", autouse=True)
def redis_server() -> Iterator[str]:
    if not settings.EMBEDDED_REDIS:
        yield settings.REDIS_URL
        return
    socket = Path(socket_path(settings.REDIS_URL))
    socket.parent.mkdir(parents=True, exist_ok=True)
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(valkey_command(socket), stdout=subprocess.DEVNULL)
    try:
        valkey_wait(socket, process=process)
        yield settings.REDIS_URL
    finally:
        process.terminate()
        process.wait(timeout=10)
        socket.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _no_server_outlives_its_test() -> Iterator[None]:
    """Stops a server or worker that a test started and left running: a timeout that strikes before
    the test's own `finally` gets to it leaves them up, and a leftover worker on the shared broker
    takes later tests' renders and transactions. (Those of module and session fixtures were started
    before this fixture, so they stay.)"""
    before = len(servers.STARTED)
    yield
    for started in servers.STARTED[before:]:
        if started.process.poll() is None:
            started.stop()
    del servers.STARTED[before:]


@pytest.fixture(autouse=True)
def _clear_cache(redis_server: str) -> None:
    """Throttle counters and cached values must not leak from one test into the next."""
    import redis
    from django.core.cache import cache

    from kernel.redis_urls import for_redis_py

    # Only this run's keys: a shared Redis may hold a running platform's data.
    client = redis.Redis.from_url(for_redis_py(settings.REDIS_URL))
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each test starts in the default language: a request in Chinese leaves its language active
    in the thread that served it (the test client's is the test's own)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker, redis_server) -> Iterator[str]:
    """A real ASGI server process (uvicorn) on the test database and Redis."""
    with django_db_blocker.unblock():
        server = AsgiServer.start()
    try:
        yield server.url
    finally:
        server.stop()
