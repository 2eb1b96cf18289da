"""A job's state as the project's members see it change, on the project's event stream."""

from typing import Any

from generation.models import Job, JobStatus
from projects.services import project_event_send


def job_payload(job: Job) -> dict[str, Any]:
    """What watchers need to show the job without asking for it: its state, what it is, and
    once it succeeded its output."""
    payload = {"id": job.public_id, "status": job.status, "progress": job.progress, "step": job.step,
               "steps": job.total_steps, "eta_s": job.eta_s, "error": job.error, "kind": job.kind,
               "preset": job.preset}
    if job.status == JobStatus.SUCCEEDED:
        asset = job.assets.filter(role="output").first()
        if asset is not None:
            payload["asset"] = {"id": asset.pk, "thumbnail": asset.media_url("thumbnail")}
    return payload


def job_announce(job: Job, **extra: Any) -> None:
    """Send the job's state (and `extra`: a storyboard's clip, a preview frame) to the project."""
    project_event_send(project_id=job.project_id, event="job", payload={**job_payload(job), **extra})
