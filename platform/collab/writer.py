"""The storyboard write path of one server process: every local client's updates, committed
to the log together.

Clients' updates are applied to their room at once (newcomers see them) and queued here. One
task per process writes whatever has queued in one transaction (all rooms, all authors: one
row per author and room), then hands each room its entries, merged into one message, and
announces them to the other processes. While one batch is written the next gathers, so the
database sees one transaction per round trip however many clients type.
"""

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from pycrdt import merge_updates

from collab import metrics
from collab.attribution import UpdateStats
from collab.rooms import Room
from collab.updatelog import LogEntry, updates_append
from kernel.errors import ServiceError
from kernel.tasks import enqueue

log = logging.getLogger(__name__)


@dataclass
class _Queued:
    client: Any  # the consumer: user, can_edit, refused(), failed()
    room: Room
    update: bytes
    stats: UpdateStats
    generation: int  # the room's, when the update was applied to it
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class _Group:
    """One author's queued updates to one room: one log row."""

    room: Room
    user_id: int
    items: list[_Queued] = field(default_factory=list)

    def entry(self) -> LogEntry:
        updates = [item.update for item in self.items]
        return LogEntry(self.room.project_id, self.user_id,
                        merge_updates(*updates) if len(updates) > 1 else updates[0],
                        UpdateStats.combined(item.stats for item in self.items))


_append = database_sync_to_async(updates_append)  # made once: wrapping costs an inspect.signature
_enqueue = database_sync_to_async(enqueue)


class LogWriter:
    def __init__(self) -> None:
        self.queued: list[_Queued] = []
        self.task: asyncio.Task | None = None
        self.next_done: asyncio.Future | None = None  # resolves when what is queued is written
        self.current_done: asyncio.Future | None = None  # the batch being written

    def submit(self, client: Any, room: Room, update: bytes, stats: UpdateStats) -> None:
        self.queued.append(_Queued(client, room, update, stats, room.generation))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    async def flushed(self) -> None:
        """Wait until everything submitted so far has been written (or refused)."""
        waiting = self._next_done() if self.queued else self.current_done
        if waiting is not None:
            await asyncio.shield(waiting)

    def _next_done(self) -> asyncio.Future:
        if self.next_done is None:
            self.next_done = asyncio.get_running_loop().create_future()
        return self.next_done

    async def _run(self) -> None:
        while self.queued:
            batch, self.queued = self.queued, []
            self.current_done, self.next_done = self._next_done(), None
            try:
                await self._write(batch)
            except Exception:  # an unexpected error in one batch must not stop the writer
                log.exception("storyboard writer: a batch failed")
            finally:
                self.current_done.set_result(None)
                self.current_done = None

    async def _write(self, batch: list[_Queued]) -> None:
        groups: dict[tuple[Room, int], _Group] = {}
        for item in batch:
            key = (item.room, item.client.user.pk)
            groups.setdefault(key, _Group(item.room, item.client.user.pk)).items.append(item)
        try:
            results = await _append([g.entry() for g in groups.values()])
        except Exception:
            # Nothing was written. The rooms forget it (they reload from the log) and the clients
            # are closed: they still hold their edits and send them again when they reconnect.
            log.exception("storyboard writer: could not store %s updates", len(batch))
            for room in {item.room for item in batch}:
                await room.reload()
            for client in {id(item.client): item.client for item in batch}.values():
                await client.failed()
            return
        committed: dict[Room, list[tuple[int, _Group]]] = {}
        refused: set[Room] = set()
        for group, result in zip(groups.values(), results, strict=True):
            if isinstance(result, ServiceError):  # e.g. the role changed since connecting
                log.info("storyboard %s: update refused: %s", group.room.project_id, result.message)
                refused.add(group.room)
                for client in {id(item.client): item.client for item in group.items}.values():
                    client.refused()
            else:
                committed.setdefault(group.room, []).append((result, group))
        for room, entries in committed.items():
            self._hand_over(room, entries)
        for room in refused:
            await room.reload()  # the room holds what the log refused
        await self._comments_announce(committed)

    async def _comments_announce(self, committed: dict[Room, list[tuple[int, _Group]]]) -> None:
        """Entries that added comments or replies (rare): a task finds them in the log and
        notifies who takes part in the scene, off this path (after everything is relayed)."""
        for room, entries in committed.items():
            for seq, group in entries:
                if any(item.stats.comments for item in group.items):
                    try:
                        await _enqueue("collab.tasks.comments_notify", project_id=room.project_id, seq=seq)
                    except Exception:  # a notification lost, never the writer
                        log.exception("storyboard %s: could not queue comment notifications", room.project_id)

    def _hand_over(self, room: Room, entries: list[tuple[int, _Group]]) -> None:
        updates = []
        for _seq, group in entries:
            for item in group.items:
                if item.generation != room.generation:  # reloaded meanwhile: re-apply (idempotent)
                    assert room.doc is not None
                    room.doc.apply_update(item.update)
                updates.append(item.update)
        first, last = entries[0][0], entries[-1][0]  # one transaction: consecutive numbers
        room.seen.mark(first, last)
        update = merge_updates(*updates) if len(updates) > 1 else updates[0]
        room.relay(first, last, update)  # this process first
        now = time.monotonic()
        for _seq, group in entries:
            for item in group.items:
                metrics.relay_lag.observe(now - item.at)
        metrics.updates_stored.inc(len(updates))
        room.announce(first, last, update)


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LogWriter]" = weakref.WeakKeyDictionary()


def writer() -> LogWriter:
    """This event loop's writer (looked up first: `setdefault` would build one per call, per
    update, which showed in the relay's profile)."""
    loop = asyncio.get_running_loop()
    found = _writers.get(loop)
    if found is None:
        found = _writers[loop] = LogWriter()
    return found
