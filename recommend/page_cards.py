"""What the gallery's pages read, shaped as the API shapes it: a card is the API's publication
(recommend/api/serializers.py), so the cards a page renders on the server and those its scripts add
from the API are drawn from the same data."""

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from accounts.models import User
from projects.models import Membership
from projects.roles import Action, role_allows
from recommend.api.serializers import PublicationSerializer, feed_items_data
from recommend.feed import FeedPage, publications_for
from recommend.models import Hide, Publication, PublicationStatus
from recommend.selectors import creator_publications, viewer_facts, with_remix_counts

RELATED = 8


def viewer(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def cards(request: HttpRequest, publications: list[Publication]) -> list[dict[str, Any]]:
    """The publications as cards (one query each for the viewer's likes, saves and follows)."""
    missing = [p for p in publications if not hasattr(p, "remix_count")]
    if missing:
        with_remix_counts(missing)
    facts = viewer_facts(user=request.user, publications=publications)
    context = {"request": request, "facts": facts}
    return [PublicationSerializer(p, context=context).data for p in publications]


def feed_items(request: HttpRequest, page: FeedPage) -> list[dict[str, Any]]:
    """A feed page's items as the API gives them: {publication: card, reason, position}."""
    publications = [item.publication for item in page.items]
    facts = viewer_facts(user=request.user, publications=publications,
                         reasons=[item.reason for item in page.items])
    return feed_items_data(page.items, facts, {"request": request})


def more_from_creator(publication: Publication, user: User | None) -> list[Publication]:
    pks = list(creator_publications(creator=publication.creator).exclude(pk=publication.pk)
               .values_list("pk", flat=True)[:RELATED])
    found = publications_for(pks, user=user)
    return [found[pk] for pk in pks if pk in found]


def more_like_this(publication: Publication, user: User | None) -> list[Publication]:
    """Other creators' works that share the most tags with it (then the most liked, the newest)."""
    tag_ids = [tag.pk for tag in publication.tags.all()]
    if not tag_ids:
        return []
    pks = list(Publication.objects.filter(status=PublicationStatus.PUBLISHED, tags__in=tag_ids)
               .exclude(creator_id=publication.creator_id).annotate(shared=Count("tags"))
               .order_by("-shared", "-likes", "-published_at", "-id").values_list("pk", flat=True)[:RELATED])
    found = publications_for(pks, user=user)
    return [found[pk] for pk in pks if pk in found]


def hidden_works(user: User) -> list[Hide]:
    return list(Hide.objects.filter(user=user).select_related("publication")
                .order_by("-created_at", "-id")[:100])


def remix_projects(user: User | None) -> list[tuple[int, str]]:
    """The viewer's projects where they may generate (a remix renders there)."""
    if user is None:
        return []
    memberships = (Membership.objects.filter(user=user, project__archived_at__isnull=True)
                   .select_related("project").order_by("-project__updated_at", "project__name"))
    return [(m.project.pk, m.project.name) for m in memberships if role_allows(m.role, Action.GENERATE)]
