"""Reads for generation: a project's jobs, for its members."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from generation.models import Job
from projects.models import Project
from projects.roles import Action
from projects.selectors import AnyUser, membership_require


def job_list(*, project: Project, user: AnyUser) -> QuerySet[Job]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return Job.objects.filter(project=project).select_related("requester").prefetch_related("assets")


def job_get(*, project: Project, user: AnyUser, job_id: str) -> Job:
    job = job_list(project=project, user=user).filter(public_id=job_id).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job
