"""One in-memory copy of each open storyboard per server process, kept in log order.

The database log is the truth: a room loads from it, and when a notification reveals a gap
(a message the channel layer dropped, or one that overtook another) it reads the missing
updates back from the log.

Fan-out is per process: the room, not each socket, listens on the channel layer, and hands
what arrives to its local members in memory. One Redis message per process per update,
instead of one per connected client.
"""

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from pycrdt import Doc

from collab.protocol import AwarenessEntry, awareness_parse, message_parse
from collab.selectors import document_for, document_load, updates_after
from projects.models import Project

log = logging.getLogger(__name__)


class SeqTracker:
    """Which sequence numbers have been seen: all up to `upto`, plus a few beyond it."""

    def __init__(self, upto: int = 0) -> None:
        self.upto = upto
        self.extra: set[int] = set()

    def has(self, seq: int) -> bool:
        return seq <= self.upto or seq in self.extra

    def mark(self, seq: int) -> None:
        if seq <= self.upto:
            return
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


class Room:
    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.doc: Doc | None = None
        self.document_id = 0
        self.seen = SeqTracker()
        self.generation = 0  # bumped on every reload
        self.lock = asyncio.Lock()
        self.members: set[Any] = set()  # the local consumers (deliver_update, send)
        self.awareness: dict[int, AwarenessEntry] = {}
        self.channel = ""  # this room's channel-layer address; also names it as an origin
        self.listener: asyncio.Task | None = None

    async def listen(self, group: str) -> None:
        if self.listener is not None:
            return
        layer = get_channel_layer()
        assert layer is not None
        self.channel = await layer.new_channel()
        await layer.group_add(group, self.channel)
        self.listener = asyncio.create_task(self._listen(layer, group))

    async def _listen(self, layer: Any, group: str) -> None:
        try:
            while True:
                message = await layer.receive(self.channel)
                if message["type"] == "storyboard.stop":
                    return
                if message.get("origin") == self.channel:
                    continue  # our own, already handed to local members
                try:
                    if message["type"] == "storyboard.update":
                        await self.relay_update(message["seq"], message["update"], "")
                    elif message["type"] == "storyboard.awareness":
                        await self.relay_awareness(message["data"], "")
                except Exception:  # one bad message must not stop the room
                    log.exception("storyboard %s: could not relay a message", self.project_id)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group, self.channel)

    async def relay_update(self, seq: int, update: bytes, sender: str) -> None:
        await self.receive(seq, update)
        for member in list(self.members):
            await self._to_member(member, member.deliver_update(seq, update, sender))

    async def _to_member(self, member: Any, sending: Any) -> None:
        """A socket that closed meanwhile must not stop the relay to the others."""
        try:
            await sending
        except Exception as exc:
            log.info("storyboard %s: dropping a closed member: %s", self.project_id, exc)
            self.members.discard(member)

    async def relay_awareness(self, data: bytes, sender: str) -> None:
        for entry in awareness_parse(message_parse(data).payload):
            if entry.state == "null":
                self.awareness.pop(entry.client_id, None)
            else:
                self.awareness[entry.client_id] = entry
        for member in list(self.members):
            if member.channel_name != sender:
                await self._to_member(member, member.send(bytes_data=data))

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

    async def receive(self, seq: int, update: bytes) -> None:
        """Apply a committed update announced on the channel layer, filling any gap first."""
        async with self.lock:
            if self.doc is None or self.seen.has(seq):
                return
            for gap_seq, data in await self.missing(self.seen.missing_before(seq)):
                self.doc.apply_update(data)
                self.seen.mark(gap_seq)
            self.doc.apply_update(update)
            self.seen.mark(seq)


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
