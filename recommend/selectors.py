"""Reading the gallery: a publication as its viewer may see it, creators, collections, tags, and
the per-viewer facts a card shows (liked, saved, following, registered)."""


from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import signed_in, user_active, users_by_id
from generation.selectors import remix_counts
from kernel.errors import NotFound
from projects.roles import Action, role_allows
from projects.selectors import membership_get, projects_allowing
from recommend.feed import publications_for
from recommend.models import (
    Collection,
    CollectionItem,
    Follow,
    Hide,
    Like,
    ModelVersion,
    Preferences,
    Publication,
    PublicationStatus,
    Tag,
)
from rights.selectors import licence_prices, registered_works

if TYPE_CHECKING:
    from accounts.models import User
    from rights.models import Work

AnyUser = Any


def _authenticated(user: AnyUser) -> User | None:
    return signed_in(user)


def publication_get(*, publication_id: str, user: AnyUser) -> Publication:
    """A published work (anyone), or an unpublished or held one (its project's owners, moderators)."""
    publication = (Publication.objects.filter(public_id=publication_id).defer("embedding")
                   .select_related("creator", "asset", "project").prefetch_related("tags").first())
    if publication is None:
        raise NotFound(_("No such publication."))
    if publication.status != PublicationStatus.PUBLISHED:
        viewer = _authenticated(user)
        membership = membership_get(project=publication.project, user=viewer) if viewer else None
        owner = membership is not None and role_allows(membership.role, Action.PUBLISH)
        if viewer is None or not (viewer.is_staff or owner):
            raise NotFound(_("No such publication."))
    publication.remix_count = remix_counts(asset_ids=[publication.asset_id]).get(  # type: ignore[attr-defined]
        publication.asset_id, 0)
    return publication


@dataclass
class ViewerFacts:
    """What a card shows about the viewer and the works on a page, fetched once per page."""

    liked: set[int] = field(default_factory=set)
    saved: set[int] = field(default_factory=set)
    following: set[int] = field(default_factory=set)
    registered: dict[int, Work] = field(default_factory=dict)  # asset pk -> its registered work
    licence_from: dict[int, str] = field(default_factory=dict)  # work pk -> its cheapest licence's price
    publications: dict[int, Publication] = field(default_factory=dict)  # referenced by reasons
    creators: dict[int, User] = field(default_factory=dict)


def viewer_facts(*, user: AnyUser, publications: list[Publication],
                 reasons: list[dict[str, Any]] | None = None) -> ViewerFacts:
    facts = ViewerFacts()
    pks = [p.pk for p in publications]
    viewer = _authenticated(user)
    if viewer is not None:
        facts.liked = set(Like.objects.filter(user=viewer, publication_id__in=pks)
                          .values_list("publication_id", flat=True))
        facts.saved = set(CollectionItem.objects.filter(collection__user=viewer, publication_id__in=pks)
                          .values_list("publication_id", flat=True))
        facts.following = set(Follow.objects.filter(follower=viewer, creator_id__in={
            p.creator_id for p in publications}).values_list("creator_id", flat=True))
    facts.registered = registered_works(asset_ids=[p.asset_id for p in publications])
    facts.licence_from = licence_prices(work_ids=[w.pk for w in facts.registered.values()])
    reasons = reasons or []
    referenced = {r["publication"] for r in reasons if r.get("publication")}
    facts.publications = {p.pk: p for p in Publication.objects.filter(pk__in=referenced).order_by()
                          .only("id", "public_id", "title")}
    creators = {r["creator"] for r in reasons if r.get("creator")}
    facts.creators = users_by_id(creators)
    return facts


def onboarded(*, user: User) -> bool:
    """Whether the viewer has been through the gallery's welcome (chosen tags, or skipped)."""
    return Preferences.objects.filter(user=user, onboarded_at__isnull=False).exists()


def creator_get(*, username: str) -> User:
    creator = user_active(username=username)
    if creator is None:
        raise NotFound(_("No such creator."))
    return creator


def creator_stats(*, creator: User) -> dict[str, int]:
    return {"works": Publication.objects.filter(creator=creator, status=PublicationStatus.PUBLISHED).count(),
            "followers": Follow.objects.filter(creator=creator).count(),
            "following": Follow.objects.filter(follower=creator).count()}


def creator_publications(*, creator: User) -> QuerySet[Publication]:
    return (Publication.objects.filter(creator=creator, status=PublicationStatus.PUBLISHED)
            .defer("embedding").select_related("creator", "asset").prefetch_related("tags"))


def project_publications(*, project: Any) -> QuerySet[Publication]:
    return (Publication.objects.filter(project=project).defer("embedding")
            .select_related("creator", "asset").prefetch_related("tags"))


def with_remix_counts(publications: list[Publication]) -> list[Publication]:
    counts = remix_counts(asset_ids=[p.asset_id for p in publications])
    for publication in publications:
        publication.remix_count = counts.get(publication.asset_id, 0)  # type: ignore[attr-defined]
    return publications


def collections_of(*, user: User) -> QuerySet[Collection]:
    return Collection.objects.filter(user=user).annotate(
        count=Count("items", filter=Q(items__publication__status=PublicationStatus.PUBLISHED)))


def collection_get(*, user: User, collection_id: int) -> Collection:
    collection = Collection.objects.filter(user=user, pk=collection_id).first()
    if collection is None:
        raise NotFound(_("No such collection."))
    return collection


def collection_publications(*, collection: Collection, user: User) -> list[Publication]:
    pks = list(collection.items.values_list("publication_id", flat=True))
    found = publications_for(pks, user=user)
    return [found[pk] for pk in pks if pk in found]


def liked_publications(*, user: User) -> list[Publication]:
    """The works the user liked that are still shown to them, the latest like first."""
    pks = list(Like.objects.filter(user=user).order_by("-created_at", "-id")
               .values_list("publication_id", flat=True))
    found = publications_for(pks, user=user)
    return [found[pk] for pk in pks if pk in found]


def liked_count(*, user: User) -> int:
    """How many works the user liked that are still published (for the Liked tab)."""
    return (Like.objects.filter(user=user, publication__status=PublicationStatus.PUBLISHED)
            .exclude(publication__hidden_by__user=user).count())


def popular_tags(*, prefix: str = "", limit: int = 30) -> QuerySet[Tag]:
    tags = Tag.objects.annotate(works=Count("publications", filter=Q(
        publications__status=PublicationStatus.PUBLISHED))).filter(works__gt=0)
    if prefix:
        tags = tags.filter(name__startswith=prefix.lower().lstrip("#"))
    return tags.order_by("-works", "name")[:limit]


RELATED = 8


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
    return [(project.pk, project.name) for project in projects_allowing(user=user, action=Action.GENERATE)]


def publications_popular(*, limit: int) -> list[Publication]:
    """The gallery's best works for a visitor: published, the most liked first, then the newest,
    with what a card needs."""
    pks = list(Publication.objects.filter(status=PublicationStatus.PUBLISHED)
               .order_by("-likes", "-published_at", "-id").values_list("pk", flat=True)[:limit])
    found = publications_for(pks, user=None)
    return [found[pk] for pk in pks if pk in found]


def model_in_service() -> tuple[str, float] | None:
    """The collaborative model the feed ranks with: its version and age in seconds (None
    before the first retrain)."""
    row = ModelVersion.objects.filter(active=True).order_by("-trained_at", "-id").first()
    return (row.version, (timezone.now() - row.trained_at).total_seconds()) if row else None
