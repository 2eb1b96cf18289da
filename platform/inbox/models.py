"""Notifications: what happened that concerns someone, kept until they read it (and a while after).

A notification stores its sentence as an English msgid with its parameters, not as text: it is
translated when it is shown, into the language of whoever reads it then (inbox.messages).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    COOWNER_REQUEST = "coowner_request", _("A co-owner asks you to confirm a work")
    INVITATION = "invitation", _("You are invited to a project")
    RENDER_SUCCEEDED = "render_succeeded", _("Your render finished")
    RENDER_FAILED = "render_failed", _("Your render failed")
    REGISTRATION_CONFIRMED = "registration_confirmed", _("A work's registration is confirmed")
    REGISTRATION_FAILED = "registration_failed", _("A work's registration failed")
    COMMENT = "comment", _("A comment on a scene you take part in")
    REPLY = "reply", _("A reply to your comment")
    MODERATION = "moderation", _("A moderation decision")
    REVIEW = "review", _("A review of your work in the gallery")
    REVIEW_REPLY = "review_reply", _("A reply to your review")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    link = models.CharField(_("link"), max_length=500, help_text=_("A path on this site."))
    message = models.CharField(max_length=300)  # an English msgid, translated when shown
    params = models.JSONField(default=dict, blank=True)  # its %(name)s values, plain strings
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)  # in a digest already

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_recipient_newest"),
            # The badge's count: a user's unread rows only.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True),
                         name="inbox_unread"),
            # The digest's scan: unread rows not mailed yet.
            models.Index(fields=["recipient", "created_at"],
                         condition=models.Q(read_at__isnull=True, emailed_at__isnull=True),
                         name="inbox_digest_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailPreference(models.Model):
    """Which kinds of notification a user wants in the e-mail digest (none until they choose)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="inbox_email")
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"digest of {self.user_id}: {', '.join(self.kinds) or '-'}"
