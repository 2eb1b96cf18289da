"""Reads for generation: a project's jobs and media, for its members."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from aesthetics.selectors import report_find, report_view
from generation import provenance
from generation.models import Asset, Job, JobStatus
from kernel.errors import NotFound
from projects.roles import Action
from projects.selectors import AnyUser, membership_require, project_list

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


def asset_aesthetics(*, project: Project, user: AnyUser, asset_id: int) -> dict[str, Any]:
    """The aesthetic report of one of the project's assets, or {"status": "pending"} until it
    has been measured (generation.assessment, queued when the render is stored)."""
    asset = asset_get(project=project, user=user, asset_id=asset_id)
    report = report_find(sha256=asset.sha256)
    if report is None:
        return {"status": "pending"}
    return {"status": "measured", **report_view(report=report)}


# --- for the apps above: renders by id, bytes or job, and the credentials files carry --------

def _with_job() -> QuerySet[Asset]:
    return Asset.objects.select_related("job__requester", "project")


def asset_find(*, asset_id: int | None) -> Asset | None:
    """The render with this id (with its job, requester and project), with no check of who asks:
    callers check access to its project themselves."""
    if asset_id is None:
        return None
    return _with_job().filter(pk=asset_id).first()


def asset_by_sha256(*, sha256: str) -> Asset | None:
    """The first render with exactly these bytes (with its job, requester and project)."""
    return _with_job().filter(sha256=sha256).order_by("id").first()


def assets_by_sha256(*, sha256s: list[str]) -> dict[str, Asset]:
    """For each of these hashes, the first render with exactly those bytes (as asset_by_sha256),
    in one query."""
    if not sha256s:
        return {}
    found: dict[str, Asset] = {}
    for asset in _with_job().filter(sha256__in=set(sha256s)).order_by("-id"):
        found[asset.sha256] = asset  # (newest first: the oldest is written last and stays)
    return found


def job_output(*, job_public_id: str) -> Asset | None:
    """The output of the job with this public id (what a Content Credentials manifest names)."""
    return _with_job().filter(job__public_id=job_public_id, role="output").first()


def assets_of_projects(*, project_ids: list[int]) -> QuerySet[Asset]:
    """The renders of these projects, newest first (with their job and project)."""
    return (Asset.objects.filter(project_id__in=project_ids).select_related("project", "job")
            .order_by("-created_at", "-id"))


def credentials_supported(mime: str) -> bool:
    """Whether a file of this type carries Content Credentials the platform can read."""
    return mime in provenance.MIMES


def credentials_read(*, data: bytes, mime: str) -> provenance.Report | None:
    """The C2PA Content Credentials in a file: None for a type that cannot carry them; raises
    ValueError, OSError or ImproperlyConfigured when they cannot be read."""
    return provenance.read(data, mime) if credentials_supported(mime) else None


def asset_media_names() -> tuple[str, ...]:
    """The files a render may have: the file itself, its poster, preview and thumbnail."""
    return Asset.FILES


def remix_counts(*, asset_ids: list[int] | None) -> dict[int, int]:
    """How many renders name each asset as their source (in its project or another); None: all."""
    jobs = Job.objects.filter(parent__isnull=False) if asset_ids is None else Job.objects.filter(
        parent_id__in=asset_ids)
    rows = jobs.values("parent_id").annotate(n=Count("id"))
    return {row["parent_id"]: row["n"] for row in rows}


def jobs_in_progress(*, user: AnyUser, limit: int) -> list[Job]:
    """The renders a person asked for that are queued or running, in projects they are still a
    member of: running ones first, then the newest; each with its project."""
    mine = project_list(user=user, archived=None).values("pk")
    running_first = Case(When(status=JobStatus.RUNNING, then=Value(0)), default=Value(1))
    return list(Job.objects.filter(requester_id=getattr(user, "pk", None), project_id__in=mine,
                                   status__in=(JobStatus.RUNNING, JobStatus.QUEUED))
                .select_related("project").order_by(running_first, "-created_at", "-id")[:limit])
