"""Reads for notifications: a user's own only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inbox.models import EmailPreference, Notification
from kernel.errors import NotFound

if TYPE_CHECKING:
    from accounts.models import User

MAX_ID = 2**63 - 1  # larger ids overflow the database's integer: they name nothing


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user).select_related("actor")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def notification_get(*, user: User, notification_id: int) -> Notification:
    """The user's notification; someone else's reads as missing (no hint that it exists)."""
    found = None
    if 0 < notification_id <= MAX_ID:
        found = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if found is None:
        raise NotFound(_("No such notification."))
    return found


def email_kinds(*, user: User) -> list[str]:
    """The kinds the user wants in the e-mail digest."""
    preference = EmailPreference.objects.filter(user=user).first()
    return list(preference.kinds) if preference else []
