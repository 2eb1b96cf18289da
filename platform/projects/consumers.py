"""`/ws/projects/<id>/events`: members receive the project's activity as it happens; a member
removed meanwhile (or everyone, when the project is deleted) is closed with 4403."""

from typing import Any

from channels.db import database_sync_to_async
from django.utils import translation

from accounts.scopes import TokenScope
from kernel.errors import ServiceError
from kernel.ws_limits import BoundedJsonConsumer
from projects.activity import project_group, verb_text
from projects.roles import Action
from projects.selectors import project_get

CLOSE_FORBIDDEN = 4403


class ProjectEventsConsumer(BoundedJsonConsumer):
    """(BoundedJsonConsumer: pings are answered, frames that are not small JSON text close it.)"""

    revoked = False

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if self.user is None or not self.user.is_authenticated:
            await self._refuse()
            return
        # In the group before the check: an access change committed meanwhile is heard after it.
        self.group = project_group(self.project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        if not await self._is_member():
            await self._refuse()
            return
        await self.accept()

    async def _refuse(self) -> None:
        # Accept, then close: a browser sees 4403 only on an open socket (a refused
        # handshake reads as 1006, indistinguishable from a network failure).
        self.revoked = True  # what is already on its way to this channel is not sent
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            del self.group
        await self.accept()
        await self.close(code=CLOSE_FORBIDDEN)

    @database_sync_to_async
    def _is_member(self) -> bool:
        """A member's socket; a bearer token's needs the `read` scope too."""
        scopes = self.scope.get("token_scopes")  # None: a session, not limited by scopes
        if scopes is not None and TokenScope.READ.value not in scopes:
            return False
        try:
            project_get(project_id=self.project_id, user=self.user, action=Action.VIEW)
        except ServiceError:
            return False
        return True

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def project_access(self, message: dict[str, Any]) -> None:
        """Someone's access changed (projects.signals): if it may be ours, ask the database again;
        a socket whose user is no longer a member closes at once."""
        user_id = message.get("user_id")
        if user_id is not None and user_id != getattr(self.user, "pk", None):
            return
        if self.revoked or await self._is_member():
            return
        self.revoked = True  # what is already on its way to this channel is not sent
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            del self.group
        await self.close(code=CLOSE_FORBIDDEN)

    async def project_event(self, message: dict[str, Any]) -> None:
        if self.revoked:
            return
        payload = dict(message["payload"])
        if message["event"] == "activity":
            # Each receiver reads the sentence in their own language.
            with translation.override(getattr(self.user, "preferred_language", None) or "en"):
                payload["text"] = verb_text(payload["verb"], payload.get("data") or {})
        await self.send_json({"type": message["event"], **payload})
