"""`/ws/projects/<id>/storyboard`: the y-websocket protocol over Channels.

Editors' updates are applied to the process's room, committed to the log, then announced to
every process through the channel layer; viewers receive everything and their updates are
dropped. A bearer token needs the `read` scope to connect and `write` to edit (else its socket
is a viewer's). When a member's access changes (removed, role changed, project deleted) every
process's room re-checks their sockets: closed with 4403, or may edit or not as the role says.

Awareness (presence, carets) is relayed and kept only in memory for newcomers. A socket speaks
for one client id, the first it announces; its state's `user` (name, colour) is the account's
(collab.presence). A client's awareness is removed for everyone when its socket closes.

What one socket may cost is bounded (settings WS_*): a frame over WS_MAX_FRAME_BYTES closes it
with 1009; what it has not been sent yet may not exceed WS_OUTBOX_MAX_MESSAGES messages or
WS_OUTBOX_MAX_BYTES bytes (a client that does not read, or asks for the whole document again
and again, is closed with 1013); only the first WS_AWARENESS_MAX_ENTRIES entries of an
awareness message are read.
"""

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings
from pycrdt import YMessageType, YSyncMessageType, merge_updates

from accounts.scopes import TokenScope
from collab.presence import awareness_state_clean, awareness_username, presence_user
from collab.protocol import (
    MAX_SAFE_INTEGER,
    MESSAGE_QUERY_AWARENESS,
    AwarenessEntry,
    ProtocolError,
    awareness_message,
    awareness_parse,
    message_parse,
    sync_message,
)
from collab.rooms import Room, room_for, room_release
from collab.writer import writer
from kernel.ws_limits import BoundedConsumer
from projects.selectors import actions_allowed, membership_get, project_find

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
CLOSE_PROTOCOL = 4400
CLOSE_INTERNAL = 1011
CLOSE_TOO_SLOW = 1013  # "try again later": it did not read what it was sent
Queued = tuple[int, int, bytes, bytes]  # committed entries first..last: the update, and as a message


def _size(item: bytes | Queued) -> int:
    return len(item) if isinstance(item, bytes) else len(item[3])


class StoryboardConsumer(BoundedConsumer):
    """(BoundedConsumer: frames over WS_MAX_FRAME_BYTES close it with 1009; it closes once.)"""

    room: Room | None = None
    sender: asyncio.Task | None = None
    rechecking: asyncio.Task | None = None
    revoked = False  # its access ended: it is closing, and what it sends is ignored
    closing = False  # nothing more is queued for it, and what it sends is ignored
    close_code = CLOSE_TOO_SLOW  # what the None queued in its outbox closes it with
    outbox_bytes = 0  # the size of what its outbox holds

    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        self.user = self.scope.get("user")
        self.client_id: int | None = None  # the awareness client id it speaks for
        self.client_ids: dict[int, int] = {}  # awareness client id -> last clock
        self.outbox: deque[bytes | Queued | None] = deque()  # None: close (close_code)
        self.wakeup = asyncio.Event()
        can_edit = await self._access()
        await self.accept()
        if can_edit is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.can_edit = can_edit
        assert self.user is not None
        self.presence = presence_user(name=self.user.name, username=self.user.username)
        room = room_for(self.project_id)
        await room.load()
        await room.join()
        assert room.doc is not None
        # From here to joining, nothing awaits: the state queued below and the updates relayed
        # after it leave no gap.
        self.sent = room.seen.copy()  # what this client has, as of the state queued below
        self.push(sync_message(YSyncMessageType.SYNC_STEP1, room.doc.get_state()))
        self.push(sync_message(YSyncMessageType.SYNC_STEP2, room.doc.get_update()))
        present = room.awareness_entries()
        if present:
            self.push(awareness_message(present))
        self.room = room
        room.members.add(self)
        self.sender = asyncio.create_task(self._send_queued())
        # An access change announced between the check above and now may have gone unheard (the
        # room was not subscribed yet): check once more, now that the room hears them.
        self.rechecking = asyncio.create_task(self.access_recheck(None))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        # Rooms, not sockets, hear the other processes (collab.fanout). Without a channel-layer
        # channel per socket, a plain loop replaces Channels's, which starts a task and an
        # asyncio.wait per message.
        self.scope, self.channel_layer, self.base_send = scope, None, send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    @database_sync_to_async
    def _access(self) -> bool | None:
        """Whether this socket may edit the storyboard; None: it may not see it (a non-member,
        or a token without the `read` scope). A token without `write` makes a viewer's socket."""
        scopes = self.scope.get("token_scopes")  # None: a session, not limited by scopes
        if scopes is not None and TokenScope.READ.value not in scopes:
            return None
        project = project_find(project_id=self.project_id)
        membership = membership_get(project=project, user=self.user) if project and self.user else None
        if project is None or membership is None:
            return None
        may_edit = actions_allowed(project=project, role=membership.role)["edit_storyboard"]
        return may_edit and (scopes is None or TokenScope.WRITE.value in scopes)

    async def access_recheck(self, user_id: int | None) -> None:
        """The access of `user_id` (None: of everyone) changed (collab.rooms): if this socket is
        theirs, close it if it may no longer see the storyboard, else follow the role."""
        if self.revoked or (user_id is not None and user_id != getattr(self.user, "pk", None)):
            return
        try:
            can_edit = await self._access()
        except Exception:  # the database is unreachable: keep the socket as it is
            log.exception("storyboard %s: could not re-check a client's access", self.project_id)
            return
        if can_edit is not None:
            self.can_edit = can_edit
            return
        log.info("storyboard %s: closing a client whose access ended", self.project_id)
        self.revoked, self.can_edit = True, False
        self._close_soon(CLOSE_FORBIDDEN)

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every message, a thread hop per
        # keystroke; this consumer reaches the database only through the writer and the room,
        # whose calls do that themselves.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        room = self.room
        if room is None:
            return
        room.members.discard(self)  # first: nothing more is queued for a closed socket
        for task in (self.sender, self.rechecking):
            if task is not None:
                task.cancel()
        await writer().flushed()  # what the client sent before leaving is committed and relayed
        # (y-protocols also takes a null state at the same clock: lib0 reads no larger number.)
        gone = [AwarenessEntry(client_id, min(clock + 1, MAX_SAFE_INTEGER), "null")
                for client_id, clock in self.client_ids.items()]
        if gone:
            self._publish_awareness(awareness_message(gone))
        await room_release(room)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None or self.revoked or self.closing or bytes_data is None:
            return
        try:
            message = message_parse(bytes_data)
            if message.kind == YMessageType.SYNC:
                self._on_sync(message.sync_kind, message.payload)
            elif message.kind == YMessageType.AWARENESS:
                self._on_awareness(message.payload)
            elif message.kind == MESSAGE_QUERY_AWARENESS:
                self.push(awareness_message(self.room.awareness_entries()))
        except ProtocolError as exc:
            log.info("storyboard %s: closing a client that sent %s", self.project_id, exc)
            await self.close(code=CLOSE_PROTOCOL)

    def _on_sync(self, kind: int | None, payload: bytes) -> None:  # (`_sync` is Channels's)
        room = self.room
        assert room is not None and room.doc is not None and room.attributor is not None
        if kind == YSyncMessageType.SYNC_STEP1:
            try:
                diff = room.doc.get_update(payload)
            except ValueError:
                raise ProtocolError("bad state vector") from None
            self.push(sync_message(YSyncMessageType.SYNC_STEP2, diff))
            return
        if not self.can_edit or payload == b"\x00\x00":  # viewers' edits are dropped
            return
        try:  # validates it, and newcomers syncing from the room see it at once
            stats, new = room.attributor.apply(payload)
        except ValueError:
            raise ProtocolError("not a Yjs update") from None
        if new:  # else nothing the room did not have (an echo, a repeat): nothing to store
            writer().submit(self, room, new, stats)

    # Called by the writer about what this client sent.

    def refused(self) -> None:
        self.can_edit = False

    async def failed(self) -> None:
        await self.close(code=CLOSE_INTERNAL)

    def _on_awareness(self, payload: bytes) -> None:
        """Relay what the client says about its own client id, under its account's name."""
        kept = []
        for entry in awareness_parse(payload, limit=settings.WS_AWARENESS_MAX_ENTRIES):
            if entry.client_id != self.client_id and not self._claim(entry.client_id):
                continue  # someone else's client: not this socket's to set or remove
            state = awareness_state_clean(entry.state, self.presence)
            if state is None:
                continue  # not a JSON object, or too large
            if state == "null":
                self.client_ids.pop(entry.client_id, None)
            else:
                self.client_ids[entry.client_id] = entry.clock
            kept.append(AwarenessEntry(entry.client_id, entry.clock, state))
        if kept:
            self._publish_awareness(awareness_message(kept))

    def _claim(self, client_id: int) -> bool:
        """Make the first client id this socket announces its own, unless the room knows it as
        another account's client."""
        if self.client_id is not None:
            return False
        assert self.room is not None
        known = self.room.awareness_of(client_id)
        if known is not None and awareness_username(known.state) != self.presence["username"]:
            return False
        self.client_id = client_id
        return True

    def _publish_awareness(self, data: bytes) -> None:
        room = self.room
        assert room is not None
        room.relay_awareness(data)  # this process first
        room.announce_awareness(data)

    # Sending: the room queues, one task per socket sends, so a slow client delays only itself.

    def push(self, data: bytes) -> None:
        self._queue(data)

    def push_update(self, first: int, last: int, update: bytes, message: bytes) -> None:
        self._queue((first, last, update, message))

    def _queue(self, item: bytes | Queued) -> None:
        if self.closing:
            return
        size = _size(item)
        if len(self.outbox) >= settings.WS_OUTBOX_MAX_MESSAGES or (
                self.outbox and self.outbox_bytes + size > settings.WS_OUTBOX_MAX_BYTES):
            # It is not reading (or asks faster than it reads): drop it; it resyncs on reconnect.
            # (One message, however large, is queued when nothing else is: the document.)
            log.info("storyboard %s: closing a client %s messages (%s bytes) behind",
                     self.project_id, len(self.outbox), self.outbox_bytes)
            self._close_soon(CLOSE_TOO_SLOW)
            return
        self.outbox.append(item)
        self.outbox_bytes += size
        self.wakeup.set()

    def _stop_queueing(self) -> None:
        """Nothing more is queued for it, and what was is dropped."""
        self.closing = True
        if self.room is not None:
            self.room.members.discard(self)
        self.outbox.clear()
        self.outbox_bytes = 0

    def _close_soon(self, code: int) -> None:
        """Close it once what is being sent has gone (a socket is closed by its sender task)."""
        if self.closing:
            return
        self._stop_queueing()
        self.close_code = code
        self.outbox.append(None)
        self.wakeup.set()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self._stop_queueing()
        await super().close(code=code, reason=reason)

    async def _send_queued(self) -> None:
        try:
            while True:
                if not self.outbox:
                    self.wakeup.clear()
                    await self.wakeup.wait()
                elif not await self._send_next():
                    return
        except Exception as exc:  # the socket closed under us: disconnect() follows
            log.info("storyboard %s: stopped sending to a client: %r", self.project_id, exc)

    async def _send_next(self) -> bool:
        """Send the first queued message (updates queued back to back as one); False once the
        socket is closed. (A call of its own, so that while the sender waits nothing keeps what
        it sent last: for a client that just synced, the whole document, per idle socket.)"""
        item = self.outbox.popleft()
        if item is None:
            await self.close(code=self.close_code)
            return False
        self.outbox_bytes -= _size(item)
        if isinstance(item, bytes):
            await self.send(bytes_data=item)
            return True
        run = [item]
        while self.outbox and isinstance(self.outbox[0], tuple):
            queued: Queued = self.outbox.popleft()  # type: ignore[assignment]
            self.outbox_bytes -= _size(queued)
            run.append(queued)
        await self._send_updates([u for u in run if not self.sent.has(u[0], u[1])])
        return True

    async def _send_updates(self, run: list[Queued]) -> None:
        """Send committed entries this client lacks, after any gap before them (read back)."""
        if not run:
            return
        assert self.room is not None
        gaps, expected = [], self.sent.upto + 1  # numbers below the run's entries it lacks
        for first, last, _, _ in sorted(run, key=lambda queued: queued[0]):
            gaps += [seq for seq in range(expected, first) if seq not in self.sent.extra]
            expected = max(expected, last + 1)
        for gap_first, gap_last, data in await self.room.missing(gaps):
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, data))
            self.sent.mark(gap_first, gap_last)
        if len(run) == 1:
            await self.send(bytes_data=run[0][3])
        else:
            merged = merge_updates(*(update for _, _, update, _ in run))
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, merged))
        for first, last, _, _ in run:
            self.sent.mark(first, last)
