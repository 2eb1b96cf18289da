"""Writing reviews: post and reply, edit, delete, report, and moderators' decisions.

Who may:
- post or reply: a signed-in, active account, on a published work (recommend.services.
  publication_open: an unpublished, held or removed one takes nothing new), to a published review
  of the same work; at most REVIEWS_PER_MINUTE and REVIEWS_PER_DAY of them (QuotaExceeded, 429);
- edit: the author, while the review is published and for REVIEWS_EDIT_WINDOW_S after posting;
- delete: the author, or the work's creator (on their work); a moderator's removal goes through
  `review_moderate`, recorded;
- report: anyone but the author, once, with the works' reasons; a report weighs as a work's does
  and enough of them hold the review back, by the works' rule (recommend.services);
- moderate: staff, restoring or removing, each decision recorded with the reports it settles.

Each new review records a SignalKind.REVIEW signal on the work (not the creator's own), and tells
the work's creator or whoever it answers through the inbox, after commit.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.selectors import accounts_trust, signed_in
from accounts.services import user_lock
from inbox.services import NotificationKind, notification_send
from kernel.errors import Conflict, NotFound, PermissionDenied, QuotaExceeded, ValidationFailed
from recommend.services import (
    ReportReason,
    SignalKind,
    publication_open,
    report_weight,
    reports_warrant_hold,
    signal_record,
)
from reviews.models import (
    BODY_MAX,
    DECISION_NOTE_MAX,
    NOTE_MAX,
    Review,
    ReviewDecision,
    ReviewReport,
    ReviewStatus,
)

if TYPE_CHECKING:
    from accounts.models import User

EXCERPT_CHARS = 120  # of a review, in a notification
MAX_ID = 2**62  # ids past this are no row's (and would overflow a database's integer)
Action = ReviewDecision.Action
DECISIONS = (Action.RESTORE, Action.REMOVE)


def _user_check(user: Any) -> User:
    person = signed_in(user)
    if person is None:
        raise PermissionDenied(_("Log in to do this."), code="not_authenticated")
    if not person.is_active:
        raise PermissionDenied(_("This account is deactivated."), code="inactive")
    return person


def _text_check(value: Any, *, field: str, limit: int, required: bool) -> str:
    """Plain text, stripped, up to `limit` characters: no NUL or other control characters than line
    breaks and tabs, no lone surrogates (a database cannot store them)."""
    if not isinstance(value, str):
        raise ValidationFailed(_("Write it as text."), fields={field: [_("Text.")]})
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        message = _("Write something first: the text is empty.")
        raise ValidationFailed(message, fields={field: [message]})
    if len(text) > limit:
        message = _("At most %(limit)s characters (this has %(n)s).") % {
            "limit": f"{limit:,}", "n": f"{len(text):,}"}
        raise ValidationFailed(message, fields={field: [message]})
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
        message = _("The text has characters that are not allowed (control characters).")
        raise ValidationFailed(message, fields={field: [message]})
    return text


def _id_check(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ValidationFailed(_("Not a review's id."), fields={field: [_("A review's id.")]})
    return value


def body_clean(body: Any) -> str:
    """A review's text as stored (ValidationFailed on `body` otherwise)."""
    return _text_check(body, field="body", limit=BODY_MAX, required=True)


def _rate_check(user: User) -> None:
    """At most REVIEWS_PER_MINUTE in the last minute and REVIEWS_PER_DAY in the last 24 hours,
    counted from the account's reviews (deleted ones too) under its row lock, so that two requests
    at once cannot both take the last one."""
    user_lock(user)
    now = timezone.now()
    recent = Review.objects.filter(author=user, created_at__gte=now - timedelta(days=1)).aggregate(
        day=Count("id"), minute=Count("id", filter=Q(created_at__gte=now - timedelta(minutes=1))))
    if recent["minute"] >= settings.REVIEWS_PER_MINUTE:
        raise QuotaExceeded(_("You posted %(n)s reviews in the last minute: wait a minute before the "
                              "next one.") % {"n": recent["minute"]}, code="throttled")
    if recent["day"] >= settings.REVIEWS_PER_DAY:
        raise QuotaExceeded(_("You posted %(n)s reviews in the last 24 hours, the most a day allows: "
                              "try again tomorrow.") % {"n": recent["day"]}, code="throttled")


def thread_url(review: Review) -> str:
    """The review in its thread's own page (every reply shown)."""
    root = review.parent_id or review.pk
    return reverse("reviews:thread", args=[root]) + f"#review-{review.pk}"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"


# What the inbox says (msgids: translated when shown).
REVIEW_MESSAGE = gettext_noop("%(actor)s reviewed “%(work)s”: “%(excerpt)s”")
REPLY_MESSAGE = gettext_noop("%(actor)s replied to your review of “%(work)s”: “%(excerpt)s”")


@transaction.atomic
def review_post(*, user: Any, publication_id: str, body: Any, parent: Any = None) -> Review:
    """A review of a published work, or (`parent`: a review's id) a reply in that review's thread.
    A reply to a reply joins the thread's root and answers the reply's author (@mention)."""
    author = _user_check(user)
    text = body_clean(body)
    parent_id = None if parent is None else _id_check(parent, field="parent")
    publication = publication_open(publication_id=str(publication_id))
    answered: Review | None = None
    if parent_id is not None:
        answered = Review.objects.select_related("author").filter(pk=parent_id).first()
        if answered is None or answered.publication_id != publication.pk:
            message = _("There is no such review of this work to reply to.")
            raise ValidationFailed(message, fields={"parent": [message]})
        if answered.status != ReviewStatus.PUBLISHED:
            raise Conflict(_("This review is no longer shown: it cannot be answered."), code="review_gone")
        if answered.parent_id is not None:
            root = Review.objects.filter(pk=answered.parent_id).only("status").first()
            if root is None or (root.status != ReviewStatus.PUBLISHED and not _thread_open(root)):
                raise Conflict(_("This thread is closed."), code="review_gone")
    _rate_check(author)
    review = Review.objects.create(
        publication=publication, author=author, body=text,
        parent_id=None if answered is None else (answered.parent_id or answered.pk),
        reply_to=answered.author if answered is not None and answered.parent_id is not None else None)
    if publication.creator_id != author.pk:  # a creator's own words about their work teach the feed nothing
        signal_record(user=author, publication=publication, kind=SignalKind.REVIEW)
    params = {"work": publication.title, "excerpt": _excerpt(text)}
    if answered is None:
        notification_send(recipients=[publication.creator_id], kind=NotificationKind.REVIEW, actor=author,
                          link=thread_url(review), params=params, message=REVIEW_MESSAGE)
    else:
        notification_send(recipients=[answered.author_id], kind=NotificationKind.REVIEW_REPLY, actor=author,
                          link=thread_url(review), params=params, message=REPLY_MESSAGE)
    return review


def _thread_open(root: Review) -> bool:
    """A root that is no longer published still takes replies while it stands as a placeholder
    for replies that are shown (a deleted review's thread goes on)."""
    return root.status == ReviewStatus.DELETED


def _review_for_change(review_id: Any, *, lock: bool = True) -> Review:
    if isinstance(review_id, bool) or not isinstance(review_id, int) or not 0 < review_id <= MAX_ID:
        raise NotFound(_("No such review."))
    pk = review_id
    rows = Review.objects.select_related("publication")
    review = (rows.select_for_update(of=("self",)) if lock else rows).filter(pk=pk).first()
    if review is None:
        raise NotFound(_("No such review."))
    return review


@transaction.atomic
def review_edit(*, user: Any, review_id: Any, body: Any) -> Review:
    """The author changes the text of their published review, within REVIEWS_EDIT_WINDOW_S of
    posting it; `edited_at` records when."""
    author = _user_check(user)
    review = _review_for_change(review_id)
    if review.author_id != author.pk:
        raise PermissionDenied(_("Only its author may edit a review."))
    if review.status != ReviewStatus.PUBLISHED:
        raise Conflict(_("This review is no longer shown (%(status)s): it cannot be edited.") % {
            "status": review.get_status_display()}, code="review_gone")
    window = settings.REVIEWS_EDIT_WINDOW_S
    if timezone.now() - review.created_at > timedelta(seconds=window):
        hours = max(window // 3600, 1)
        raise Conflict(_("A review can be edited for %(hours)s hours after it is posted; delete it and "
                         "write another instead.") % {"hours": hours}, code="edit_window")
    text = body_clean(body)
    if text != review.body:
        review.body = text
        review.edited_at = timezone.now()
        review.save(update_fields=["body", "edited_at"])
    return review


def may_delete(review: Review, user: User | None) -> bool:
    """Whether `user` may delete `review`: its author, or the creator of the work it is on."""
    return user is not None and user.pk in (review.author_id, review.publication.creator_id)


@transaction.atomic
def review_delete(*, user: Any, review_id: Any) -> Review:
    """Delete a review: its author (the text goes), or the creator of the work (on their work; the
    text stays for moderators). Replies stay; the review keeps its place above them as deleted.
    Moderators remove with `review_moderate`, which is recorded."""
    person = _user_check(user)
    review = _review_for_change(review_id)
    if not may_delete(review, person):
        if person.is_staff:
            raise PermissionDenied(_("Moderators remove a review with a decision (remove), which is "
                                     "recorded."), code="use_moderation")
        raise PermissionDenied(_("Only its author or the work's creator may delete a review."))
    if review.status == ReviewStatus.DELETED:
        return review  # a repeat (a double submission)
    review.status = ReviewStatus.DELETED
    review.deleted_by = person
    fields = ["status", "deleted_by"]
    if person.pk == review.author_id:
        review.body = ""
        fields.append("body")
    review.save(update_fields=fields)
    return review


# --- reports and moderation ------------------------------------------------------------------------


def _hold_if_warranted(review: Review) -> None:
    totals = ReviewReport.objects.filter(review=review, resolved=False).aggregate(
        trusted=Count("id", filter=Q(trusted=True)), weight=Sum("weight"))
    if reports_warrant_hold(trusted=totals["trusted"], weight=totals["weight"] or 0.0) \
            and Review.objects.filter(pk=review.pk, status=ReviewStatus.PUBLISHED).update(
                status=ReviewStatus.HELD):
        ReviewDecision.objects.create(review=review, action=Action.HOLD, status_before=ReviewStatus.PUBLISHED,
                                      status_after=ReviewStatus.HELD)
        review.status = ReviewStatus.HELD


@transaction.atomic
def review_report(*, user: Any, review_id: Any, reason: Any, note: Any = "") -> ReviewReport:
    """Report a published review on a published work, once per person (a repeat answers with the
    first report). Weighed as a work's report is; once the open reports of enough trusted people
    weigh enough (the works' rule), the review is held back until a moderator decides."""
    reporter = _user_check(user)
    if reason not in ReportReason.values:
        raise ValidationFailed(_("Choose a reason."), fields={
            "reason": [_("One of: %(allowed)s.") % {"allowed": ", ".join(ReportReason.values)}]})
    note_text = _text_check(note, field="note", limit=NOTE_MAX, required=False)
    review = _review_for_change(review_id)  # its row lock: reports of one review are decided one by one
    if review.status != ReviewStatus.PUBLISHED:
        existing = ReviewReport.objects.filter(user=reporter, review=review).first()
        if existing is not None:
            return existing
        raise NotFound(_("No such review."))
    publication_open(publication_id=review.publication.public_id)  # (a work out of the gallery: none)
    if review.author_id == reporter.pk:
        raise PermissionDenied(_("You cannot report your own review; delete it instead."))
    weight, trusted = report_weight(accounts_trust(user_ids=[reporter.pk]).get(reporter.pk))
    entry, created = ReviewReport.objects.get_or_create(user=reporter, review=review, defaults={
        "reason": reason, "note": note_text, "text": review.body, "weight": weight, "trusted": trusted})
    if created:
        _hold_if_warranted(review)
    return entry


def moderator_require(user: Any) -> User:
    """The signed-in staff member, or PermissionDenied."""
    person = signed_in(user)
    if person is None or not person.is_staff or not person.is_active:
        raise PermissionDenied(_("Only moderators may do this."))
    return person


# What the review's author reads (msgids: the inbox translates them when shown).
OUTCOME_MESSAGES = {
    Action.RESTORE: gettext_noop("A moderator restored your review of “%(work)s”: it is shown again."),
    Action.REMOVE: gettext_noop("A moderator removed your review of “%(work)s”. %(note)s"),
}


@transaction.atomic
def review_moderate(*, moderator: Any, review_id: Any, action: Any, note: Any = "",
                    last_decision: Any = None) -> ReviewDecision:
    """A moderator's decision on a review: restore (published again, its hold lifted, its open
    reports settled) or remove (no longer shown; its replies stay under a placeholder). Recorded
    as a ReviewDecision. `last_decision` is the latest decision the moderator saw (0: none): when
    someone decided since, Conflict, except the same moderator's repeat of the same decision."""
    person = moderator_require(moderator)
    if action not in DECISIONS:
        raise ValidationFailed(_("Choose restore or remove."), fields={
            "action": [_("One of: %(allowed)s.") % {"allowed": ", ".join(DECISIONS)}]})
    note_text = _text_check(note, field="note", limit=DECISION_NOTE_MAX, required=False)
    if last_decision is not None and (isinstance(last_decision, bool) or not isinstance(last_decision, int)
                                      or not 0 <= last_decision <= MAX_ID):
        raise ValidationFailed(_("last_decision is a decision id (0: none)."),
                               fields={"last_decision": [_("A whole number, 0 or more.")]})
    review = _review_for_change(review_id)
    if last_decision is not None:
        since = list(review.decisions.filter(pk__gt=last_decision).order_by("id")[:2])
        if since:
            if len(since) == 1 and since[0].moderator_id == person.pk and since[0].action == action \
                    and since[0].note == note_text:
                return since[0]
            raise Conflict(_("Someone decided on this review meanwhile (or it was held back): look at it "
                             "again before you decide."), code="decided_meanwhile")
    if review.status == ReviewStatus.DELETED:
        raise Conflict(_("This review was deleted: there is nothing to decide."), code="review_gone")
    before = review.status
    after = ReviewStatus.REMOVED if action == Action.REMOVE else ReviewStatus.PUBLISHED
    decision = ReviewDecision.objects.create(review=review, moderator=person, action=action, note=note_text,
                                             status_before=before, status_after=after)
    ReviewReport.objects.filter(review=review, resolved=False).update(resolved=True, settled_by=decision)
    if after != before:
        Review.objects.filter(pk=review.pk).update(status=after)
        message = OUTCOME_MESSAGES[Action(action)]
        notification_send(recipients=[review.author_id], kind=NotificationKind.MODERATION, actor=None,
                          message=message, params={"work": review.publication.title, "note": note_text},
                          link=thread_url(review) if after == ReviewStatus.PUBLISHED
                          else reverse("gallery:work", args=[review.publication.public_id]))
    return decision
