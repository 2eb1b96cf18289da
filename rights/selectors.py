"""Reads for rights: works, for the people who made or own them and for projects' members."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import signed_in
from aesthetics.selectors import report_find, report_view
from kernel.errors import NotFound
from projects.roles import Action, Role
from projects.selectors import AnyUser, membership_get, membership_require
from rights.models import IN_FLIGHT, ChainTx, ReviewStatus, TxStatus, Work, WorkReview, WorkStatus

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project


def project_works(*, project: Project, user: AnyUser) -> QuerySet[Work]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return Work.objects.filter(project=project).prefetch_related("owners__user")


def work_aesthetics(*, work_id: str, user: AnyUser) -> dict[str, Any]:
    """The aesthetic report of a work its viewer may see in full (work_get), or
    {"status": "pending"} until it has been measured (rights.assessment; a render's work shares
    the render's report)."""
    work = work_get(work_id=work_id, user=user)
    report = report_find(sha256=work.sha256)
    return {"status": "measured", **report_view(report=report)} if report else {"status": "pending"}


def work_get(*, work_id: str, user: AnyUser) -> Work:
    """A work its makers, owners, or its project's members may see in full (everyone sees the
    registration itself on its public certificate)."""
    work = Work.objects.filter(public_id=work_id).prefetch_related("owners__user").first()
    if work is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("No such work."))
    mine = (work.created_by_id == user.pk or str(user.pk) in work.entitled
            or any(owner.user_id == user.pk for owner in work.owners.all()))
    if not mine and not (work.project and membership_get(project=work.project, user=user)) and not (
            work.status == WorkStatus.REVIEW and reviews_decided_by(user).filter(work=work).exists()):
        raise NotFound(_("No such work."))
    return work


def reviews_decided_by(user: AnyUser) -> QuerySet[WorkReview]:
    """The reviews a person decides: a moderator (staff) all of them; others those of look-alikes
    of a registered work they co-own, or of a render published by a project they own."""
    person = signed_in(user)
    if person is None:
        return WorkReview.objects.none()
    if person.is_staff:
        return WorkReview.objects.all()
    owners = Q(matched_work__owners__user=person) | Q(matched_asset__project__memberships__user=person,
                                                      matched_asset__project__memberships__role=Role.OWNER)
    return WorkReview.objects.filter(pk__in=WorkReview.objects.filter(owners).values("pk"))


def may_review(review: WorkReview, user: AnyUser) -> bool:
    return reviews_decided_by(user).filter(pk=review.pk).exists()


def consents_missing(work: Work) -> list[int]:
    """The makers whose share the owners cut below what they made, or removed, and who have not
    agreed to that yet (their ids)."""
    held: dict[int, int] = {}
    for owner in work.owners.all():
        if owner.user_id is not None:
            held[owner.user_id] = held.get(owner.user_id, 0) + owner.bps
    return [int(user_id) for user_id, bps in work.entitled.items()
            if held.get(int(user_id), 0) < bps and user_id not in work.consents]


def reviews_for(user: AnyUser) -> list[WorkReview]:
    """The pending reviews this person decides: of look-alikes of works they own, or of renders
    their projects published; moderators see them all."""
    return list(reviews_decided_by(user).filter(status=ReviewStatus.PENDING)
                .select_related("work__created_by", "matched_work", "matched_asset__project"))


def registered_works(*, asset_ids: list[int]) -> dict[int, Work]:
    """The work each of these renders is registered as (registered, or on its way to the chain):
    asset id → work, the latest if several."""
    works = Work.objects.filter(asset_id__in=asset_ids, status__in=IN_FLIGHT).order_by("id")
    return {work.asset_id: work for work in works if work.asset_id is not None}


def involving(user: User) -> Q:
    """The works a person made, co-owns or was made by (as a filter)."""
    return Q(created_by=user) | Q(owners__user=user) | Q(entitled__has_key=str(user.pk))


def works_of(user: User) -> QuerySet[Work]:
    """The works a person made, co-owns or was made by, newest first."""
    return Work.objects.filter(pk__in=Work.objects.filter(involving(user)).values("pk"))


def works_awaiting_confirmation(*, user: AnyUser, limit: int) -> list[Work]:
    """The works waiting for this person's word, newest first: registrations whose owners and
    shares they co-own and have not confirmed yet, and works whose owners cut the share they made
    until they consent (as the works page marks them)."""
    person = signed_in(user)
    if person is None:
        return []
    unconfirmed = Q(status=WorkStatus.CONFIRMING, owners__user=person, owners__confirmed_at__isnull=True)
    entitled = Q(status__in=(WorkStatus.DRAFT, WorkStatus.CONFIRMING), entitled__has_key=str(person.pk))
    candidates = (Work.objects.filter(pk__in=Work.objects.filter(unconfirmed | entitled).values("pk"))
                  .select_related("project").prefetch_related("owners").order_by("-created_at", "-id"))
    waiting = []
    for work in candidates:
        mine = [o for o in work.owners.all() if o.user_id == person.pk and o.confirmed_at is None]
        if (mine and work.status == WorkStatus.CONFIRMING) or person.pk in consents_missing(work):
            waiting.append(work)
            if len(waiting) == limit:
                break
    return waiting


def outbox_state() -> tuple[dict[str, int], float]:
    """The outbox's transactions by status, and the age in seconds of the oldest not yet
    confirmed (pending or submitted; 0 when none waits): what an operator watches."""
    counts = dict.fromkeys(TxStatus.values, 0)
    counts.update(ChainTx.objects.order_by().values_list("status").annotate(n=Count("id")))
    waiting = ChainTx.objects.filter(status__in=(TxStatus.PENDING, TxStatus.SUBMITTED)).aggregate(
        oldest=Min("created_at"))["oldest"]
    return counts, (timezone.now() - waiting).total_seconds() if waiting else 0.0
