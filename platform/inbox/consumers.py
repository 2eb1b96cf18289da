"""`/ws/notifications`: a signed-in user's unread count, live, and each new notification's
sentence in their language. Anyone else is closed with 4403 (the badge's script stops then)."""

from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation

from accounts.scopes import TokenScope
from inbox.events import user_group
from inbox.messages import message_text
from inbox.selectors import unread_count
from kernel.ws_limits import BoundedJsonConsumer

CLOSE_FORBIDDEN = 4403


class NotificationConsumer(BoundedJsonConsumer):
    """(BoundedJsonConsumer: pings are answered, frames that are not small JSON text close it.)"""

    async def connect(self) -> None:
        user = self.scope.get("user")
        scopes = self.scope.get("token_scopes")  # None: a session, not limited by scopes
        if (user is None or not user.is_authenticated
                or (scopes is not None and TokenScope.READ.value not in scopes)):
            # Accept, then close: a browser reads 4403 only on a socket that opened.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.group = user_group(user.pk)
        self.language = self._language()
        # In the group before counting: a notification committed meanwhile is heard after it.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "count", "unread": await database_sync_to_async(unread_count)(
            user_id=user.pk)})

    def _language(self) -> str:
        """The language the pages speak to this user: the switcher's cookie, else their own."""
        chosen = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        known = {code for code, _name in settings.LANGUAGES}
        if chosen in known:
            return str(chosen)
        preferred = getattr(self.user, "preferred_language", "")
        return preferred if preferred in known else settings.LANGUAGE_CODE

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def inbox_update(self, message: dict[str, Any]) -> None:
        if not hasattr(self, "group"):
            return
        notification = message.get("notification")
        if notification is None:
            await self.send_json({"type": "count", "unread": message["unread"]})
            return
        with translation.override(self.language):
            text = message_text(kind=notification["kind"], message=notification["message"],
                                params=notification["params"])
        await self.send_json({"type": "notification", "unread": message["unread"], "notification": {
            "id": notification["id"], "kind": notification["kind"], "text": text,
            "link": notification["link"], "created_at": notification["created_at"]}})
