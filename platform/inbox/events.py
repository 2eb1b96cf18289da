"""Pushing the unread count (and a new notification) to the user's open sockets (`user.<id>`)."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from inbox.models import Notification


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notification_event(notification: Notification) -> dict[str, Any]:
    """What a socket needs to show the notification in its reader's language (the consumer
    translates the message)."""
    return {"id": notification.pk, "kind": notification.kind, "message": notification.message,
            "params": notification.params, "link": notification.link,
            "created_at": notification.created_at.isoformat()}


def push(user_id: int, *, unread: int, notification: Notification | None = None) -> None:
    """Tell the user's sockets the unread count, with the new notification if there is one. Called
    after commit; a channel layer that is down loses only the live update (the page has the truth)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message: dict[str, Any] = {"type": "inbox.update", "unread": unread}
    if notification is not None:
        message["notification"] = notification_event(notification)
    async_to_sync(layer.group_send)(user_group(user_id), message)
