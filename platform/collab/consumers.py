"""`/ws/projects/<id>/storyboard`: the y-websocket protocol over Channels.

Editors' updates are applied to the process's room, committed to the log, then announced to
every process through the channel layer; viewers receive everything and their updates are
dropped. Awareness (presence, carets) is relayed and never stored; a client's awareness is
removed for everyone when its socket closes.
"""

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from pycrdt import (
    YMessageType,
    YSyncMessageType,
)

from collab.attribution import apply_with_stats
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


class StoryboardConsumer(AsyncWebsocketConsumer):
    room: Room | None = None

    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        self.user = self.scope.get("user")
        self.client_ids: dict[int, int] = {}  # awareness client id -> last clock
        allowed = await self._allowed()
        await self.accept()
        if allowed is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.can_edit = allowed["edit_storyboard"]
        self.group = storyboard_group(self.project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.room = room_for(self.project_id)
        self.room.members.add(self)
        await self.room.load()
        assert self.room.doc is not None
        self.sent = self.room.seen.copy()  # what this client has, as of the state sent below
        await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_STEP1, self.room.doc.get_state()))
        await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_STEP2, self.room.doc.get_update()))
        if self.room.awareness:
            await self.send(bytes_data=awareness_message(list(self.room.awareness.values())))

    @database_sync_to_async
    def _allowed(self) -> dict[str, bool] | None:
        """What this member may do (None for non-members)."""
        project = Project.objects.filter(pk=self.project_id).first()
        membership = membership_get(project=project, user=self.user) if project and self.user else None
        if project is None or membership is None:
            return None
        return actions_allowed(project=project, role=membership.role)

    async def disconnect(self, code: int) -> None:
        room = self.room
        if room is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        room.members.discard(self)
        gone = [AwarenessEntry(client_id, clock + 1, "null")
                for client_id, clock in self.client_ids.items()]
        for entry in gone:
            room.awareness.pop(entry.client_id, None)
        if gone:
            await self.channel_layer.group_send(self.group, {
                "type": "storyboard.awareness", "data": awareness_message(gone),
                "sender": self.channel_name})
        room_release(room)

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
        await self._accept_update(payload)

    async def _accept_update(self, update: bytes) -> None:
        room = self.room
        assert room is not None and room.doc is not None
        async with room.lock:
            try:
                stats = apply_with_stats(room.doc, update)
            except ValueError:
                raise ProtocolError("not a Yjs update") from None
            try:
                seq = await database_sync_to_async(self._append)(update, stats)
            except ServiceError as exc:  # e.g. the role changed since connecting
                log.info("storyboard %s: update refused: %s", self.project_id, exc.message)
                self.can_edit = False
                await room._reload()
                return
            room.seen.mark(seq)
        self.sent.mark(seq)
        await self.channel_layer.group_send(self.group, {
            "type": "storyboard.update", "seq": seq, "update": update, "sender": self.channel_name})

    def _append(self, update: bytes, stats: Any) -> int:
        project = Project.objects.get(pk=self.project_id)
        return update_append(project=project, user=self.user, update=update, stats=stats)

    async def _on_awareness(self, payload: bytes) -> None:
        room = self.room
        assert room is not None
        entries = awareness_parse(payload)
        for entry in entries:
            if entry.state == "null":
                self.client_ids.pop(entry.client_id, None)
                room.awareness.pop(entry.client_id, None)
            else:
                self.client_ids[entry.client_id] = entry.clock
                room.awareness[entry.client_id] = entry
        await self.channel_layer.group_send(self.group, {
            "type": "storyboard.awareness", "data": awareness_message(entries),
            "sender": self.channel_name})

    # --- channel layer handlers -------------------------------------------------------------

    async def storyboard_update(self, event: dict[str, Any]) -> None:
        room = self.room
        if room is None:
            return
        seq, update = event["seq"], event["update"]
        await room.receive(seq, update)
        if self.sent.has(seq):
            return
        for gap_seq, data in await room.missing(self.sent.missing_before(seq)):
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, data))
            self.sent.mark(gap_seq)
        if event.get("sender") != self.channel_name:
            await self.send(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, update))
        self.sent.mark(seq)

    async def storyboard_awareness(self, event: dict[str, Any]) -> None:
        if self.room is None or event.get("sender") == self.channel_name:
            return
        message = message_parse(event["data"])
        for entry in awareness_parse(message.payload):  # keep the room's view complete
            if entry.state == "null":
                self.room.awareness.pop(entry.client_id, None)
            else:
                self.room.awareness[entry.client_id] = entry
        await self.send(bytes_data=event["data"])


