"""The personalised feed: candidates, a blended score, a diversity re-rank, exploration, reasons.

This module loads what the ranking needs (the viewer, the catalogue) and keeps the sessions; the
ranking itself is recommend.ranking, pure computation on arrays. Every published work is scored
at once (recommend.serving keeps them as arrays):
- collaborative: the hybrid model's blend (ALS + item-item + popularity) for the viewer's row;
- content: similarity of the work's text embedding to the viewer's recent positives (likes, saves,
  remixes, shares, long views), minus its similarity to works they asked to see less of;
- preferences: the viewer's tag weights; followed creators; popularity; freshness (a decay);
- taste: how close the work's looks are to those the viewer takes to (recommend.taste).
Each component is standardised over the works that may be shown, weighted (a viewer with no
history leans on preferences and popularity: the cold start), and summed. Works that may never be
shown are out before scoring: hidden, reported, blocked tags and creators, the viewer's own, and
what they already liked or saved. The best CANDIDATES are re-ranked by maximal marginal relevance
(MMR) with the viewer's variety setting as the trade-off, and a few exploration slots are filled
with works from outside the viewer's usual tags. Every item carries the reason it was shown.

A feed is a session: its ordered list is kept in the cache and read page by page with a cursor, so
pages never repeat or skip; when it runs out, the next page starts a new session that leaves out
what was shown.
"""


from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from threadpoolctl import threadpool_limits

from generation.selectors import remix_counts
from kernel.errors import ValidationFailed
from recommend import taste
from recommend.metrics import feed_page_seconds
from recommend.models import (
    CollectionItem,
    Follow,
    Hide,
    Like,
    Preferences,
    Publication,
    PublicationStatus,
    Signal,
    SignalKind,
    Tag,
    UserVector,
)
from recommend.ranking import Viewer, rank, viewer_taste
from recommend.serving import catalogue
from recommend.training import signal_rows, signal_weight, viewer_weights

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 20
SESSION_LENGTH = 60  # items ranked per session (three pages)
SESSION_TTL_S = 1800
RECENT_POSITIVES = 30
POSITIVE_KINDS = (SignalKind.LIKE, SignalKind.SAVE, SignalKind.REMIX, SignalKind.SHARE, SignalKind.VIEW)
LONG_VIEW_MS = 5000
IGNORED_DAYS = 14  # impressions this recent count

def viewer_told(user: User) -> Viewer:
    """What a signed-in viewer told the feed (their Preferences), without what they did."""
    viewer = Viewer(user=user)
    prefs = Preferences.objects.filter(user=user).prefetch_related("blocked_tags", "blocked_creators").first()
    if prefs is not None:
        viewer.tag_weights = dict(prefs.tag_weights)
        viewer.blocked_tags = {tag.name for tag in prefs.blocked_tags.all()}
        viewer.blocked_creators = {creator.pk for creator in prefs.blocked_creators.all()}
        viewer.variety = prefs.variety
        viewer.steering = dict(prefs.taste)
    return viewer


def viewer_load(user: User | None) -> Viewer:
    if user is None or not user.is_authenticated:
        return Viewer(user=None)
    viewer = viewer_told(user)
    rows = signal_rows(user_id=user.pk)
    hidden = list(Hide.objects.filter(user=user).values_list("publication_id", "less_like_it"))
    viewer.weights = viewer_weights(rows, {pk for pk, _ in hidden})
    recent: dict[int, float] = {}  # the latest positives, newest first
    for _user, pk, kind, dwell, _at in reversed(rows):
        if kind in POSITIVE_KINDS and (kind != SignalKind.VIEW or (dwell or 0) >= LONG_VIEW_MS):
            recent[pk] = recent.get(pk, 0.0) + signal_weight(kind, dwell)
            if len(recent) > RECENT_POSITIVES:
                break
    viewer.positives = [(pk, w) for pk, w in recent.items()
                        if viewer.weights.get(pk, 0) > 0][:RECENT_POSITIVES]
    viewer.less_like = [pk for pk, less in hidden if less]
    viewer.hidden = [pk for pk, _less in hidden]
    viewer.excluded = ({pk for pk, _ in hidden} | set(Like.objects.filter(user=user).values_list(
        "publication_id", flat=True)) | set(CollectionItem.objects.filter(collection__user=user).values_list(
            "publication_id", flat=True)))
    viewer.followed = set(Follow.objects.filter(follower=user).values_list("creator_id", flat=True))
    since = timezone.now() - timedelta(days=IGNORED_DAYS)
    shown = (Signal.objects.filter(user=user, kind=SignalKind.IMPRESSION, created_at__gte=since)
             .values("publication_id").annotate(n=Count("id")).values_list("publication_id", "n"))
    viewer.ignored = {pk: n for pk, n in shown if viewer.weights.get(pk, 0) <= 0}
    vector = UserVector.objects.filter(user=user).values_list("factors", flat=True).first()
    if vector:
        viewer.factors = np.frombuffer(bytes(vector), dtype=np.float32)
    return viewer


def viewer_leanings(user: User) -> list[tuple[str, float]]:
    """The looks the viewer's own engagement leans to (recommend.taste.leanings), before what they
    asked for on Preferences."""
    cat, _model = catalogue()
    if not len(cat):
        return []
    viewer = viewer_load(user)
    viewer.steering = {}
    found = viewer_taste(cat, viewer)
    return taste.leanings(found) if found is not None else []


def ranked(user: User | None, *, shown: set[int] | None = None, size: int = SESSION_LENGTH,
           seed: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """A ranked session: (publication pk, reason) pairs, best first, exploration mixed in. BLAS runs
    on one thread here: these products are small, and a thread pool waking for each of them cost
    more than the work (a request's ranking took twice as long on two cores under load)."""
    with threadpool_limits(1, "blas"):
        return _ranked(user, shown=shown, size=size, seed=seed)


def _ranked(user: User | None, *, shown: set[int] | None, size: int,
            seed: int | None) -> list[tuple[int, dict[str, Any]]]:
    cat, model = catalogue()
    if not len(cat):
        return []
    rng = np.random.default_rng(seed if seed is not None else secrets.randbits(32))
    return rank(cat, model, viewer_load(user), shown=shown or set(), size=size, rng=rng)


# --- sessions and pages -------------------------------------------------------------------------


@dataclass
class FeedItem:
    publication: Publication
    reason: dict[str, Any]
    position: int


@dataclass
class FeedPage:
    feed: str
    items: list[FeedItem]
    next_cursor: str | None


def _key(feed: str) -> str:
    return f"recommend:feed:{feed}"


def _parse_cursor(cursor: str) -> tuple[str, int]:
    feed, _sep, offset = cursor.partition(".")
    if not feed or not offset.isdigit() or len(feed) > 40:
        raise ValidationFailed(_("This cursor is not one the feed gave."), fields={
            "cursor": [_("Use the next_cursor of the previous page, or none for the first page.")]})
    return feed, int(offset)


def feed_page(*, user: User | None, cursor: str | None = None, size: int = PAGE_SIZE) -> FeedPage:
    """One page of the viewer's feed. A cursor from an earlier page continues its session; an
    expired session (or the end of one) starts a new one that leaves out what was shown."""
    if not 1 <= size <= 50:
        raise ValidationFailed(_("A page has 1 to 50 items."), fields={"size": [_("1 to 50")]})
    owner = user.pk if user is not None and user.is_authenticated else None
    with feed_page_seconds.labels("signed_in" if owner else "anonymous").time():
        return _feed_page(user, owner, cursor, size)


def _feed_page(user: User | None, owner: int | None, cursor: str | None, size: int) -> FeedPage:
    session: dict[str, Any] | None = None
    offset = 0
    if cursor:
        feed, offset = _parse_cursor(cursor)
        session = cache.get(_key(feed))
        if session is not None and session["user"] != owner:
            session = None
    if session is None or offset >= len(session["items"]):
        shown = set(session["shown"]) if session is not None else set()
        feed = secrets.token_urlsafe(12)
        items = ranked(user if owner else None, shown=shown)
        session = {"user": owner, "items": items, "shown": sorted(shown)}
        offset = 0
    page_items = session["items"][offset:offset + size]
    session["shown"] = sorted(set(session["shown"]) | {pk for pk, _ in page_items})
    cache.set(_key(feed), session, SESSION_TTL_S)
    publications = publications_for([pk for pk, _ in page_items], user=user)
    shown_items = [FeedItem(publication=publications[pk], reason=reason, position=offset + n)
             for n, (pk, reason) in enumerate(page_items) if pk in publications]
    more = offset + size < len(session["items"]) or bool(session["items"])
    return FeedPage(feed=feed, items=shown_items, next_cursor=f"{feed}.{offset + size}" if more else None)


def publications_for(pks: list[int], *, user: User | None) -> dict[int, Publication]:
    """The works still shown (published, not hidden since), with what a card needs (remix_count)."""
    queryset = (Publication.objects.filter(pk__in=pks, status=PublicationStatus.PUBLISHED).order_by()
                .defer("embedding").select_related("creator", "asset")
                .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name"))))
    if user is not None and user.is_authenticated:
        queryset = queryset.exclude(hidden_by__user=user)
    found = {p.pk: p for p in queryset}
    counts = remix_counts(asset_ids=[p.asset_id for p in found.values()])
    for publication in found.values():
        publication.remix_count = counts.get(publication.asset_id, 0)  # type: ignore[attr-defined]
    return found
