"""A real Yjs client for tests: pycrdt's Provider over a `websockets` connection."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pycrdt import Doc, Provider
from websockets.asyncio.client import ClientConnection, connect

from collab.schema import doc_json, doc_new
from tests.waiting import async_wait_until


class WebsocketChannel:
    """pycrdt's Channel protocol on a websockets connection (awareness messages are skipped)."""

    def __init__(self, websocket: ClientConnection, path: str) -> None:
        self.websocket = websocket
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> "WebsocketChannel":
        return self

    async def __anext__(self) -> bytes:
        return await self.recv()

    async def send(self, message: bytes) -> None:
        await self.websocket.send(message)

    async def recv(self) -> bytes:
        while True:
            message = await self.websocket.recv()
            if isinstance(message, bytes) and message[:1] == b"\x00":
                return message


@asynccontextmanager
async def yclient(base_url: str, project_id: int, token: str, doc: Doc | None = None,
                  served_by: list[str | None] | None = None) -> AsyncIterator[Doc]:
    """A synced Yjs document over the storyboard socket; `served_by` gets the balancer's
    X-Served-By (which web process took the socket) where one answers it."""
    url = f"{base_url.replace('http', 'ws', 1)}/ws/projects/{project_id}/storyboard"
    doc = doc or doc_new()
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        # An unbounded queue: a busy test process must keep reading (and answering pings).
        connect(url, additional_headers=headers, origin=base_url,
                max_size=None, max_queue=None) as websocket,
        Provider(doc, WebsocketChannel(websocket, url)) as provider,
    ):
        await asyncio.wait_for(provider.synced.wait(), 10)
        if served_by is not None and websocket.response is not None:
            served_by.append(websocket.response.headers.get("X-Served-By"))
        yield doc


async def settle(*docs: Doc, timeout: float = 20.0) -> None:
    """Wait until every doc holds the same state."""
    await async_wait_until(lambda: len({json.dumps(doc_json(doc), sort_keys=True) for doc in docs}) == 1,
                           timeout=timeout, message="documents did not converge")
