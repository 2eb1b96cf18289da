"""Reading reviews: a work's threads as a viewer may see them, one thread, and the moderators'
queue of reported reviews.

What a viewer sees of a review (`shown_as`):
- its text: published; or held back, to its author and to moderators (marked so);
- a placeholder line ("deleted", "removed by a moderator", "held back") where it is no longer
  shown but replies that are shown hang under it, so that the thread keeps its shape;
- nothing otherwise.
A work's threads are read as the work is (recommend.selectors.publication_get: anyone for a
published work; its project's owners and moderators for an unpublished or held one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import signed_in
from kernel.errors import NotFound
from recommend.selectors import publication_get
from reviews.models import Review, ReviewDecision, ReviewReport, ReviewStatus
from reviews.services import MAX_ID, may_delete, moderator_require

if TYPE_CHECKING:
    from accounts.models import User
    from recommend.models import Publication

REPLIES_SHOWN = 5  # under each thread on the work's page; the thread's own page shows them all
QUEUE_SHOWN = 50  # reported reviews on the moderation page at once
QUEUE_REPORTS_SHOWN = 5


def _visible(viewer: User | None, prefix: str = "") -> Q:
    """The reviews whose text this viewer may read (`prefix`: through a relation, "replies__")."""
    shown = Q(**{f"{prefix}status": ReviewStatus.PUBLISHED})
    if viewer is not None and viewer.is_staff:
        return shown | Q(**{f"{prefix}status__in": (ReviewStatus.HELD, ReviewStatus.REMOVED)})
    if viewer is not None:
        return shown | Q(**{f"{prefix}status": ReviewStatus.HELD, f"{prefix}author": viewer})
    return shown


def _replies_visible(viewer: User | None) -> Exists:
    return Exists(Review.objects.filter(_visible(viewer), parent=OuterRef("pk")))


@dataclass
class Entry:
    """A review as one viewer sees it."""

    review: Review
    readable: bool  # its text is shown (else a placeholder line in its place)
    can_edit: bool = False
    can_delete: bool = False
    can_report: bool = False
    reported: bool = False  # by this viewer
    replies: list[Entry] = field(default_factory=list)
    reply_count: int = 0  # replies shown in the thread (roots)

    @property
    def placeholder(self) -> str:
        review = self.review
        if review.status == ReviewStatus.DELETED:
            if review.deleted_by_id is not None and review.deleted_by_id != review.author_id:
                return _("Removed by the work's creator.")
            return _("Deleted by its author.")
        if review.status == ReviewStatus.REMOVED:
            return _("Removed by a moderator.")
        return _("Held back until a moderator looks at it.")


def thread_roots(*, publication: Publication, viewer: Any) -> QuerySet[Review]:
    """The work's threads this viewer sees, newest first: the roots they may read, and those
    standing as placeholders above replies they may read. Each has `shown_replies` (a count)."""
    person = signed_in(viewer)
    visible = _visible(person)
    return (Review.objects.filter(publication=publication, parent__isnull=True)
            .filter(visible | _replies_visible(person))
            .select_related("author", "publication")
            .annotate(shown_replies=Count("replies", filter=_visible(person, "replies__")))
            .order_by("-created_at", "-id"))


def _facts(entries: list[Entry], viewer: User | None, publication: Publication, *, can_post: bool) -> None:
    if viewer is None:
        return
    pks = [entry.review.pk for entry in entries]
    reported = set(ReviewReport.objects.filter(user=viewer, review_id__in=pks)
                   .values_list("review_id", flat=True))
    edit_cutoff = timezone.now().timestamp() - settings.REVIEWS_EDIT_WINDOW_S
    for entry in entries:
        review = entry.review
        review.publication = publication  # (loaded once for the page)
        published = review.status == ReviewStatus.PUBLISHED
        mine = review.author_id == viewer.pk
        entry.reported = review.pk in reported
        entry.can_edit = mine and published and review.created_at.timestamp() >= edit_cutoff
        entry.can_delete = review.status != ReviewStatus.DELETED and may_delete(review, viewer)
        entry.can_report = can_post and published and not mine and not entry.reported


def entries_for(*, roots: list[Review], publication: Publication, viewer: Any, replies_limit: int | None,
                can_post: bool) -> list[Entry]:
    """The threads of `roots` with their replies this viewer sees, oldest first (the first
    `replies_limit` of each; None: all), in two queries and one for the viewer's reports."""
    person = signed_in(viewer)
    visible = _visible(person)
    readable = set(Review.objects.filter(visible, pk__in=[r.pk for r in roots]).values_list("pk", flat=True))
    replies = (Review.objects.filter(visible, parent__in=roots).select_related("author", "reply_to"))
    if replies_limit == 0:
        replies = replies.none()
    elif replies_limit is not None:
        replies = replies.annotate(rank=Window(RowNumber(), partition_by=[F("parent_id")],
                                               order_by=[F("created_at").asc(), F("id").asc()])
                                   ).filter(rank__lte=replies_limit)
    by_root: dict[int, list[Entry]] = {root.pk: [] for root in roots}
    for reply in replies.order_by("created_at", "id"):
        by_root[reply.parent_id].append(Entry(review=reply, readable=True))  # type: ignore[index]
    entries = [Entry(review=root, readable=root.pk in readable, replies=by_root[root.pk],
                     reply_count=getattr(root, "shown_replies", len(by_root[root.pk]))) for root in roots]
    _facts([*entries, *(reply for entry in entries for reply in entry.replies)], person, publication,
           can_post=can_post)
    return entries


def _one(review_id: int, rows: QuerySet[Review]) -> Review | None:
    if not 0 < review_id <= MAX_ID:  # (past a database's integer: no row's)
        return None
    return rows.filter(pk=review_id).first()


def entries_for_replies(*, replies: list[Review], publication: Publication, viewer: Any,
                        can_post: bool) -> list[Entry]:
    """Replies (thread_replies: readable) as this viewer sees them."""
    entries = [Entry(review=reply, readable=True) for reply in replies]
    _facts(entries, signed_in(viewer), publication, can_post=can_post)
    return entries


def review_count(*, publication: Publication) -> int:
    """The work's published reviews and replies."""
    return Review.objects.filter(publication=publication, status=ReviewStatus.PUBLISHED).count()


def thread_get(*, review_id: int, viewer: Any) -> tuple[Publication, Review]:
    """A thread's root (given any review in it) and its work, if this viewer may see both: the work
    as recommend shows it, the root readable or standing above replies the viewer may read."""
    review = _one(review_id, Review.objects.only("id", "parent_id", "publication_id"))
    if review is None:
        raise NotFound(_("No such review."))
    root_id = review.parent_id or review.pk
    person = signed_in(viewer)
    root = (Review.objects.filter(pk=root_id).filter(_visible(person) | _replies_visible(person))
            .select_related("author", "publication").first())
    if root is None:
        raise NotFound(_("No such review."))
    publication = publication_get(publication_id=root.publication.public_id, user=viewer)
    return publication, root


def thread_replies(*, root: Review, viewer: Any) -> QuerySet[Review]:
    """A thread's replies this viewer may read, oldest first."""
    return (Review.objects.filter(_visible(signed_in(viewer)), parent=root)
            .select_related("author", "reply_to").order_by("created_at", "id"))


def review_get(*, review_id: int, viewer: Any) -> tuple[Publication, Review]:
    """One review this viewer may read (or that stands above replies they may read), and its work."""
    person = signed_in(viewer)
    review = _one(review_id, Review.objects.filter(_visible(person) | _replies_visible(person))
                  .select_related("author", "reply_to", "publication"))
    if review is None:
        raise NotFound(_("No such review."))
    publication = publication_get(publication_id=review.publication.public_id, user=viewer)
    return publication, review


# --- the moderators' queue ----------------------------------------------------------------------


@dataclass
class QueueEntry:
    review: Review
    reports: list[ReviewReport]  # open, oldest first (up to QUEUE_REPORTS_SHOWN)
    open_reports: int
    waiting_since: datetime | None
    last_decision: int  # the id to send back with a decision (0: none yet)


def moderation_queue(*, user: Any, limit: int = QUEUE_SHOWN) -> list[QueueEntry]:
    """Reviews with open reports, or held back (not deleted): the most open reports first, then
    those waiting longest. Staff only."""
    moderator_require(user)
    open_filter = Q(reports__resolved=False)
    reviews = list(Review.objects.exclude(status=ReviewStatus.DELETED)
                   .annotate(open_reports=Count("reports", filter=open_filter),
                             waiting_since=Min("reports__created_at", filter=open_filter))
                   .filter(Q(open_reports__gt=0) | Q(status=ReviewStatus.HELD))
                   .select_related("author", "publication")
                   .order_by("-open_reports", F("waiting_since").asc(nulls_last=True), "id")[:limit])
    return queue_entries(reviews)


def queue_entries(reviews: Sequence[Review]) -> list[QueueEntry]:
    pks = [review.pk for review in reviews]
    reports: dict[int, list[ReviewReport]] = {pk: [] for pk in pks}
    for entry in (ReviewReport.objects.filter(review_id__in=pks, resolved=False).select_related("user")
                  .order_by("created_at", "id")):
        if len(reports[entry.review_id]) < QUEUE_REPORTS_SHOWN:
            reports[entry.review_id].append(entry)
    latest: dict[int, int] = {}
    decisions = ReviewDecision.objects.filter(review_id__in=pks).values_list("review_id", "id")
    for review_id, decision_id in decisions:
        latest[review_id] = max(latest.get(review_id, 0), decision_id)
    return [QueueEntry(review=review, reports=reports[review.pk],
                       open_reports=getattr(review, "open_reports", len(reports[review.pk])),
                       waiting_since=getattr(review, "waiting_since", None),
                       last_decision=latest.get(review.pk, 0)) for review in reviews]


def decisions_of(*, user: Any, review_id: int) -> list[ReviewDecision]:
    """A review's decisions, newest first (staff)."""
    moderator_require(user)
    return list(ReviewDecision.objects.filter(review_id=review_id).select_related("moderator")
                .annotate(settled=Count("settled_reports")).order_by("-created_at", "-id"))
