"""A job's state as the project's members see it change, on the project's event stream."""

from typing import Any

from generation.models import Job
from projects.activity import project_event_send


def job_payload(job: Job) -> dict[str, Any]:
    return {"id": job.public_id, "status": job.status, "progress": job.progress, "step": job.step,
            "steps": job.total_steps, "eta_s": job.eta_s, "error": job.error}


def job_announce(job: Job, **extra: Any) -> None:
    """Send the job's state (and `extra`: a storyboard's clip, a preview frame) to the project."""
    project_event_send(project_id=job.project_id, event="job", payload={**job_payload(job), **extra})
