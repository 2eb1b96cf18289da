"""Why the feed shows a work, in words ("why this?")."""

from typing import Any

from django.utils.translation import gettext as _

from recommend.ranking import Reason
from recommend.selectors import ViewerFacts


def reason_text(reason: dict[str, Any], facts: ViewerFacts) -> str:
    code = reason.get("code")
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
                            "tag": reason.get("tag") or None, "publication": None, "creator": None}
    liked = facts.publications.get(reason.get("publication", 0))
    if liked is not None:
        data["publication"] = {"id": liked.public_id, "title": liked.title}
    creator = facts.creators.get(reason.get("creator", 0))
    if creator is not None:
        data["creator"] = {"username": creator.username, "name": creator.name}
    return data
