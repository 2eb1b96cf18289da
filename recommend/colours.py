"""Browsing the gallery by colour: the published works whose dominant palette (their aesthetic
report's) holds most of a colour, best match first. Read from the feed's in-memory catalogue, so a
search costs one pass over arrays, not a query per work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.errors import ValidationFailed
from recommend import taste
from recommend.feed import viewer_told
from recommend.models import Hide
from recommend.ranking import unblocked
from recommend.serving import catalogue

if TYPE_CHECKING:
    from accounts.models import User

HEX = re.compile(r"#?([0-9a-fA-F]{6})")
MAX_RESULTS = 500  # a colour's works, at most, paged through

# The swatches offered (any other colour can be picked); names as people say them.
NAMED = {"red": ("#d32f2f", gettext_lazy("Red")), "orange": ("#f57c00", gettext_lazy("Orange")),
         "yellow": ("#fbc02d", gettext_lazy("Yellow")), "green": ("#388e3c", gettext_lazy("Green")),
         "teal": ("#00897b", gettext_lazy("Teal")), "blue": ("#1976d2", gettext_lazy("Blue")),
         "purple": ("#7b1fa2", gettext_lazy("Purple")), "pink": ("#e91e8c", gettext_lazy("Pink")),
         "brown": ("#795548", gettext_lazy("Brown")), "black": ("#141414", gettext_lazy("Black")),
         "grey": ("#8a8a8a", gettext_lazy("Grey")), "white": ("#f5f5f5", gettext_lazy("White"))}


COLOUR_PATTERN = "^(#?[0-9a-fA-F]{6}|" + "|".join(NAMED) + ")$"  # what colour_parse takes (the API's schema)


@dataclass(frozen=True)
class ColourMatch:
    publication: int  # pk
    match: float  # the share of the work near the colour, 0 to 1


def colour_parse(raw: str) -> str:
    """"#rrggbb" from a swatch's name or a hex colour (with or without "#"); refused otherwise."""
    value = (raw or "").strip().lower()
    if value in NAMED:
        return NAMED[value][0]
    found = HEX.fullmatch(value)
    if found is None:
        message = _("A colour is #rrggbb or one of: %(names)s.") % {"names": ", ".join(NAMED)}
        raise ValidationFailed(message, fields={"colour": [message]})
    return "#" + found.group(1)


def by_colour(*, colour: str, user: User | None) -> list[ColourMatch]:
    """The published works near `colour` ("#rrggbb"), best match first, without the works and
    creators and tags the viewer never wants to see."""
    cat, _model = catalogue()
    if not len(cat):
        return []
    match = taste.colour_match(cat.palette_lab, cat.palette_share, taste.hex_to_lab([colour])[0])
    allowed = match >= taste.MIN_MATCH
    if user is not None and user.is_authenticated:
        allowed &= unblocked(cat, viewer_told(user))
        hidden = [cat.index[pk] for pk in Hide.objects.filter(user=user).values_list(
            "publication_id", flat=True) if pk in cat.index]
        allowed[hidden] = False
    rows = np.flatnonzero(allowed)
    rows = rows[np.argsort(-match[rows], kind="stable")][:MAX_RESULTS]
    return [ColourMatch(publication=int(cat.ids[row]), match=round(float(match[row]), 3)) for row in rows]
