"""Reads for rights: works, for the people who made or own them and for projects' members."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from projects.models import Project
from projects.roles import Action
from projects.selectors import AnyUser, membership_get, membership_require
from rights.models import Work


def project_works(*, project: Project, user: AnyUser) -> QuerySet[Work]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return Work.objects.filter(project=project).prefetch_related("owners__user")


def work_get(*, work_id: str, user: AnyUser) -> Work:
    """A work its makers, owners, or its project's members may see in full (everyone sees the
    registration itself on its public certificate)."""
    work = Work.objects.filter(public_id=work_id).prefetch_related("owners__user").first()
    if work is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("No such work."))
    mine = work.created_by_id == user.pk or any(owner.user_id == user.pk for owner in work.owners.all())
    if not mine and not (work.project and membership_get(project=work.project, user=user)):
        raise NotFound(_("No such work."))
    return work
