"""Storyboard notifications between server processes: Redis pub/sub, one connection each way
per process.

Every batch of committed updates and every awareness change is announced to the other
processes' rooms; so is every change of a member's access (ACCESS, published from synchronous
code after the change commits, heard by every process's room including the publisher's).
channels-redis's group_send costs about 1.5 ms of CPU per call (a Lua script
and several round trips; docs/ARCHITECTURE.md: ~670/s measured): with one call per room per batch it was
most of the server's CPU with 20 busy rooms. Here a batch's announcements for all rooms go out
in one pipeline of PUBLISH commands.

Pub/sub is at most once. Nothing is lost for good: the log is the truth, a room that sees a
gap in sequence numbers reads it back, and after the subscription connection drops (Redis
restarted, or a subscriber too slow for its output buffer) every room catches up from the log
and re-checks every member's access (an ACCESS announcement may have been lost meanwhile).
"""

import asyncio
import logging
import struct
import uuid
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import redis.asyncio
from django.conf import settings

from kernel.redis_client import redis_client
from kernel.redis_urls import for_redis_py

if TYPE_CHECKING:
    from collab.rooms import Room

log = logging.getLogger(__name__)

UPDATE, AWARENESS, ACCESS = 1, 2, 3  # ACCESS: a member's access changed; `first` is their user id
_HEADER = struct.Struct("!16sBQQ")  # origin, kind, first seq, last seq
NO_ORIGIN = bytes(16)  # announcements from outside any room (server edits): every room applies them


def channel_for(project_id: int) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:storyboard:{project_id}"


def frame(origin: bytes, kind: int, payload: bytes, first: int = 0, last: int = 0) -> bytes:
    return _HEADER.pack(origin, kind, first, last) + payload


def unframe(data: bytes) -> tuple[bytes, int, int, int, bytes]:
    origin, kind, first, last = _HEADER.unpack_from(data)
    return origin, kind, first, last, data[_HEADER.size:]


def _sync_publish(project_id: int, data: bytes) -> None:
    redis_client().publish(channel_for(project_id), data)


def announce_update(*, project_id: int, first: int, last: int, update: bytes) -> None:
    """Announce committed log entries from synchronous code (after its transaction commits)."""
    _sync_publish(project_id, frame(NO_ORIGIN, UPDATE, update, first, last))


def announce_access(*, project_id: int, user_id: int | None) -> None:
    """Tell every process's room of the project (this process's too: NO_ORIGIN) that the access
    of `user_id` (None: of everyone) changed; their sockets re-check it. From synchronous code,
    after the change commits."""
    _sync_publish(project_id, frame(NO_ORIGIN, ACCESS, b"", user_id or 0))


class _PubSub(redis.asyncio.client.PubSub):
    """redis-py resubscribes by itself after a reconnect; the fan-out must also catch up."""

    reconnected: Any = None

    async def on_connect(self, connection: Any) -> None:
        await super().on_connect(connection)
        if self.reconnected is not None:
            self.reconnected()


class Fanout:
    """One per event loop (server process)."""

    def __init__(self) -> None:
        self.origin = uuid.uuid4().bytes  # names this process's announcements
        self.client = redis.asyncio.Redis.from_url(for_redis_py(settings.REDIS_URL))
        self.pubsub = _PubSub(self.client.connection_pool)
        self.pubsub.reconnected = self._reconnected
        self.rooms: dict[str, Room] = {}
        self.outgoing: list[tuple[str, bytes]] = []
        self.sender: asyncio.Task | None = None
        self.reader: asyncio.Task | None = None
        self.closed = False

    def join(self, room: "Room") -> Coroutine[Any, Any, None]:
        """Count `room` in at once (so this fan-out does not close meanwhile); the coroutine
        returned subscribes it and catches it up."""
        channel = channel_for(room.project_id)
        self.rooms[channel] = room
        return self._subscribe(channel, room)

    async def _subscribe(self, channel: str, room: "Room") -> None:
        await self.pubsub.subscribe(channel)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.create_task(self._read())
        # What other processes committed between the room's load and this subscription.
        await room.catch_up()

    async def leave(self, room: "Room") -> None:
        channel = channel_for(room.project_id)
        if self.rooms.get(channel) is not room:
            return
        del self.rooms[channel]
        if not self.rooms:  # the process's last open storyboard: close; the next one reopens
            await self._close()
            return
        try:
            await self.pubsub.unsubscribe(channel)
        except Exception as exc:  # closed or reconnecting: a stale subscription is only ignored
            if not self.closed:
                log.warning("storyboard fan-out: could not unsubscribe %s: %r", channel, exc)

    async def _close(self) -> None:
        self.closed = True
        loop = asyncio.get_running_loop()
        if _fanouts.get(loop) is self:
            del _fanouts[loop]  # from here on, rooms that open get a new one
        if self.sender is not None:
            await self.sender  # what was queued goes out first
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
            await asyncio.wait([self.reader])
        for closing in (self.pubsub.aclose, self.client.aclose):
            try:
                await closing()
            except Exception as exc:
                log.info("storyboard fan-out: while closing: %r", exc)

    def publish(self, room: "Room", kind: int, payload: bytes, first: int = 0, last: int = 0) -> None:
        """Queue an announcement; what queues while one pipeline is sent goes in the next."""
        self.outgoing.append((channel_for(room.project_id), frame(self.origin, kind, payload, first, last)))
        if self.sender is None or self.sender.done():
            self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self.outgoing:
            batch, self.outgoing = self.outgoing, []
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for channel, data in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
            except Exception:  # updates are stored: other processes repair the gap from the log
                log.exception("storyboard fan-out: could not announce %s messages", len(batch))

    async def _read(self) -> None:
        while self.rooms and not self.closed:
            try:
                # Blocking, without a timeout: a timed read costs an asyncio.timeout per message
                # (a few per cent of the relay's CPU under load); _close cancels this task.
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except Exception:
                if self.closed:
                    return
                log.warning("storyboard fan-out: subscription lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                await self._reconnect()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            room = self.rooms.get(channel)
            if room is None:
                continue
            try:
                origin, kind, first, last, payload = unframe(message["data"])
                if origin == self.origin:
                    continue  # ours: local members have it already
                if kind == UPDATE:
                    await room.receive(first, last, payload)
                elif kind == AWARENESS:
                    room.relay_awareness(payload)
                elif kind == ACCESS:
                    room.access_changed(first or None)
            except Exception:  # one bad message must not stop the others
                log.exception("storyboard fan-out: could not handle a message on %s", channel)

    async def _reconnect(self) -> None:
        """A fresh connection resubscribes (and catches the rooms up: _reconnected)."""
        try:
            if self.pubsub.connection is not None:
                await self.pubsub.connection.disconnect()
            await self.pubsub.connect()
        except Exception as exc:  # Redis still down: the reader tries again
            log.warning("storyboard fan-out: cannot reconnect yet: %r", exc)

    def _reconnected(self) -> None:
        log.info("storyboard fan-out: resubscribed; rooms catch up from the log")
        for room in list(self.rooms.values()):
            asyncio.get_running_loop().create_task(room.catch_up())
            room.access_changed(None)


_fanouts: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout]" = weakref.WeakKeyDictionary()


def fanout() -> Fanout:
    """This event loop's fan-out."""
    loop = asyncio.get_running_loop()
    if loop not in _fanouts:
        _fanouts[loop] = Fanout()
    return _fanouts[loop]
