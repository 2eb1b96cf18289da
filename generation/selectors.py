"""Reads for generation: a project's jobs and media, for its members."""


from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from generation.models import Asset, Job
from kernel.errors import NotFound
from projects.roles import Action
from projects.selectors import AnyUser, membership_require

if TYPE_CHECKING:
    from projects.models import Project


def job_list(*, project: Project, user: AnyUser) -> QuerySet[Job]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return (Job.objects.filter(project=project).select_related("requester", "parent__job")
            .prefetch_related("assets__parent__job"))


def job_get(*, project: Project, user: AnyUser, job_id: str) -> Job:
    job = job_list(project=project, user=user).filter(public_id=job_id).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job


def _assets(*, project: Project, user: AnyUser) -> QuerySet[Asset]:
    membership_require(project=project, user=user, action=Action.VIEW)
    remixes = (Job.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
               .annotate(count=Count("pk")).values("count"))
    return (Asset.objects.filter(project=project).select_related("job__requester", "parent__job")
            .annotate(remix_count=Coalesce(Subquery(remixes), 0)))


def asset_list(*, project: Project, user: AnyUser) -> QuerySet[Asset]:
    """The project's media library: each job's main output, newest first, with its job and the
    number of jobs remixed from it."""
    return _assets(project=project, user=user).filter(role="output")


def asset_get(*, project: Project, user: AnyUser, asset_id: int) -> Asset:
    """One of the project's assets: an output, or one of a storyboard's scene clips."""
    asset = _assets(project=project, user=user).filter(pk=asset_id).first()
    if asset is None:
        raise NotFound(_("No such asset."))
    return asset
