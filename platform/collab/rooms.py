"""One in-memory copy of each open storyboard per server process, kept in log order.

The database log is the truth: a room loads from it, and when a notification reveals a gap
(an announcement lost on the way, or one that overtook another) it reads the missing
updates back from the log.

Fan-out is per process: the room, not each socket, hears the other processes (collab.fanout)
and queues what arrives for its local members in memory. One Redis message per process per
batch of updates, instead of one per connected client per update.
"""

import asyncio
import time
import weakref
from typing import Protocol, runtime_checkable

from channels.db import database_sync_to_async
from django.conf import settings
from pycrdt import Doc, YSyncMessageType

from collab import metrics
from collab.attribution import Attributor
from collab.fanout import AWARENESS, UPDATE, Fanout, fanout
from collab.protocol import AwarenessEntry, awareness_parse, message_parse, sync_message
from collab.selectors import document_for, document_load, log_since
from projects.selectors import project_find


class SeqTracker:
    """Which sequence numbers have been seen: all up to `upto`, plus a few beyond it."""

    def __init__(self, upto: int = 0) -> None:
        self.upto = upto
        self.extra: set[int] = set()

    def has(self, first: int, last: int | None = None) -> bool:
        """Whether every number in first..last (default: just first) has been seen."""
        last = last or first
        return last <= self.upto or all(seq <= self.upto or seq in self.extra
                                        for seq in range(first, last + 1))

    def mark(self, first: int, last: int | None = None) -> None:
        last = last or first
        if first <= self.upto + 1:  # the usual case: no gap before it
            self.upto = max(self.upto, last)
        else:
            self.extra.update(range(first, last + 1))
        while self.extra and self.upto + 1 in self.extra:
            self.upto += 1
            self.extra.discard(self.upto)
        if self.extra and min(self.extra) <= self.upto:
            self.extra = {seq for seq in self.extra if seq > self.upto}

    def missing_before(self, seq: int) -> list[int]:
        return [s for s in range(self.upto + 1, seq) if s not in self.extra]

    def copy(self) -> "SeqTracker":
        other = SeqTracker(self.upto)
        other.extra = set(self.extra)
        return other


class Member(Protocol):
    """A local client of a room (the consumer): it queues what the room hands it."""

    def push(self, data: bytes) -> None: ...

    def push_update(self, first: int, last: int, update: bytes, message: bytes) -> None: ...


@runtime_checkable
class GuardedMember(Member, Protocol):
    """A member whose access can change while it is connected (the consumer)."""

    async def access_recheck(self, user_id: int | None) -> None:
        """If `user_id` is its user's (or None: anyone's), read its access again: close if it
        is gone, may edit or not as the role now says."""


class Room:
    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.doc: Doc | None = None
        self.attributor: Attributor | None = None  # measures clients' updates to doc
        self.document_id = 0
        self.seen = SeqTracker()
        self.generation = 0  # bumped on every reload
        self.lock = asyncio.Lock()
        self.members: set[Member] = set()
        # client id -> its latest entry, and when it came (time.monotonic()).
        self.awareness: dict[int, tuple[AwarenessEntry, float]] = {}
        self.fanout: Fanout | None = None  # while it hears and tells the other processes
        self.joining: asyncio.Future | None = None
        self.checks: set[asyncio.Task] = set()  # members re-checking their access

    async def join(self) -> None:
        """Hear the other processes; every client that connects meanwhile waits for it too."""
        if self.joining is None:
            self.fanout = fanout()
            self.joining = asyncio.ensure_future(self.fanout.join(self))
        joining = self.joining
        try:
            await asyncio.shield(joining)
        except Exception:
            if self.joining is joining:  # Redis unreachable: the next client tries again
                self.joining = None
            raise

    def relay(self, first: int, last: int, update: bytes) -> None:
        """Hand committed log entries first..last (merged into `update`) to every local client,
        their authors included: as with y-websocket's server, an echo costs a client nothing."""
        message = sync_message(YSyncMessageType.SYNC_UPDATE, update)
        for member in list(self.members):
            member.push_update(first, last, update, message)
        metrics.updates_relayed.inc(len(self.members))

    def relay_awareness(self, data: bytes) -> None:
        """Hand an awareness update (the server's: relayed by a consumer or another process)
        to every local client, and keep its entries for newcomers."""
        now = time.monotonic()
        for entry in awareness_parse(message_parse(data).payload):
            if entry.state == "null":
                self.awareness.pop(entry.client_id, None)
            else:
                self.awareness[entry.client_id] = (entry, now)
        for member in list(self.members):  # the sender too, as y-websocket's server does
            member.push(data)

    def awareness_entries(self) -> list[AwarenessEntry]:
        """The clients present. An entry not renewed for WS_AWARENESS_TIMEOUT_S is forgotten,
        as y-protocols forgets it (clients renew theirs every 15 s): its socket is gone without
        a word, e.g. with the process that served it."""
        oldest = time.monotonic() - settings.WS_AWARENESS_TIMEOUT_S
        for client_id in [cid for cid, (_, at) in self.awareness.items() if at < oldest]:
            del self.awareness[client_id]
        return [entry for entry, _ in self.awareness.values()]

    def awareness_of(self, client_id: int) -> AwarenessEntry | None:
        known = self.awareness.get(client_id)
        return known[0] if known is not None else None

    def access_changed(self, user_id: int | None) -> None:
        """The access of `user_id` (None: of everyone) to the project changed: the local members
        concerned re-check theirs (collab.fanout hears it from whichever process changed it)."""
        for member in list(self.members):
            if isinstance(member, GuardedMember):
                task = asyncio.ensure_future(member.access_recheck(user_id))
                self.checks.add(task)
                task.add_done_callback(self.checks.discard)

    def announce(self, first: int, last: int, update: bytes) -> None:
        """Tell the other processes' rooms about committed entries first..last."""
        if self.fanout is not None:
            self.fanout.publish(self, UPDATE, update, first, last)

    def announce_awareness(self, data: bytes) -> None:
        if self.fanout is not None:
            self.fanout.publish(self, AWARENESS, data)

    async def load(self) -> None:
        async with self.lock:
            if self.doc is None:
                await self._reload()

    async def _reload(self) -> None:
        def read() -> tuple[Doc, int, int]:
            project = project_find(project_id=self.project_id)
            assert project is not None  # (a room closes when its project goes)
            document = document_for(project=project)
            doc, seq = document_load(document=document)
            return doc, seq, document.pk

        self.doc, seq, self.document_id = await database_sync_to_async(read)()
        self.attributor = Attributor(self.doc)
        self.seen = SeqTracker(seq)
        self.generation += 1

    async def reload(self) -> None:
        async with self.lock:
            await self._reload()

    async def missing(self, seqs: list[int]) -> list[tuple[int, int, bytes]]:
        """Log entries (first, last, update) that hold the given sequence numbers."""
        if not seqs:
            return []
        rows = await database_sync_to_async(log_since)(
            document_id=self.document_id, seq=min(seqs) - 1, upto=max(seqs))
        wanted = set(seqs)
        return [row for row in rows if any(seq in wanted for seq in range(row[0], row[1] + 1))]

    async def receive(self, first: int, last: int, update: bytes) -> None:
        """Apply and relay committed entries announced by another process, reading any gap
        before them back from the log first."""
        async with self.lock:
            if self.doc is None or self.seen.has(first, last):
                return
            for row in await self.missing(self.seen.missing_before(first)):
                self._take(*row)
            self._take(first, last, update)

    async def catch_up(self) -> None:
        """Apply and relay whatever the log holds that this room has not seen."""
        async with self.lock:
            if self.doc is None:
                return
            for first, last, data in await database_sync_to_async(log_since)(
                    document_id=self.document_id, seq=self.seen.upto):
                if not self.seen.has(first, last):
                    self._take(first, last, data)

    def _take(self, first: int, last: int, update: bytes) -> None:
        assert self.doc is not None
        self.doc.apply_update(update)
        self.seen.mark(first, last)
        self.relay(first, last, update)


_rooms: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Room]]" = (
    weakref.WeakKeyDictionary())


def room_for(project_id: int) -> Room:
    rooms = _rooms.setdefault(asyncio.get_running_loop(), {})
    if project_id not in rooms:
        rooms[project_id] = Room(project_id)
        metrics.rooms_open.inc()
    return rooms[project_id]


async def room_release(room: Room) -> None:
    """Forget a room nobody in this process uses; the log keeps everything."""
    rooms = _rooms.get(asyncio.get_running_loop(), {})
    if room.members or rooms.get(room.project_id) is not room:
        return
    del rooms[room.project_id]
    metrics.rooms_open.dec()
    if room.fanout is not None:
        await room.fanout.leave(room)
        room.fanout, room.joining = None, None
