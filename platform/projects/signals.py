"""Who may see a project changed: sockets opened before the change must follow it.

`access_announce` runs after the change commits. It tells the project's events sockets through
the channel layer (group `project.<id>`, message type `project.access`), and sends the
`access_changed` signal, which apps above this one connect to for sockets of their own (collab
closes or downgrades storyboard sockets in every server process). Each receiver re-reads the
membership: the announcement carries who, never what.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from projects.activity import project_group
from projects.extensions import access_changed

log = logging.getLogger(__name__)

ACCESS_MESSAGE = "project.access"


def access_announce(*, project_id: int, user_id: int | None = None) -> None:
    """After the current transaction commits (at once outside one): re-check the sockets of
    `user_id` (None: of everyone) on this project."""

    def announce() -> None:
        layer = get_channel_layer()
        if layer is not None:
            try:
                async_to_sync(layer.group_send)(
                    project_group(project_id), {"type": ACCESS_MESSAGE, "user_id": user_id})
            except Exception:  # the other receivers must still hear it
                log.exception("project %s: could not announce an access change", project_id)
        for receiver, result in access_changed.send_robust(
                sender=None, project_id=project_id, user_id=user_id):
            if isinstance(result, Exception):
                log.error("project %s: access change receiver %r failed: %r", project_id, receiver, result)

    transaction.on_commit(announce, robust=True)
