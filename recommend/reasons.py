"""Why the feed shows a work, in words ("why this?")."""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recommend.ranking import Reason
from recommend.selectors import ViewerFacts

# (measure, which end) -> what the viewer is drawn to, in the words of the reason
TASTE_WORDS: dict[tuple[str, str], str | Promise] = {
    ("colourfulness", "high"): gettext_lazy("Vivid colours you like"),
    ("colourfulness", "low"): gettext_lazy("Muted palettes you like"),
    ("brightness", "high"): gettext_lazy("Bright, airy pictures you like"),
    ("brightness", "low"): gettext_lazy("Dark, moody pictures you like"),
    ("contrast", "high"): gettext_lazy("Strong contrast you like"),
    ("contrast", "low"): gettext_lazy("Soft, low-contrast looks you like"),
    ("warmth", "high"): gettext_lazy("Warm colours you like"),
    ("warmth", "low"): gettext_lazy("Cool colours you like"),
    ("sharpness", "high"): gettext_lazy("Crisp detail you like"),
    ("sharpness", "low"): gettext_lazy("Soft, dreamy focus you like"),
    ("harmony", "high"): gettext_lazy("Harmonious colours you like"),
    ("harmony", "low"): gettext_lazy("Bold, clashing colours you like"),
    ("motion", "high"): gettext_lazy("Lively motion you like"),
    ("motion", "low"): gettext_lazy("Calm, still shots you like"),
}


def reason_text(reason: dict[str, Any], facts: ViewerFacts) -> str:
    code = reason.get("code")
    if code == Reason.TASTE:
        return str(TASTE_WORDS.get((reason.get("measure", ""), reason.get("end", "")),
                                   _("The look of works you like")))
    if code == Reason.LIKED:
        liked = facts.publications.get(reason.get("publication", 0))
        if liked is not None:
            return _("Because you liked “%(title)s”") % {"title": liked.title}
        return _("Because of works you liked")
    if code == Reason.SIMILAR_PEOPLE:
        return _("Liked by people whose tastes are like yours")
    if code == Reason.FOLLOW:
        creator = facts.creators.get(reason.get("creator", 0))
        name = creator.name if creator is not None else _("a creator")
        return _("New from %(name)s, whom you follow") % {"name": name}
    if code == Reason.INTEREST:
        return _("Matches your interest in #%(tag)s") % {"tag": reason.get("tag", "")}
    if code == Reason.FRESH:
        return _("New on Storyloom")
    if code == Reason.EXPLORE:
        return _("Something different, to widen your feed")
    if reason.get("tag"):
        return _("Popular in #%(tag)s") % {"tag": reason["tag"]}
    return _("Popular on Storyloom")


def reason_public(reason: dict[str, Any], facts: ViewerFacts) -> dict[str, Any]:
    """The reason as the API gives it: its code, its text, and what it refers to."""
    data: dict[str, Any] = {"code": reason.get("code", Reason.POPULAR), "text": reason_text(reason, facts),
                            "tag": reason.get("tag") or None, "publication": None, "creator": None,
                            "measure": reason.get("measure") or None, "end": reason.get("end") or None}
    liked = facts.publications.get(reason.get("publication", 0))
    if liked is not None:
        data["publication"] = {"id": liked.public_id, "title": liked.title}
    creator = facts.creators.get(reason.get("creator", 0))
    if creator is not None:
        data["creator"] = {"username": creator.username, "name": creator.name}
    return data
