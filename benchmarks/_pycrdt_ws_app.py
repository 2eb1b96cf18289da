"""The collaboration relay benchmark's baseline: pycrdt-websocket's own ASGI server.

One in-memory YRoom per URL path, no authentication, no storage. Run it with
`uvicorn _pycrdt_ws_app:app --lifespan on` (the WebsocketServer lives for the lifespan).
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pycrdt.websocket import ASGIServer, WebsocketServer

log = logging.getLogger("pycrdt_ws_baseline")


def _log_and_continue(exception: Exception, logger: logging.Logger) -> bool:
    # A send to a client that has just gone away must not stop the room for everyone else.
    logger.warning("pycrdt-websocket: %r", exception)
    return True


websocket_server = WebsocketServer(rooms_ready=True, auto_clean_rooms=True,
                                   exception_handler=_log_and_continue, log=log)
_asgi = ASGIServer(websocket_server)


async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
              send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    if scope["type"] != "lifespan":
        await _asgi(scope, receive, send)
        return
    async with websocket_server:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
