"""Writes for notifications. Other apps call `notification_send` where something happens that
concerns someone; it stores and pushes the notification once the caller's transaction has
committed, and whatever goes wrong then is logged, never raised into the caller."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import users_by_id
from inbox import events
from inbox.messages import MESSAGES, message_text
from inbox.models import EmailPreference, Kind, Notification
from inbox.selectors import notification_get, unread_count
from kernel.errors import ValidationFailed

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
NotificationKind = Kind  # (public: what callers of notification_send name the kind with)

PARAM_MAX_CHARS = 200  # each parameter's text: names, titles, excerpts
LINK_MAX_CHARS = 500
DIGEST_MAX_ITEMS = 50  # in one e-mail; the rest go in the next one
# Bounds, each overridable in the settings (read at each use):
DEFAULTS = {
    # How many notifications a user keeps: past it the oldest read ones go first, then the oldest.
    "INBOX_MAX_PER_USER": 500,
    # Read notifications older than this are deleted by the periodic prune.
    "INBOX_READ_KEEP_DAYS": 90,
    # The digest mails notifications at least this old (seen live, they are read first), and none
    # older than INBOX_DIGEST_MAX_AGE_DAYS (switching the digest on does not mail a backlog).
    "INBOX_DIGEST_AFTER_S": 600,
    "INBOX_DIGEST_MAX_AGE_DAYS": 7,
}


def _setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def link_is_local(link: str) -> bool:
    """A path on this site: no scheme, no host, nothing a browser would read as one (`//x`,
    `/\\x`, control characters it strips)."""
    return (0 < len(link) <= LINK_MAX_CHARS and link.startswith("/") and not link.startswith("//")
            and "\\" not in link and not any(ord(c) < 0x21 or ord(c) == 0x7F for c in link)
            and url_has_allowed_host_and_scheme(link, allowed_hosts=set()))


def _params(params: dict[str, Any] | None) -> dict[str, str]:
    out = {}
    for key, value in (params or {}).items():
        text = str(value)
        out[str(key)] = text if len(text) <= PARAM_MAX_CHARS else text[:PARAM_MAX_CHARS - 1] + "…"
    return out


def notification_send(*, recipients: Iterable[User | int], kind: str, link: str,
                      actor: User | None = None, params: dict[str, Any] | None = None,
                      message: str | None = None) -> None:
    """Notify `recipients` (users or their ids), except the actor, once the current transaction
    commits (at once outside one). `message` is a msgid marked with gettext_noop, filled from
    `params` when shown (default: the kind's sentence; `actor` is added to the params)."""
    actor_id = actor.pk if actor is not None else None
    ids = list(dict.fromkeys(r if isinstance(r, int) else r.pk for r in recipients))
    ids = [pk for pk in ids if pk is not None and pk != actor_id]
    if not ids:
        return
    values = _params({**({"actor": actor.name} if actor is not None else {}), **(params or {})})

    def deliver() -> None:
        _deliver(ids, kind=kind, link=link, actor_id=actor_id, params=values, message=message)

    transaction.on_commit(deliver, robust=True)


def _deliver(recipient_ids: list[int], *, kind: str, link: str, actor_id: int | None,
             params: dict[str, str], message: str | None) -> list[Notification]:
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not link_is_local(link):
        log.warning("notification link %r is not a local path: the inbox is linked instead", link)
        link = reverse("inbox:list")
    now = timezone.now()
    with transaction.atomic():
        users = [u for u in users_by_id(recipient_ids).values() if u.is_active]
        created = Notification.objects.bulk_create([
            Notification(recipient=user, kind=kind, actor_id=actor_id, link=link, params=params,
                         message=message or MESSAGES[kind], created_at=now) for user in users])
        for user in users:
            _prune_user(user.pk)
    for notification in created:
        try:
            events.push(notification.recipient_id, unread=unread_count(user_id=notification.recipient_id),
                        notification=notification)
        except Exception:  # the live badge only; the row is stored
            log.exception("could not push a notification to user %s", notification.recipient_id)
    return created


def _prune_user(user_id: int) -> int:
    """Keep the user's newest INBOX_MAX_PER_USER notifications: past it, the oldest read ones go
    first, then the oldest unread ones."""
    rows = Notification.objects.filter(recipient_id=user_id)
    excess = rows.count() - _setting("INBOX_MAX_PER_USER")
    deleted = 0
    for subset in (rows.filter(read_at__isnull=False), rows):
        if excess - deleted <= 0:
            break
        oldest = list(subset.order_by("created_at", "id").values_list("pk", flat=True)[:excess - deleted])
        deleted += Notification.objects.filter(pk__in=oldest).delete()[0]
    return deleted


def notifications_prune() -> int:
    """Delete read notifications older than INBOX_READ_KEEP_DAYS (run by Celery beat)."""
    cutoff = timezone.now() - timedelta(days=_setting("INBOX_READ_KEEP_DAYS"))
    return Notification.objects.filter(read_at__lt=cutoff).delete()[0]


def _push_count(user_id: int) -> None:
    def send() -> None:
        events.push(user_id, unread=unread_count(user_id=user_id))

    transaction.on_commit(send, robust=True)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _push_count(user.pk)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if marked:
        _push_count(user.pk)
    return marked


@transaction.atomic
def email_kinds_set(*, user: User, kinds: Iterable[str]) -> list[str]:
    """Which kinds of notification the user wants in the e-mail digest."""
    chosen = list(dict.fromkeys(kinds))
    unknown = [kind for kind in chosen if kind not in Kind.values]
    if unknown:
        raise ValidationFailed(_("Unknown kind of notification."), fields={"kinds": [
            _("Allowed: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]})
    ordered = [kind for kind in Kind.values if kind in chosen]
    EmailPreference.objects.update_or_create(user=user, defaults={"kinds": ordered})
    return ordered


# --- the e-mail digest ---------------------------------------------------------------------


def _digest_body(user: User, rows: list[Notification]) -> tuple[str, str]:
    site = settings.SITE_URL.rstrip("/")
    subject = ngettext("%(count)s new notification on Storyloom",
                       "%(count)s new notifications on Storyloom", len(rows)) % {"count": len(rows)}
    lines = [_("Hello %(name)s,") % {"name": user.name}, "",
             _("Here is what happened while you were away:"), ""]
    for row in rows:
        lines.append("• " + message_text(kind=row.kind, message=row.message, params=row.params))
        lines.append("  " + site + reverse("inbox:open", args=[row.pk]))
    lines += ["", _("Choose which notifications are e-mailed to you: %(url)s") % {
        "url": site + reverse("inbox:list") + "#email"}]
    return subject, "\n".join(lines)


def digest_send(*, user: User) -> int:
    """E-mail the user their unread notifications of the kinds they chose that no digest has
    carried yet; each notification is mailed once. Returns how many it carried."""
    kinds = EmailPreference.objects.filter(user=user).values_list("kinds", flat=True).first() or []
    if not kinds or not user.is_active or not user.email_verified:
        return 0  # (an unverified address may be someone else's: it gets nothing)
    now = timezone.now()
    with transaction.atomic():
        due = (Notification.objects.select_for_update()
               .filter(recipient=user, read_at__isnull=True, emailed_at__isnull=True, kind__in=kinds,
                       created_at__lte=now - timedelta(seconds=_setting("INBOX_DIGEST_AFTER_S")),
                       created_at__gte=now - timedelta(days=_setting("INBOX_DIGEST_MAX_AGE_DAYS")))
               .order_by("created_at", "id"))
        rows = list(due[:DIGEST_MAX_ITEMS])
        if not rows:
            return 0
        # Claimed before sending: a digest running meanwhile does not mail them again.
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=now)
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        subject, body = _digest_body(user, rows)
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
    except Exception:
        log.exception("digest for user %s not sent; it is tried again next time", user.pk)
        Notification.objects.filter(pk__in=[row.pk for row in rows], emailed_at=now).update(emailed_at=None)
        return 0
    return len(rows)


def digests_send() -> int:
    """Send every opted-in user their digest (run by Celery beat); returns the mails sent."""
    sent = 0
    for preference in EmailPreference.objects.select_related("user").iterator():
        if not preference.kinds:
            continue
        try:
            sent += 1 if digest_send(user=preference.user) else 0
        except Exception:  # one user's failure does not stop the others
            log.exception("digest for user %s failed", preference.user_id)
    return sent
