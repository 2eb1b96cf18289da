"""One in-memory copy of each open storyboard per server process, kept in log order.

The database log is the truth: a room loads from it, and when a notification reveals a gap
(a message the channel layer dropped, or one that overtook another) it reads the missing
updates back from the log.

Fan-out is per process: the room, not each socket, listens on the channel layer, and queues
what arrives for its local members in memory. One Redis message per process per batch of
updates, instead of one per connected client per update.
"""

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from pycrdt import Doc, YSyncMessageType

from collab.protocol import AwarenessEntry, awareness_parse, message_parse, sync_message
from collab.selectors import document_for, document_load, updates_after
from collab.services import storyboard_group
from projects.models import Project

log = logging.getLogger(__name__)


class SeqTracker:
    """Which sequence numbers have been seen: all up to `upto`, plus a few beyond it."""

    def __init__(self, upto: int = 0) -> None:
        self.upto = upto
        self.extra: set[int] = set()

    def has(self, first: int, last: int | None = None) -> bool:
        """Whether every number in first..last (default: just first) has been seen."""
        return all(seq <= self.upto or seq in self.extra for seq in range(first, (last or first) + 1))

    def mark(self, first: int, last: int | None = None) -> None:
        for seq in range(max(first, self.upto + 1), (last or first) + 1):
            self.extra.add(seq)
        while self.upto + 1 in self.extra:
            self.upto += 1
            self.extra.discard(self.upto)

    def missing_before(self, seq: int) -> list[int]:
        return [s for s in range(self.upto + 1, seq) if s not in self.extra]

    def copy(self) -> "SeqTracker":
        other = SeqTracker(self.upto)
        other.extra = set(self.extra)
        return other


class Member(Protocol):
    """A local client of a room (the consumer): it queues what the room hands it."""

    def push(self, data: bytes) -> None: ...

    def push_update(self, first: int, last: int, message: bytes) -> None: ...


class Room:
    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.group = storyboard_group(project_id)
        self.doc: Doc | None = None
        self.document_id = 0
        self.seen = SeqTracker()
        self.generation = 0  # bumped on every reload
        self.lock = asyncio.Lock()
        self.members: set[Member] = set()
        self.awareness: dict[int, AwarenessEntry] = {}
        self.channel = ""  # this room's channel-layer address; also names it as an origin
        self.listener: asyncio.Task | None = None

    async def listen(self) -> None:
        if self.listener is not None:
            return
        layer = get_channel_layer()
        assert layer is not None
        self.channel = await layer.new_channel()
        await layer.group_add(self.group, self.channel)
        self.listener = asyncio.create_task(self._listen(layer))

    async def _listen(self, layer: Any) -> None:
        try:
            while True:
                message = await layer.receive(self.channel)
                if message["type"] == "storyboard.stop":
                    return
                if message.get("origin") == self.channel:
                    continue  # our own, already handed to local members
                try:
                    if message["type"] == "storyboard.update":
                        await self.receive(message["first"], message["last"], message["update"])
                        self.relay(message["first"], message["last"], message["update"])
                    elif message["type"] == "storyboard.awareness":
                        self.relay_awareness(message["data"])
                except Exception:  # one bad message must not stop the room
                    log.exception("storyboard %s: could not relay a message", self.project_id)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(self.group, self.channel)

    def relay(self, first: int, last: int, update: bytes) -> None:
        """Hand committed log entries first..last (merged into `update`) to every local client,
        their authors included: as with y-websocket's server, an echo costs a client nothing."""
        message = sync_message(YSyncMessageType.SYNC_UPDATE, update)
        for member in list(self.members):
            member.push_update(first, last, message)

    def relay_awareness(self, data: bytes) -> None:
        for entry in awareness_parse(message_parse(data).payload):
            if entry.state == "null":
                self.awareness.pop(entry.client_id, None)
            else:
                self.awareness[entry.client_id] = entry
        for member in list(self.members):  # the sender too, as y-websocket's server does
            member.push(data)

    async def publish(self, message: dict[str, Any]) -> None:
        """Send a notification to the other processes' rooms."""
        layer = get_channel_layer()
        assert layer is not None
        await layer.group_send(self.group, {**message, "origin": self.channel})

    async def load(self) -> None:
        async with self.lock:
            if self.doc is None:
                await self._reload()

    async def _reload(self) -> None:
        def read() -> tuple[Doc, int, int]:
            document = document_for(project=Project.objects.get(pk=self.project_id))
            doc, seq = document_load(document=document)
            return doc, seq, document.pk

        self.doc, seq, self.document_id = await database_sync_to_async(read)()
        self.seen = SeqTracker(seq)
        self.generation += 1

    async def reload(self) -> None:
        async with self.lock:
            await self._reload()

    async def missing(self, seqs: list[int]) -> list[tuple[int, bytes]]:
        if not seqs:
            return []
        rows = await database_sync_to_async(updates_after)(
            document_id=self.document_id, seq=min(seqs) - 1, upto=max(seqs))
        wanted = set(seqs)
        return [(s, d) for s, d in rows if s in wanted]

    async def receive(self, first: int, last: int, update: bytes) -> None:
        """Apply committed entries announced by another process, filling any gap first."""
        async with self.lock:
            if self.doc is None or self.seen.has(first, last):
                return
            for gap_seq, data in await self.missing(self.seen.missing_before(first)):
                self.doc.apply_update(data)
                self.seen.mark(gap_seq)
            self.doc.apply_update(update)
            self.seen.mark(first, last)


_rooms: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Room]]" = (
    weakref.WeakKeyDictionary())


def room_for(project_id: int) -> Room:
    rooms = _rooms.setdefault(asyncio.get_running_loop(), {})
    if project_id not in rooms:
        rooms[project_id] = Room(project_id)
    return rooms[project_id]


async def room_release(room: Room) -> None:
    """Forget a room nobody in this process uses; the log keeps everything.

    Its listener is asked to stop rather than cancelled: cancelling a task blocked in the
    channel layer's receive could leave it hanging."""
    rooms = _rooms.get(asyncio.get_running_loop(), {})
    if room.members or rooms.get(room.project_id) is not room:
        return
    del rooms[room.project_id]
    listener = room.listener
    if listener is None:
        return
    layer = get_channel_layer()
    assert layer is not None
    await layer.send(room.channel, {"type": "storyboard.stop"})
    try:
        await asyncio.wait_for(asyncio.shield(listener), 10)
    except TimeoutError:
        listener.cancel()
