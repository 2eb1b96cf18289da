"""Reads for rights: works, for the people who made or own them and for projects' members."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound
from projects.models import Project
from projects.roles import Action, Role
from projects.selectors import AnyUser, membership_get, membership_require
from rights.models import ReviewStatus, Work, WorkReview, WorkStatus


def project_works(*, project: Project, user: AnyUser) -> QuerySet[Work]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return Work.objects.filter(project=project).prefetch_related("owners__user")


def work_get(*, work_id: str, user: AnyUser) -> Work:
    """A work its makers, owners, or its project's members may see in full (everyone sees the
    registration itself on its public certificate)."""
    work = Work.objects.filter(public_id=work_id).prefetch_related("owners__user").first()
    if work is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("No such work."))
    mine = (work.created_by_id == user.pk or str(user.pk) in work.entitled
            or any(owner.user_id == user.pk for owner in work.owners.all()))
    if not mine and not (work.project and membership_get(project=work.project, user=user)) and not (
            work.status == WorkStatus.REVIEW and any(may_review(r, user) for r in work.reviews.all())):
        raise NotFound(_("No such work."))
    return work


def may_review(review: WorkReview, user: AnyUser) -> bool:
    """Who decides a look-alike's review: a moderator (staff), an owner of the registered work it
    looks like, or an owner of the project that published the render it looks like."""
    if not isinstance(user, User):
        return False
    if user.is_staff:
        return True
    if review.matched_work is not None:
        return review.matched_work.owners.filter(user=user).exists()
    if review.matched_asset is None:
        return False
    membership = membership_get(project=review.matched_asset.project, user=user)
    return membership is not None and membership.role == Role.OWNER


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
    pending = (WorkReview.objects.filter(status=ReviewStatus.PENDING)
               .select_related("work__created_by", "matched_work", "matched_asset__project"))
    return [review for review in pending if may_review(review, user)]
