"""`/ws/projects/<id>/events`: members receive the project's activity as it happens."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from core.errors import ServiceError
from projects.activity import project_group, verb_text
from projects.roles import Action
from projects.selectors import project_get

CLOSE_FORBIDDEN = 4403


class ProjectEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        allowed = self.user is not None and await self._is_member()
        if not allowed:
            # Accept, then close: a browser sees 4403 only on an open socket (a refused
            # handshake reads as 1006, indistinguishable from a network failure).
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = project_group(self.project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _is_member(self) -> bool:
        try:
            project_get(project_id=self.project_id, user=self.user, action=Action.VIEW)
        except ServiceError:
            return False
        return True

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def project_event(self, message: dict[str, Any]) -> None:
        payload = dict(message["payload"])
        if message["event"] == "activity":
            # Each receiver reads the sentence in their own language.
            with translation.override(getattr(self.user, "preferred_language", None) or "en"):
                payload["text"] = verb_text(payload["verb"], payload.get("data") or {})
        await self.send_json({"type": message["event"], **payload})
