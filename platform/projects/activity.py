"""Recording activity and pushing it live to the project's websocket group."""


from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import Activity, Project
from projects.roles import Role

if TYPE_CHECKING:
    from accounts.models import User


def _with_role(data: dict[str, Any]) -> dict[str, Any]:
    """Data stores the role's value; the sentence shows its label in the reader's language."""
    role = data["role"]
    return {**data, "role": Role(role).label if role in Role.values else role}


# How each verb reads on a page; other apps add theirs with extensions.verbs_register.
VERB_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "project.created": lambda d: _("created the project"),
    "project.renamed": lambda d: _("renamed the project to “%(name)s”") % d,
    "project.described": lambda d: _("changed the description"),
    "project.archived": lambda d: _("archived the project"),
    "project.unarchived": lambda d: _("unarchived the project"),
    "member.invited": lambda d: _("invited %(invitee)s as %(role)s") % _with_role(d),
    "member.joined": lambda d: _("joined as %(role)s") % _with_role(d),
    "member.declined": lambda d: _("declined the invitation"),
    "member.role_changed": lambda d: _("made %(member)s %(role)s") % _with_role(d),
    "member.removed": lambda d: _("removed %(member)s") % d,
    "member.left": lambda d: _("left the project"),
    "invitation.revoked": lambda d: _("revoked the invitation of %(invitee)s") % d,
}


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def verb_text(verb: str, data: dict[str, Any]) -> str:
    """The sentence for a verb in the active language (the consumer renders it per receiver)."""
    render = VERB_TEXT.get(verb)
    try:
        return render(data) if render else verb
    except (KeyError, TypeError):
        return verb


def activity_payload(activity: Activity) -> dict[str, Any]:
    actor = activity.actor
    return {
        "id": activity.id,
        "verb": activity.verb,
        "text": verb_text(activity.verb, activity.data),
        "actor": {"id": actor.id, "username": actor.username, "name": actor.name} if actor else None,
        "target": {"type": activity.target_type, "id": activity.target_id} if activity.target_type
        else None,
        "data": activity.data,
        "created_at": activity.created_at.isoformat(),
    }


def project_event_send(*, project_id: int, event: str, payload: dict[str, Any]) -> None:
    """Send an event to everyone watching the project, once the transaction has committed."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                project_group(project_id), {"type": "project.event", "event": event, "payload": payload})

    transaction.on_commit(send, robust=True)


def activity_record(*, project: Project, actor: User | None, verb: str,
                    target: Any = None, data: dict[str, Any] | None = None) -> Activity:
    activity = Activity.objects.create(
        project=project, actor=actor, verb=verb,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )
    project_event_send(project_id=project.id, event="activity", payload=activity_payload(activity))
    return activity
