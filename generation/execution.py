"""Running a queued job on a worker: status, progress, cancel, outputs.

Idempotent for Celery's late acknowledgement: a job whose worker died runs again from the
start, and its assets are replaced, never added to, in the transaction that marks it done.
"""

import hashlib
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from generation.media import mp4_write, poster_png, preview_webp, thumbnail_jpeg
from generation.models import FINISHED, Asset, Job, JobKind, JobStatus
from generation.pipelines import WeightsMissing, pipeline_for
from generation.presets import preset_get
from generation.runner import Cancelled, Progress, RenderRequest, render
from generation.webhooks import webhooks_notify
from projects.activity import project_event_send

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.25  # at most this often to the job row and the project's stream


def job_payload(job: Job) -> dict[str, Any]:
    return {"id": job.public_id, "status": job.status, "progress": job.progress, "step": job.step,
            "steps": job.steps, "eta_s": job.eta_s, "error": job.error}


def _announce(job: Job) -> None:
    project_event_send(project_id=job.project_id, event="job", payload=job_payload(job))


def _start(job_id: int) -> Job | None:
    """Mark the job running (another attempt if a worker died in it); None if it must not run."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED:
            return None
        if job.cancel_requested:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            job.save(update_fields=["status", "finished_at"])
            _announce(job)
            return None
        job.status, job.started_at, job.attempts = JobStatus.RUNNING, timezone.now(), job.attempts + 1
        job.progress, job.step, job.eta_s, job.error = 0.0, 0, None, ""
        job.save(update_fields=["status", "started_at", "attempts", "progress", "step", "eta_s", "error"])
        _announce(job)
        return job


def _finish(job: Job, status: str, error: str = "", **fields: Any) -> None:
    """Record how the job ended (with any other `fields`), then tell its watchers and webhooks."""
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(status=status, error=error, finished_at=timezone.now(), **fields)
        job.refresh_from_db()
        _announce(job)
        webhooks_notify(job)


class _Reporter:
    """Progress to the job row and the project's stream, throttled; the cancel flag read back."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.sent_at = 0.0

    def progress(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self.sent_at < PROGRESS_EVERY_S and progress.step < progress.total:
            return
        self.sent_at = now
        Job.objects.filter(pk=self.job.pk).update(progress=progress.percent, step=progress.step,
                                                  eta_s=progress.eta_s)
        self.job.progress, self.job.step, self.job.eta_s = progress.percent, progress.step, progress.eta_s
        _announce(self.job)

    def cancelled(self) -> bool:
        return Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()


def job_execute(job_id: int) -> str | None:
    """Run the job to the end; returns its final status (None when it was not to run)."""
    job = _start(job_id)
    if job is None:
        return None
    reporter = _Reporter(job)
    assert job.started_at is not None
    timings = {"queue_s": round((job.started_at - job.created_at).total_seconds(), 3)}
    clock = time.monotonic()
    try:
        preset = preset_get(job.preset)  # (KeyError, naming the known ones, if it left the settings)
        pipeline = pipeline_for(preset)
        timings["load_s"], clock = round(time.monotonic() - clock, 3), time.monotonic()
        frames = render(pipeline, RenderRequest(
            preset=preset, prompt=job.prompt, negative_prompt=job.negative_prompt, seed=job.seed,
            width=job.width, height=job.height, frames=job.frames, steps=job.steps,
            guidance=job.guidance), on_progress=reporter.progress, should_stop=reporter.cancelled)
        timings["render_s"], clock = round(time.monotonic() - clock, 3), time.monotonic()
        _store(job, frames, timings, clock)
    except Cancelled:
        _finish(job, JobStatus.CANCELLED)
    except WeightsMissing as exc:
        _finish(job, JobStatus.FAILED, str(exc))
    except torch.OutOfMemoryError:
        log.exception("job %s ran out of memory", job.public_id)
        _free_memory()
        _finish(job, JobStatus.FAILED, f"Out of memory rendering {job.width}x{job.height}, {job.frames} "
                                       f"frames with {job.preset}: try a smaller size or fewer frames.")
    except Exception as exc:  # the worker keeps serving other jobs
        log.exception("job %s failed", job.public_id)
        _finish(job, JobStatus.FAILED, f"{type(exc).__name__}: {exc}")
    return Job.objects.values_list("status", flat=True).get(pk=job.pk)


def _free_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _outputs(job: Job, frames: np.ndarray) -> tuple[dict[str, ContentFile], dict[str, Any]]:
    """The asset's files and measurements."""
    files = {"poster": ContentFile(poster_png(frames), name="poster.png"),
             "thumbnail": ContentFile(thumbnail_jpeg(frames), name="thumbnail.jpg")}
    details: dict[str, Any] = {"width": frames.shape[2], "height": frames.shape[1], "frames": 1}
    if job.kind == JobKind.VIDEO:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "video.mp4"
            mp4_write(frames, path, fps=job.fps)
            data = path.read_bytes()
        files["file"] = ContentFile(data, name="video.mp4")
        files["preview"] = ContentFile(preview_webp(frames, fps=job.fps), name="preview.webp")
        details.update(frames=len(frames), fps=job.fps, seconds=round(len(frames) / job.fps, 3))
    else:
        data = files["poster"].read()
        files["file"] = ContentFile(data, name="image.png")
    details["sha256"] = hashlib.sha256(data).hexdigest()
    return files, details


def _store(job: Job, frames: np.ndarray, timings: dict[str, float], since: float) -> None:
    """Write the outputs, then, in one transaction, replace the job's asset and mark it done."""
    files, details = _outputs(job, frames)
    with transaction.atomic():
        if Job.objects.select_for_update().filter(pk=job.pk, cancel_requested=True).exists():
            raise Cancelled("cancelled while saving")
        Asset.objects.filter(job=job, role="output").delete()
        asset = Asset(job=job, project_id=job.project_id, kind=job.kind, parent=job.parent, **details)
        for name, content in files.items():
            getattr(asset, name).save(content.name, content, save=False)
        asset.save()
        timings["store_s"] = round(time.monotonic() - since, 3)
        _finish(job, JobStatus.SUCCEEDED, progress=100.0, step=job.steps, eta_s=0.0, timings=timings)
