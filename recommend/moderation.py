"""Moderation: the queue of reported and held works, and moderators' decisions on them.

A work enters the queue with its first open report (or when it is held back, services.report); a
moderator (staff) restores it (published again, the hold lifted), removes it from the gallery (the
render stays in its project and a registration on the chain stays as it is), or warns its creator
(it stays published). Each decision is a ModerationDecision that settles the open reports the
moderator saw; a report that comes later keeps the work in the queue.

Two moderators deciding at once: each decision names the latest decision its moderator saw
(`last_decision`); under the publication's row lock, a decision that saw an older one is refused
with Conflict, except the same moderator's repeat of the same decision (a double submission), which
answers with the decision already made. The creator hears of the outcome in one place,
`moderation_outcome_notify`, after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.selectors import signed_in
from inbox.services import NotificationKind, notification_send
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from recommend.models import (
    ModerationAction,
    ModerationDecision,
    Publication,
    PublicationStatus,
    Report,
)
from rights.selectors import registered_works

if TYPE_CHECKING:
    from accounts.models import User
    from rights.models import Work

NOTE_MAX = 2000
MAX_REPORT_IDS = 1000  # the reports one decision names (a form's hidden fields)
MAX_ID = 2**62  # ids past this are no row's (and would overflow a database's integer)
REPORTS_SHOWN = 200  # a work's reports on its moderation page; the rest are counted
HISTORY_SHOWN = 300
DECISIONS = (ModerationAction.RESTORE, ModerationAction.REMOVE, ModerationAction.WARN)


def moderator_require(user: Any) -> User:
    """The signed-in staff member, or PermissionDenied."""
    person = signed_in(user)
    if person is None or not person.is_staff:
        raise PermissionDenied(_("Only moderators may do this."))
    return person


# --- reading: the queue, a work's reports and history -----------------------------------------


def moderation_queue(*, user: Any) -> QuerySet[Publication]:
    """Works with open reports, or held back: the most open reports first, then those waiting
    longest (by their oldest open report). Each is annotated with `open_reports` and `waiting_since`."""
    moderator_require(user)
    open_filter = Q(reported_by__resolved=False)
    return (Publication.objects.defer("embedding").select_related("creator", "asset")
            .annotate(open_reports=Count("reported_by", filter=open_filter),
                      waiting_since=Min("reported_by__created_at", filter=open_filter))
            .filter(Q(open_reports__gt=0) | Q(status=PublicationStatus.HELD))
            .order_by("-open_reports", F("waiting_since").asc(nulls_last=True), "id"))


@dataclass
class QueueItem:
    """One work as a moderator sees it: its open reports, registration, decisions so far."""

    publication: Publication
    reports: list[Report]  # open, oldest first (up to REPORTS_SHOWN)
    open_reports: int
    waiting_since: datetime | None
    registration: Work | None
    last_decision: int  # the id to send back with a decision (0: none yet)
    warnings: int  # the creator's warnings so far, on any of their works
    decisions: list[ModerationDecision] = field(default_factory=list)


def queue_items(*, user: Any, publications: list[Publication]) -> list[QueueItem]:
    """The queue's works (a page of them) with what a moderator decides on: a few queries for all."""
    moderator_require(user)
    pks = [p.pk for p in publications]
    reports: dict[int, list[Report]] = {pk: [] for pk in pks}
    for entry in (Report.objects.filter(publication_id__in=pks, resolved=False).select_related("user")
                  .order_by("created_at", "id")):
        if len(reports[entry.publication_id]) < REPORTS_SHOWN:
            reports[entry.publication_id].append(entry)
    counts = dict(Report.objects.filter(publication_id__in=pks, resolved=False).values("publication_id")
                  .annotate(n=Count("id")).values_list("publication_id", "n"))
    latest: dict[int, int] = {}
    for publication_id, decision_id in (ModerationDecision.objects.filter(publication_id__in=pks)
                                        .values_list("publication_id", "id")):
        latest[publication_id] = max(latest.get(publication_id, 0), decision_id)
    warnings = dict(ModerationDecision.objects.filter(
        publication__creator_id__in={p.creator_id for p in publications}, action=ModerationAction.WARN)
        .values("publication__creator_id").annotate(n=Count("id"))
        .values_list("publication__creator_id", "n"))
    registered = registered_works(asset_ids=[p.asset_id for p in publications])
    return [QueueItem(publication=p, reports=reports[p.pk], open_reports=counts.get(p.pk, 0),
                      waiting_since=reports[p.pk][0].created_at if reports[p.pk] else None,
                      registration=registered.get(p.asset_id), last_decision=latest.get(p.pk, 0),
                      warnings=warnings.get(p.creator_id, 0))
            for p in publications]


def moderation_item(*, user: Any, publication_id: str) -> QueueItem:
    """A work as its moderation page shows it (in the queue or not), with its decisions."""
    moderator_require(user)
    publication = (Publication.objects.defer("embedding").select_related("creator", "asset", "project")
                   .filter(public_id=publication_id).first())
    if publication is None:
        raise NotFound(_("No such publication."))
    item = queue_items(user=user, publications=[publication])[0]
    item.decisions = list(publication.decisions.select_related("moderator")
                          .annotate(settled=Count("settled_reports")).order_by("-created_at", "-id"))
    return item


@dataclass
class HistoryEvent:
    kind: str  # published, reported, hold, restore, remove, warn
    at: datetime
    who: User | None = None
    reason: str = ""  # a report's reason (its label)
    note: str = ""
    settled: bool = False  # a report a decision settled
    status_after: str = ""  # a decision's


def moderation_history(*, user: Any, publication: Publication) -> list[HistoryEvent]:
    """What happened to a work, oldest first: published, each report, each hold and decision."""
    moderator_require(user)
    events = [HistoryEvent(kind="published", at=publication.published_at, who=publication.creator)]
    for entry in (Report.objects.filter(publication=publication).select_related("user")
                  .order_by("created_at", "id")[:HISTORY_SHOWN]):
        events.append(HistoryEvent(kind="reported", at=entry.created_at, who=entry.user, note=entry.note,
                                   reason=entry.get_reason_display(), settled=entry.resolved))
    for decision in (publication.decisions.select_related("moderator")
                     .order_by("created_at", "id")[:HISTORY_SHOWN]):
        events.append(HistoryEvent(kind=decision.action, at=decision.created_at, who=decision.moderator,
                                   note=decision.note, status_after=decision.get_status_after_display()))
    events.sort(key=lambda event: event.at)
    return events


def decisions_recent(*, user: Any, limit: int = 20) -> list[ModerationDecision]:
    """The latest decisions, on any work, newest first."""
    moderator_require(user)
    return list(ModerationDecision.objects.select_related("publication", "moderator")
                .annotate(settled=Count("settled_reports")).order_by("-created_at", "-id")[:limit])


# --- writing: holds and decisions ---------------------------------------------------------------


def hold_record(*, publication: Publication, status_before: str = PublicationStatus.PUBLISHED) -> None:
    """Enter the platform's hold (services.report, on enough trusted reports) in the history."""
    ModerationDecision.objects.create(publication=publication, action=ModerationAction.HOLD,
                                      status_before=status_before, status_after=PublicationStatus.HELD)


def _note_clean(note: Any, action: str) -> str:
    if not isinstance(note, str):
        raise ValidationFailed(_("The note is text."), fields={"note": [_("Text.")]})
    note = note.strip()
    if len(note) > NOTE_MAX:
        message = _("At most %(n)s characters.") % {"n": f"{NOTE_MAX:,}"}
        raise ValidationFailed(message, fields={"note": [message]})
    if action == ModerationAction.WARN and not note:
        message = _("Say what the warning is about: the creator reads it.")
        raise ValidationFailed(message, fields={"note": [message]})
    return note


def _report_ids(reports: Any) -> set[int] | None:
    if reports is None:
        return None
    if not isinstance(reports, list | tuple | set) or len(reports) > MAX_REPORT_IDS or not all(
            isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= MAX_ID for pk in reports):
        message = _("The reports are up to %(n)s report ids.") % {"n": MAX_REPORT_IDS}
        raise ValidationFailed(message, fields={"reports": [message]})
    return set(reports)


def _repeat(publication: Publication, moderator: User, action: str, note: str,
            last_decision: int) -> ModerationDecision | None:
    """The decision this one repeats (the same moderator's same decision, the only one made since
    `last_decision`): a double submission."""
    since = list(publication.decisions.filter(pk__gt=last_decision).order_by("id")[:2])
    if len(since) == 1 and since[0].moderator_id == moderator.pk and since[0].action == action \
            and since[0].note == note:
        return since[0]
    return None


def _status_after(action: str, before: str) -> str:
    if action == ModerationAction.REMOVE:
        return PublicationStatus.REMOVED
    if before == PublicationStatus.UNPUBLISHED:  # the owners' choice: only they publish it again
        return before
    return PublicationStatus.PUBLISHED


@transaction.atomic
def moderation_decide(*, publication_id: str, moderator: Any, action: str, note: Any = "",
                      reports: Any = None, last_decision: int | None = None) -> ModerationDecision:
    """A moderator's decision on a work: restore (published again, its hold lifted), remove (out of
    the gallery; the render and any registration on the chain stay), or warn the creator (it stays
    published, or is published again if it was held). It settles the open reports named in `reports`
    (default: every open one). `last_decision` is the latest decision the moderator saw (0: none);
    None skips the check (the older moderate API, which decides on everything open)."""
    person = moderator_require(moderator)
    if action not in DECISIONS:
        message = _("One of: %(allowed)s.") % {"allowed": ", ".join(DECISIONS)}
        raise ValidationFailed(_("Choose restore, remove or warn."), fields={"action": [message]})
    note = _note_clean(note, action)
    wanted = _report_ids(reports)
    if last_decision is not None and (isinstance(last_decision, bool) or not isinstance(last_decision, int)
                                      or not 0 <= last_decision <= MAX_ID):
        raise ValidationFailed(_("last_decision is a decision id (0: none)."),
                               fields={"last_decision": [_("A whole number, 0 or more.")]})
    # The row lock orders two moderators' decisions on one work (and a report arriving meanwhile).
    publication = Publication.objects.select_for_update().filter(public_id=publication_id).first()
    if publication is None:
        raise NotFound(_("No such publication."))
    if last_decision is not None:
        latest = publication.decisions.order_by("-id").values_list("id", flat=True).first() or 0
        if latest != last_decision:
            repeat = _repeat(publication, person, action, note, last_decision)
            if repeat is not None:
                return repeat
            raise Conflict(_("Someone decided on this work meanwhile (or it was held back): look at it "
                             "again before you decide."), code="decided_meanwhile")
    settling = Report.objects.filter(publication=publication, resolved=False)
    if wanted is not None:
        found = set(settling.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            if Report.objects.filter(publication=publication, pk__in=wanted - found, resolved=True).exists():
                raise Conflict(_("Some of these reports were settled meanwhile: look at the work again."),
                               code="decided_meanwhile")
            message = _("Not open reports of this work: %(ids)s.") % {
                "ids": ", ".join(str(pk) for pk in sorted(wanted - found)[:20])}
            raise ValidationFailed(message, fields={"reports": [message]})
        settling = settling.filter(pk__in=found)
    before = publication.status
    after = _status_after(action, before)
    decision = ModerationDecision.objects.create(publication=publication, moderator=person, action=action,
                                                 note=note, status_before=before, status_after=after)
    settling.update(resolved=True, settled_by=decision)
    changes: dict[str, Any] = {"status": after}
    if after == PublicationStatus.PUBLISHED:  # what is counted from now on is what is still open
        changes["reports"] = Report.objects.filter(publication=publication, resolved=False).count()
    Publication.objects.filter(pk=publication.pk).update(**changes)
    if after != before:
        from recommend.serving import catalogue_invalidate

        transaction.on_commit(catalogue_invalidate)
    transaction.on_commit(lambda: moderation_outcome_notify(decision))
    return decision


# What the creator reads, by decision (msgids: the inbox translates them when shown).
OUTCOME_MESSAGES: dict[str, str] = {
    ModerationAction.RESTORE: gettext_noop("A moderator restored “%(work)s”: it is in the gallery again."),
    ModerationAction.REMOVE: gettext_noop("A moderator removed “%(work)s” from the gallery. %(note)s"),
    ModerationAction.WARN: gettext_noop("A moderator warned you about “%(work)s”: %(note)s"),
}


def moderation_outcome_notify(decision: ModerationDecision) -> None:
    """Tell the work's creator what a moderator decided (restored, removed, or a warning, with the
    note), in their inbox: called once per decision, after its transaction commits."""
    message = OUTCOME_MESSAGES.get(decision.action)
    if message is None:
        return
    publication = decision.publication
    notification_send(recipients=[publication.creator_id], kind=NotificationKind.MODERATION,
                      message=message, actor=decision.moderator, params={"work": publication.title,
                                                                         "note": decision.note},
                      link=reverse("projects:detail", args=[publication.project_id]))
