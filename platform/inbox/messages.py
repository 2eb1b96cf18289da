"""The sentence of each kind of notification, as msgids (gettext_noop: stored untranslated, shown
translated); a caller may store another msgid of its own, marked the same way where it is written."""

from typing import Any

from django.utils.translation import gettext, gettext_noop

from inbox.models import Kind

MESSAGES: dict[str, str] = {
    Kind.INVITATION: gettext_noop("%(actor)s invited you to the project “%(project)s”."),
    Kind.RENDER_SUCCEEDED: gettext_noop("Your render “%(prompt)s” in “%(project)s” is ready."),
    Kind.RENDER_FAILED: gettext_noop("Your render “%(prompt)s” in “%(project)s” failed."),
    Kind.COOWNER_REQUEST: gettext_noop("%(actor)s asks you to confirm the co-owners of “%(work)s” "
                                       "before it is registered."),
    Kind.REGISTRATION_CONFIRMED: gettext_noop("“%(work)s” is registered on the chain."),
    Kind.REGISTRATION_FAILED: gettext_noop("The registration of “%(work)s” failed."),
    Kind.COMMENT: gettext_noop("%(actor)s commented on scene %(scene)s of “%(project)s”: “%(excerpt)s”"),
    Kind.REPLY: gettext_noop("%(actor)s replied to your comment in “%(project)s”: “%(excerpt)s”"),
    Kind.MODERATION: gettext_noop("A moderator decided about “%(subject)s”."),
    Kind.REVIEW: gettext_noop("%(actor)s reviewed “%(work)s”."),
    Kind.REVIEW_REPLY: gettext_noop("%(actor)s replied to your review of “%(work)s”."),
}


def message_text(*, kind: str, message: str, params: dict[str, Any]) -> str:
    """The sentence in the active language; the kind's name if the stored one cannot be filled."""
    try:
        return gettext(message) % params
    except (KeyError, TypeError, ValueError):
        return str(Kind(kind).label) if kind in Kind.values else gettext(message)
