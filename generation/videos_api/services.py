"""The Sora-style Videos API (`/v1/videos`) on top of generation jobs.

Clients of OpenAI's Videos API work by changing their base URL: the same fields, status
values and error shape. A video belongs to a project: the one named by the `OpenAI-Project`
header (a Storyloom project id, which OpenAI's SDKs send when configured with a project), or
else the caller's own "Videos API" project, made on first use.
"""


from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from generation.models import FINISHED, Asset, Job, JobKind, JobStatus, assets_delete
from generation.services import asset_remix, job_cancel, job_submit
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from projects.roles import Action, Role
from projects.selectors import membership_get, membership_require, project_get, project_owned_named
from projects.services import project_create

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project

SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
STATUS = {JobStatus.QUEUED: "queued", JobStatus.RUNNING: "in_progress", JobStatus.SUCCEEDED: "completed",
          JobStatus.FAILED: "failed", JobStatus.CANCELLED: "failed"}
PERSONAL_PROJECT = "Videos API"


def videos_project(*, user: User, project_id: str | None) -> Project:
    if project_id:
        if not project_id.isdigit():
            raise NotFound(_("No such project."))
        return project_get(project_id=int(project_id), user=user)
    owned = project_owned_named(user=user, name=PERSONAL_PROJECT)
    return owned or project_create(user=user, name=PERSONAL_PROJECT)


def preset_for(model: str | None) -> str:
    """A model name as clients send it: a preset name, or an alias (`sora-2` ...)."""
    aliases: dict[str, str] = settings.VIDEOS_API_MODELS
    name = model or "sora-2"
    return aliases.get(name, name)


@transaction.atomic
def video_create(*, user: User, project_id: str | None, prompt: str, model: str | None = None,
                 size: str | None = None, seconds: str | None = None) -> Job:
    """Queue a video; a refused one leaves nothing behind (not even the personal project)."""
    project = videos_project(user=user, project_id=project_id)
    params: dict[str, Any] = {"prompt": prompt}
    if size:
        match = SIZE.match(size.strip())
        if not match:
            raise ValidationFailed(_("Give the size as WIDTHxHEIGHT."),
                                   fields={"size": [_("For example 768x512.")]})
        params["width"], params["height"] = int(match[1]), int(match[2])
    if seconds not in (None, ""):
        params["seconds"] = seconds
    return job_submit(project=project, user=user, kind=JobKind.VIDEO, preset=preset_for(model), **params)


def video_get(*, user: User, video_id: str) -> Job:
    job = (Job.objects.filter(public_id=video_id, kind=JobKind.VIDEO)
           .select_related("project", "parent__job").first())
    if job is None or membership_get(project=job.project, user=user) is None:
        raise NotFound(_("No such video."))
    return job


def video_list(*, user: User) -> Any:
    """The caller's videos, newest first."""
    return (Job.objects.filter(requester=user, kind=JobKind.VIDEO, project__memberships__user=user)
            .select_related("parent__job").order_by("-created_at", "-id"))


@transaction.atomic
def video_remix(*, user: User, video_id: str, prompt: str) -> Job:
    """A new video from a completed one: its settings, a new prompt; the lineage recorded."""
    source = video_get(user=user, video_id=video_id)
    asset = Asset.objects.filter(job=source, role="output").first()
    if source.status != JobStatus.SUCCEEDED or asset is None:
        raise Conflict(_("Only a completed video can be remixed (this one is %(status)s).") % {
            "status": STATUS[JobStatus(source.status)]}, code="video_not_ready")
    return asset_remix(project=source.project, user=user, asset_id=asset.pk, prompt=prompt)


@transaction.atomic
def video_delete(*, user: User, video_id: str) -> None:
    """Delete a video and its files; one still rendering is cancelled first. Its requester or an
    owner of its project may; a video published in the gallery or registered as a work is kept
    (Conflict, saying why: generation.extensions)."""
    job = video_get(user=user, video_id=video_id)
    membership = membership_require(project=job.project, user=user, action=Action.GENERATE)
    if job.requester_id != membership.user_id and membership.role != Role.OWNER:
        raise PermissionDenied(_("Only the person who asked for this video or an owner of its project "
                                 "may delete it."))
    if job.status not in FINISHED:
        job_cancel(project=job.project, user=user, job_id=job.public_id)
    assets_delete(Asset.objects.filter(job=job))
    job.delete()


def video_object(job: Job) -> dict[str, Any]:
    """The job as OpenAI's Video object."""
    status = STATUS[JobStatus(job.status)]
    seconds = job.seconds
    error = None
    if job.status == JobStatus.FAILED:
        error = {"code": "generation_failed", "message": job.error}
    elif job.status == JobStatus.CANCELLED:
        error = {"code": "cancelled", "message": _("The video was cancelled.")}
    return {
        "id": job.public_id, "object": "video", "model": job.preset, "status": status,
        "progress": int(job.progress), "created_at": int(job.created_at.timestamp()),
        "completed_at": int(job.finished_at.timestamp()) if job.finished_at else None,
        "expires_at": None, "prompt": job.prompt, "size": f"{job.width}x{job.height}",
        # As the client asked ("4"), though the clip is on the model's frame grid (97 frames).
        "seconds": str(round(seconds)) if abs(seconds - round(seconds)) < 0.1 else f"{seconds:g}",
        # (kept when it was queued: the source may have been deleted since)
        "remixed_from_video_id": job.remixed_from or (job.parent.job.public_id if job.parent else None),
        "error": error,
    }
