"""`/ws/projects/<id>/storyboard`: the y-websocket protocol over Channels.

Editors' updates are applied to the process's room, committed to the log, then announced to
every process through the channel layer; viewers receive everything and their updates are
dropped. Awareness (presence, carets) is relayed and never stored; a client's awareness is
removed for everyone when its socket closes.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from pycrdt import YMessageType, YSyncMessageType, merge_updates

from collab.attribution import UpdateStats, apply_with_stats
from collab.protocol import (
    MESSAGE_QUERY_AWARENESS,
    AwarenessEntry,
    ProtocolError,
    awareness_message,
    awareness_parse,
    message_parse,
    sync_message,
)
from collab.rooms import Room, room_for, room_release
from collab.services import storyboard_group, update_append
from core.errors import ServiceError
from projects.models import Project
from projects.selectors import actions_allowed, membership_get

log = logging.getLogger(__name__)
CLOSE_FORBIDDEN = 4403
CLOSE_PROTOCOL = 4400
CLOSE_INTERNAL = 1011


class StoryboardConsumer(AsyncWebsocketConsumer):
    room: Room | None = None
    flusher: asyncio.Task | None = None

    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        self.user = self.scope.get("user")
        self.client_ids: dict[int, int] = {}  # awareness client id -> last clock
        self.pending: list[tuple[bytes, UpdateStats]] = []  # applied to the room, not yet stored
        allowed = await self._allowed()
        await self.accept()
        if allowed is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.can_edit = allowed["edit_storyboard"]
        self.group = storyboard_group(self.project_id)
        self.room = room_for(self.project_id)
        self.room.members.add(self)
        await self.room.load()
        await self.room.listen(self.group)
        assert self.room.doc is not None
        self.sent = self.room.seen.copy()  # what this client has, as of the state sent below
        await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_STEP1, self.room.doc.get_state()))
        await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_STEP2, self.room.doc.get_update()))
        if self.room.awareness:
            await self.send(bytes_data=awareness_message(list(self.room.awareness.values())))

    @database_sync_to_async
    def _allowed(self) -> dict[str, bool] | None:
        """What this member may do (None for non-members)."""
        self.project = Project.objects.filter(pk=self.project_id).first()
        membership = (membership_get(project=self.project, user=self.user)
                      if self.project and self.user else None)
        if self.project is None or membership is None:
            return None
        return actions_allowed(project=self.project, role=membership.role)

    async def disconnect(self, code: int) -> None:
        room = self.room
        if room is None:
            return
        room.members.discard(self)  # first: nothing more is sent to a closed socket
        if self.flusher is not None:
            await self.flusher  # what the client sent before leaving is committed and relayed
        gone = [AwarenessEntry(client_id, clock + 1, "null")
                for client_id, clock in self.client_ids.items()]
        if gone:
            await self._publish_awareness(awareness_message(gone))
        await room_release(room)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None or bytes_data is None:
            return
        try:
            message = message_parse(bytes_data)
            if message.kind == YMessageType.SYNC:
                await self._on_sync(message.sync_kind, message.payload)
            elif message.kind == YMessageType.AWARENESS:
                await self._on_awareness(message.payload)
            elif message.kind == MESSAGE_QUERY_AWARENESS:
                await self.send(bytes_data=awareness_message(list(self.room.awareness.values())))
        except ProtocolError as exc:
            log.info("storyboard %s: closing a client that sent %s", self.project_id, exc)
            await self.close(code=CLOSE_PROTOCOL)

    async def _on_sync(self, kind: int | None, payload: bytes) -> None:  # (`_sync` is Channels's)
        room = self.room
        assert room is not None and room.doc is not None
        if kind == YSyncMessageType.SYNC_STEP1:
            try:
                diff = room.doc.get_update(payload)
            except ValueError:
                raise ProtocolError("bad state vector") from None
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_STEP2, diff))
            return
        if not self.can_edit or payload == b"\x00\x00":  # viewers' edits are dropped
            return
        try:  # validates it, and newcomers syncing from the room see it at once
            stats, new = apply_with_stats(room.doc, payload)
        except ValueError:
            raise ProtocolError("not a Yjs update") from None
        if not new:  # nothing the room did not have (an echo, a repeat): nothing to store
            return
        self.pending.append((new, stats))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Commit what this client sent, then announce it. Batches form by themselves: while
        one is being written the next gathers, so a burst costs one transaction per round
        trip to the database rather than one per keystroke."""
        room = self.room
        assert room is not None and room.doc is not None
        while self.pending:
            batch, self.pending = self.pending, []
            update = merge_updates(*(u for u, _ in batch)) if len(batch) > 1 else batch[0][0]
            generation = room.generation
            try:
                seq = await database_sync_to_async(self._append)(
                    update, UpdateStats.combined(s for _, s in batch))
            except ServiceError as exc:  # e.g. the role changed since connecting
                log.info("storyboard %s: update refused: %s", self.project_id, exc.message)
                self.can_edit, self.pending = False, []
                await room.reload()  # the room holds what the log refused
                return
            except Exception:
                # Not written: the client still has it and re-sends it when it reconnects.
                log.exception("storyboard %s: could not store an update", self.project_id)
                self.pending = []
                await self.close(code=CLOSE_INTERNAL)
                return
            if room.generation != generation:  # reloaded meanwhile: re-apply (idempotent)
                room.doc.apply_update(update)
            room.seen.mark(seq)
            self.sent.mark(seq)
            await room.relay_update(seq, update, self.channel_name)  # this process first
            try:
                await self.channel_layer.group_send(self.group, {
                    "type": "storyboard.update", "seq": seq, "update": update,
                    "origin": room.channel})
            except Exception:  # stored: other processes repair the gap from the log
                log.exception("storyboard %s: could not announce update %s", self.project_id, seq)

    def _append(self, update: bytes, stats: UpdateStats) -> int:
        assert self.project is not None
        return update_append(project=self.project, user=self.user, update=update, stats=stats)

    async def _on_awareness(self, payload: bytes) -> None:
        room = self.room
        assert room is not None
        entries = awareness_parse(payload)
        for entry in entries:
            if entry.state == "null":
                self.client_ids.pop(entry.client_id, None)
            else:
                self.client_ids[entry.client_id] = entry.clock
        await self._publish_awareness(awareness_message(entries))

    async def _publish_awareness(self, data: bytes) -> None:
        room = self.room
        assert room is not None
        # This process first, the sender included: as y-websocket's own server does, which
        # also keeps a client that is alone in the room from timing out its connection.
        await room.relay_awareness(data, "")
        await self.channel_layer.group_send(self.group, {
            "type": "storyboard.awareness", "data": data, "origin": room.channel})

    async def deliver_update(self, seq: int, update: bytes, sender: str) -> None:
        """Called by the room for every committed update; sends what this client lacks."""
        if self.sent.has(seq):
            return
        assert self.room is not None
        for gap_seq, data in await self.room.missing(self.sent.missing_before(seq)):
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, data))
            self.sent.mark(gap_seq)
        if sender != self.channel_name:
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, update))
        self.sent.mark(seq)


