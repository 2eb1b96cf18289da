"""What a viewer tells the feed: tags they like (and how much), tags and creators never to show,
how much variety they want, and the looks they want more or less of (recommend.taste). Onboarding
asks for a few tags the first time."""


from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import users_by_username
from kernel.errors import ValidationFailed
from recommend.models import Preferences
from recommend.services import tags_clean, tags_get
from recommend.taste import TASTE

if TYPE_CHECKING:
    from accounts.models import User

MIN_WEIGHT, MAX_WEIGHT = -1.0, 2.0
ONBOARDING_WEIGHT = 1.0
MAX_WEIGHTED_TAGS = 50
MAX_BLOCKED = 200


def preferences_get(*, user: User) -> Preferences:
    prefs, _created = Preferences.objects.get_or_create(user=user)
    return prefs


def _weights(raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ValidationFailed(_("Tag weights are {tag: weight}."), fields={"tag_weights": [
            _("An object of tag: weight, weights from -1 to 2.")]})
    names = tags_clean(list(raw), field="tag_weights", limit=MAX_WEIGHTED_TAGS)
    if len(names) != len(raw):
        raise ValidationFailed(_("Each tag is weighted once."), fields={"tag_weights": [_("Each tag once.")]})
    weights = {}
    for name, value in zip(names, raw.values(), strict=True):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not MIN_WEIGHT <= value <= MAX_WEIGHT:
            message = _("The weight of #%(tag)s is a number from -1 to 2.") % {"tag": name}
            raise ValidationFailed(message, fields={"tag_weights": [message]})
        if value:
            weights[name] = float(value)
    return weights


def _steering(raw: Any) -> dict[str, int]:
    """{measure: -1 or 1} over TASTE; 0 drops a measure."""
    if not isinstance(raw, dict) or len(raw) > len(TASTE):
        raise ValidationFailed(_("Taste is {measure: -1, 0 or 1}."), fields={"taste": [
            _("An object of measure: -1 (less of it), 0 or 1 (more of it).")]})
    steering = {}
    for name, value in raw.items():
        if name not in TASTE:
            message = _("No such measure: %(name)s. One of: %(names)s.") % {"name": str(name)[:40],
                                                                           "names": ", ".join(TASTE)}
            raise ValidationFailed(message, fields={"taste": [message]})
        if isinstance(value, bool) or value not in (-1, 0, 1):
            message = _("The taste for %(name)s is -1, 0 or 1.") % {"name": name}
            raise ValidationFailed(message, fields={"taste": [message]})
        if value:
            steering[name] = int(value)
    return steering


@transaction.atomic
def preferences_update(*, user: User, tag_weights: dict[str, float] | None = None,
                       blocked_tags: Iterable[str] | None = None,
                       blocked_creators: Iterable[str] | None = None,
                       variety: int | None = None, taste: dict[str, int] | None = None) -> Preferences:
    """Change what is given; blocked creators by username."""
    prefs = Preferences.objects.select_for_update().get(pk=preferences_get(user=user).pk)
    errors: dict[str, list[str]] = {}
    if variety is not None and (isinstance(variety, bool) or not isinstance(variety, int)
                                or not 0 <= variety <= 100):
        errors["variety"] = [_("A whole number from 0 (only what I like) to 100 (everything).")]
    creators = None
    if blocked_creators is not None:
        names = list(dict.fromkeys(str(name).strip().lstrip("@") for name in blocked_creators
                                   if str(name).strip()))
        if len(names) > MAX_BLOCKED:  # before asking the database about each name
            errors["blocked_creators"] = [_("At most %(n)s.") % {"n": MAX_BLOCKED}]
        else:
            found = users_by_username(names)
            missing = [name for name in names if name not in found]
            if missing:
                message = _("No such creator: %(names)s.") % {"names": ", ".join(missing)}
                errors["blocked_creators"] = [message]
            creators = [u for u in found.values() if u.pk != user.pk]
    weights = None
    blocked = None
    try:
        weights = _weights(tag_weights) if tag_weights is not None else None
    except ValidationFailed as error:
        errors.update(error.fields)
    steering = None
    try:
        steering = _steering(taste) if taste is not None else None
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        if blocked_tags is not None:
            blocked = tags_clean(list(blocked_tags), field="blocked_tags", limit=MAX_BLOCKED)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(_("The preferences have errors."), fields=errors)
    if weights is not None:
        prefs.tag_weights = weights
    if variety is not None:
        prefs.variety = variety
    if steering is not None:
        prefs.taste = steering
    prefs.save()
    if blocked is not None:
        prefs.blocked_tags.set(tags_get(blocked))
    if creators is not None:
        prefs.blocked_creators.set(creators)
    return prefs


@transaction.atomic
def onboarding_complete(*, user: User, tags: Iterable[str], variety: int | None = None) -> Preferences:
    """The first visit: a few tags the viewer likes (each gets weight 1), or none (skip)."""
    names = tags_clean(list(tags))
    prefs = preferences_update(user=user, variety=variety,
                               tag_weights={**preferences_get(user=user).tag_weights,
                                            **dict.fromkeys(names, ONBOARDING_WEIGHT)})
    prefs.onboarded_at = prefs.onboarded_at or timezone.now()
    prefs.save(update_fields=["onboarded_at"])
    return prefs
