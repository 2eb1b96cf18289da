"""What websockets may cost, for every socket of the platform.

Frames: the server process refuses frames over WS_MAX_FRAME_BYTES (uvicorn's --ws-max-size,
passed by `manage.py up` and tests/servers.py); consumers (BoundedConsumer) check again and
close with 1009, so that a server started without the flag is bounded too.

Handshakes: at most WS_CONNECTS_PER_MINUTE_ACCOUNT per account and WS_CONNECTS_PER_MINUTE_ADDRESS
per client address (kernel.client_address: X-Forwarded-For only behind TRUSTED_PROXIES), counted
in Redis (shared by every server process) over the minute that starts with the first one, through
one client per process: Django's cache would open a client per socket's task and keep it as long
as the socket stays open (1,000 idle sockets held 1,000 Redis connections). Over the limit the
handshake itself is refused, before the consumer runs: HTTP 429 with Retry-After where the server
can answer a handshake with a response (uvicorn), else a plain refusal (403). A browser sees a
socket that failed to open (close 1006) and retries with its backoff, y-websocket's (growing up to
its maxBackoffTime) as well as the events script's. Accepting and then closing would read, to
y-websocket 3, as a permanent 44xx refusal (it stops for good) or a socket that opened (the events
script resets its backoff).
"""

from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from kernel.api.parsers import json_loads_bounded
from kernel.client_address import address_from_scope
from kernel.metrics import gauge
from kernel.redis_client import redis_client

CLOSE_TOO_BIG = 1009  # RFC 6455 "message too big"
CLOSE_REFUSED = 1008  # (a refused handshake: browsers see 1006 whatever it says)
CLOSE_UNSUPPORTED = 1003  # a binary frame where text is spoken
CLOSE_INVALID = 1007  # not JSON, or nested too deep
WINDOW_S = 60
connections_open = gauge("websocket_connections", "Open websockets, by consumer.", ("socket",))


def frame_too_big(text_data: str | None, bytes_data: bytes | None) -> bool:
    limit = settings.WS_MAX_FRAME_BYTES
    if bytes_data is not None:
        return len(bytes_data) > limit
    if text_data is None or len(text_data) * 4 <= limit:  # (UTF-8: at most 4 bytes a character)
        return False
    return len(text_data) > limit or len(text_data.encode()) > limit


class BoundedConsumer(AsyncWebsocketConsumer):
    """A websocket consumer that refuses frames over WS_MAX_FRAME_BYTES (1009) and closes once:
    what a client sent after the close, and what the consumer would send after it, is dropped
    (uvicorn raises on a send after the close: a traceback, and the socket drops abruptly)."""

    closed = False
    counted = False  # (in the open-connections gauge)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if not self.counted:
            self.counted = True
            connections_open.labels(type(self).__name__).inc()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.counted:
            self.counted = False
            connections_open.labels(type(self).__name__).dec()
        await super().websocket_disconnect(message)

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        if frame_too_big(message.get("text"), message.get("bytes")):
            await self.close(code=CLOSE_TOO_BIG)
            return
        await super().websocket_receive(message)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None:
        if not self.closed:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if not self.closed:
            self.closed = True
            await super().close(code=code, reason=reason)


class BoundedJsonConsumer(BoundedConsumer, AsyncJsonWebsocketConsumer):
    """A JSON event stream's socket: clients send small JSON text frames (pings, answered with a
    pong); anything else closes it with the code that says why (1003: not text; 1007: not JSON,
    or nested deeper than API_JSON_MAX_DEPTH; 1009, over WS_MAX_FRAME_BYTES, is BoundedConsumer's)."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None,
                      **kwargs: Any) -> None:
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED)
            return
        try:
            content = json_loads_bounded(text_data, max_depth=settings.API_JSON_MAX_DEPTH)
        except ValueError:
            await self.close(code=CLOSE_INVALID)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


def _hit(key: str) -> int:
    """Count one more in the window of `key` (which the first count opens); how many it holds now."""
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{key}"  # (which tests clear between tests)
    with redis_client().pipeline() as pipe:  # one round trip, atomic (MULTI)
        pipe.incr(key)
        pipe.expire(key, WINDOW_S, nx=True)
        count, _ = pipe.execute()
    return int(count)


def _connect_counted(address: str | None, user_id: int | None) -> bool:
    """Count a handshake from `address` by `user_id`; whether it is within both limits."""
    if address is not None and _hit(f"ws-connect:address:{address}") > (
            settings.WS_CONNECTS_PER_MINUTE_ADDRESS):
        return False
    return user_id is None or _hit(f"ws-connect:account:{user_id}") <= (
        settings.WS_CONNECTS_PER_MINUTE_ACCOUNT)


_counted = sync_to_async(_connect_counted, thread_sensitive=False)


def _user_id(scope: dict[str, Any]) -> int | None:
    user = scope.get("user")
    return user.pk if user is not None and user.is_authenticated else None


async def _refuse(scope: dict[str, Any], send: Any) -> None:
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = _("Too many connections: try again in a minute.").encode()
        await send({"type": "websocket.http.response.start", "status": 429,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"retry-after", str(WINDOW_S).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": CLOSE_REFUSED})


class ConnectRateLimit:
    """ASGI middleware in front of a websocket consumer, inside the authentication middleware
    (it counts per account too)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket" or await _counted(address_from_scope(scope), _user_id(scope)):
            return await self.application(scope, receive, send)
        message = await receive()
        if message["type"] == "websocket.connect":
            await _refuse(scope, send)
        return None
