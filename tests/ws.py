"""Helpers for websocket tests through the whole ASGI stack (origin check, auth, router)."""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User

T = TypeVar("T")


def headers(user: User | None = None, origin: bytes = b"http://127.0.0.1") -> list:
    """Browser-like headers; a signed-in user's session cookie when `user` is given."""
    out = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if user is not None:
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        out.append((b"cookie", f"{name}={client.cookies[name].value}".encode()))
    return out


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario in a fresh event loop; then close the database connections that it and
    its sync_to_async worker thread opened, so the test database can be dropped.
    (For transactional tests: closing the caller's connection ends any test transaction.)"""

    async def main() -> T:
        try:
            return await scenario
        finally:
            await sync_to_async(connections.close_all)()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        # Unlike asyncio.run, do not wait forever for leftover tasks: a channel-layer receive
        # cancelled in the middle of a blocking Redis read can fail to finish.
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=5))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        channel_layers.backends.clear()  # its per-loop state must not outlive the loop
        connections.close_all()
