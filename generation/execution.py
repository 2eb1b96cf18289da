"""Running a queued job on a worker: status, progress, cancel, outputs.

Idempotent for Celery's late acknowledgement: a job whose worker died runs again from the
start, and its assets are replaced, never added to, in the transaction that marks it done.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
import torch
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from collab.selectors import storyboard_contributions
from generation.events import job_announce, job_payload
from generation.media import encode_outputs
from generation.metrics import gpu_measured, job_measured
from generation.models import FINISHED, Asset, Job, JobKind, JobStatus, assets_delete
from generation.pipelines import WeightsMissing, pipeline_for
from generation.presets import preset_get, presets, presets_installed
from generation.provenance import Facts, embed
from generation.quotas import compute_settle, quota_for
from generation.runner import Cancelled, Progress, RenderRequest, render
from generation.watermark import watermark
from generation.webhooks import webhooks_notify
from inbox.services import NotificationKind, notification_send
from kernel.tasks import enqueue_on_commit
from projects.services import activity_record, project_event_send

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.25  # at most this often to the job row and the project's stream
PREVIEW_EVERY_S = 1.0  # a preview frame with the progress at most this often
HEARTBEAT_S = 20  # how often (at most) a job tells the scheduler it is alive when no step reports


def _start(job_id: int) -> Job | None:
    """Mark the job running (another attempt if a worker died in it); None if it must not run."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED:
            return None
        if job.cancel_requested:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            job.save(update_fields=["status", "finished_at"])
            compute_settle(job=job, steps_done=0)
            job_announce(job)
            return None
        job.status, job.attempts = JobStatus.RUNNING, job.attempts + 1
        job.started_at = job.heartbeat_at = timezone.now()
        job.progress, job.step, job.eta_s, job.error, job.error_detail = 0.0, 0, None, "", ""
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "progress", "step",
                                "eta_s", "error", "error_detail"])
        job_announce(job)
        return job


def _finish(job: Job, status: str, error: str = "", *, steps_done: int = 0, **fields: Any) -> None:
    """Record how the job ended (with any other `fields`), then tell its watchers and webhooks. A
    job that did not succeed is charged the compute of the `steps_done` that ran, and shows them."""
    with transaction.atomic():
        if status != JobStatus.SUCCEEDED:
            fields["step"] = steps_done
            compute_settle(job=job, steps_done=steps_done)
        Job.objects.filter(pk=job.pk).update(status=status, error=error, finished_at=timezone.now(), **fields)
        job.refresh_from_db()
        job_announce(job)
        webhooks_notify(job)
        if job.requester_id and status in (JobStatus.SUCCEEDED, JobStatus.FAILED):  # (after commit)
            notification_send(
                recipients=[job.requester_id],
                link=reverse("projects:detail", args=[job.project_id]) + "#jobs",
                kind=NotificationKind.RENDER_SUCCEEDED if status == JobStatus.SUCCEEDED
                else NotificationKind.RENDER_FAILED,
                params={"prompt": job.prompt if len(job.prompt) <= 60 else job.prompt[:59] + "…",
                        "project": job.project.name})


class _Reporter:
    """Progress over all of a job's clips, to the job row (with a heartbeat) and the project's
    stream, throttled; a preview frame now and then; the cancel flag read back."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.total = job.total_steps
        self.offset = 0  # steps of the clips already rendered
        self.clip = 1
        self.done = 0  # steps done so far, however throttled the reports are (what a stop is charged)
        self.started = self.sent_at = self.preview_at = time.monotonic()
        # Asked after every step, so built once: the ORM's own work per call was most of the
        # check's cost (0.16 ms against 0.014 ms measured on SQLite).
        query = Job.objects.filter(pk=job.pk, cancel_requested=True).values("pk").order_by()
        self.cancel_sql, self.cancel_params = query.query.sql_with_params()
        # Reports are sent (and their preview frames made) in order on a thread of their own:
        # sending one took about 2 ms of the denoising loop's time.
        self.events = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"job-{job.pk}-events")

    def progress(self, progress: Progress) -> None:
        now = time.monotonic()
        done = self.done = self.offset + progress.step
        if now - self.sent_at < PROGRESS_EVERY_S and done < self.total:
            return
        self.sent_at = now
        elapsed = now - self.started
        job = self.job
        job.step, job.progress = done, round(100 * done / self.total, 1)
        job.eta_s = round(elapsed / done * (self.total - done), 2)
        Job.objects.filter(pk=job.pk).update(progress=job.progress, step=job.step, eta_s=job.eta_s,
                                             heartbeat_at=timezone.now())
        payload = job_payload(job)  # (as it is now: the job object changes at the next report)
        if job.kind == JobKind.STORYBOARD:
            payload["clip"] = self.clip
        preview = None
        if progress.preview is not None and (now - self.preview_at >= PREVIEW_EVERY_S or done == self.total):
            self.preview_at, preview = now, progress.preview
        self.events.submit(self._announce, payload, preview)

    def _announce(self, payload: dict[str, Any], preview: Callable[[], str] | None) -> None:
        """On the events thread: the preview frame made, the report sent to the project."""
        try:
            if preview is not None:
                payload["preview"] = preview()
            project_event_send(project_id=self.job.project_id, event="job", payload=payload)
        except Exception:  # a progress report lost, never the render
            log.exception("job %s: a progress report was not sent", self.job.public_id)

    def close(self) -> None:
        """Send what is queued (before the job's next state is announced)."""
        self.events.shutdown(wait=True)

    def cancelled(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(self.cancel_sql, self.cancel_params)
            return cursor.fetchone() is not None


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Tell the scheduler the job is alive while it loads, decodes and stores, when no step
    reports progress: a job silent for GENERATION_STALE_AFTER_S goes back in the queue."""
    stop = threading.Event()

    def beat() -> None:
        try:
            # Several beats per stale period, whatever an operator sets it to.
            while not stop.wait(min(HEARTBEAT_S, settings.GENERATION_STALE_AFTER_S / 4)):
                try:
                    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    log.warning("job %s: heartbeat not recorded", job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _clips(job: Job) -> list[dict[str, Any]]:
    """What to render: a storyboard's scenes in order, or the job's one image or clip."""
    if job.kind == JobKind.STORYBOARD:
        return job.scenes
    return [{"prompt": job.prompt, "negative_prompt": "", "seed": job.seed,
             "frames": job.frames if job.kind == JobKind.VIDEO else 0}]


def _render(job: Job, pipeline: Any, reporter: _Reporter) -> list[np.ndarray]:
    preset = preset_get(job.preset)
    clips = []
    for number, clip in enumerate(_clips(job), 1):
        reporter.offset, reporter.clip = (number - 1) * job.steps, number
        clips.append(render(pipeline, RenderRequest(
            preset=preset, prompt=clip["prompt"],
            negative_prompt=clip["negative_prompt"] or job.negative_prompt,
            seed=clip["seed"], width=job.width, height=job.height, frames=clip["frames"], steps=job.steps,
            guidance=job.guidance, render_mode=job.render_mode), on_progress=reporter.progress,
            should_stop=reporter.cancelled))
    return clips


def _failure(job: Job, exc: BaseException) -> tuple[str, str]:
    """What the people who asked see of a failure (no exception names, paths or commands), and
    the detail kept for staff (the admin); the traceback goes to the log."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SoftTimeLimitExceeded):  # (raised by Celery at the task's soft time limit)
        return time_limit_error(), detail
    if isinstance(exc, WeightsMissing):
        return (_("The model %(preset)s is not installed on the render workers. Choose another model, or "
                  "ask an administrator to install it.") % {"preset": job.preset}, detail)
    if isinstance(exc, torch.OutOfMemoryError):
        return (_("Out of memory rendering %(width)sx%(height)s, %(frames)s frames with %(preset)s: try "
                  "a smaller size or fewer frames.") % {"width": job.width, "height": job.height,
                                                        "frames": job.frames, "preset": job.preset}, detail)
    return (_("The render failed on the worker. Try again; if it fails again, give support the id "
              "%(id)s.") % {"id": job.public_id}, detail)


def time_limit_error() -> str:
    now = timezone.now()
    limit = timesince(now - timedelta(seconds=settings.GENERATION_JOB_TIME_LIMIT_S), now)
    return _("The render was stopped after %(limit)s, the longest a render may run. Try fewer frames "
             "or steps, or a smaller size.") % {"limit": limit}


def job_time_out(*, claim: str) -> None:
    """Fail the job that the turn `claim` left running when its time limit stopped it outside the
    job's own handling (its process killed at the hard limit): run again, it would only time out
    again."""
    job = Job.objects.filter(claim=claim, status=JobStatus.RUNNING).first()
    if job is not None:
        log.error("job %s stopped at its time limit", job.public_id)
        _finish(job, JobStatus.FAILED, time_limit_error(), steps_done=job.step,
                error_detail="stopped at the task's time limit")


def job_execute(job_id: int) -> str | None:
    """Run the job to the end; returns its final status (None when it was not to run)."""
    job = _start(job_id)
    if job is None:
        return None
    if job.preset not in presets():  # the preset left the configuration since the job was queued
        message = _("The model %(preset)s is no longer available; choose one of: %(names)s.") % {
            "preset": job.preset, "names": ", ".join(sorted(presets_installed()))}
        _finish(job, JobStatus.FAILED, message)
        return JobStatus.FAILED
    reporter = _Reporter(job)
    assert job.started_at is not None
    timings = {"queue_s": round((job.started_at - job.created_at).total_seconds(), 3)}
    clock = time.monotonic()
    try:
        with _heartbeat(job.pk):
            # (KeyError, naming the known ones, if the preset left the settings)
            pipeline = pipeline_for(preset_get(job.preset))
            timings["load_s"], clock = round(time.monotonic() - clock, 3), time.monotonic()
            try:
                clips = _render(job, pipeline, reporter)
            finally:
                reporter.close()
            timings["render_s"], clock = round(time.monotonic() - clock, 3), time.monotonic()
            _store(job, clips, timings, clock)
    except Cancelled:
        _finish(job, JobStatus.CANCELLED, steps_done=reporter.done)
    except WeightsMissing as exc:
        log.error("job %s: %s", job.public_id, exc)
        message, detail = _failure(job, exc)
        _finish(job, JobStatus.FAILED, message, steps_done=reporter.done, error_detail=detail)
    except torch.OutOfMemoryError as exc:
        log.exception("job %s ran out of memory", job.public_id)
        _free_memory()
        message, detail = _failure(job, exc)
        _finish(job, JobStatus.FAILED, message, steps_done=reporter.done, error_detail=detail)
    except Exception as exc:  # the worker keeps serving other jobs
        log.exception("job %s failed", job.public_id)
        message, detail = _failure(job, exc)
        _finish(job, JobStatus.FAILED, message, steps_done=reporter.done, error_detail=detail)
    status = Job.objects.values_list("status", flat=True).get(pk=job.pk)
    job_measured(preset=job.preset, status=status, timings=timings)
    gpu_measured()
    return status


def _free_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _facts(job: Job) -> Facts:
    """What the Content Credentials say about the job's media: the requester and, for a
    storyboard, everyone who wrote it (most text first) are its authors."""
    people = [job.requester] if job.requester else []
    if job.kind == JobKind.STORYBOARD:
        people += [c.user for c in storyboard_contributions(project_id=job.project_id)]
    authors = list(dict.fromkeys(person.name or person.username for person in people))
    prompt_sha256 = hashlib.sha256(job.prompt.encode()).hexdigest()
    # A remix names its source by the hash it kept when queued (the source may be deleted since).
    return Facts(preset=job.preset, seed=job.seed, prompt_sha256=prompt_sha256, project_id=job.project_id,
                 project_name=job.project.name, authors=authors, job_id=job.public_id, kind=job.kind,
                 parent_sha256=job.parent_sha256 or None, render_mode=job.render_mode)


def _outputs(job: Job, frames: np.ndarray, facts: Facts) -> tuple[dict[str, ContentFile], dict[str, Any]]:
    """An asset's files, each with signed Content Credentials, and its measurements, for
    `frames` (one frame: an image)."""
    video = job.kind != JobKind.IMAGE
    files = encode_outputs(frames, job.fps if video else None)
    signed = {name: ContentFile(embed(f.data, f.mime, facts, title=job.prompt[:120]), name=f.filename)
              for name, f in files.items()}
    details: dict[str, Any] = {"kind": JobKind.VIDEO if video else JobKind.IMAGE, "width": frames.shape[2],
                               "height": frames.shape[1], "frames": len(frames) if video else 1,
                               "sha256": hashlib.sha256(signed["file"].read()).hexdigest()}
    if video:
        details.update(fps=job.fps, seconds=round(len(frames) / job.fps, 3))
    return signed, details


def _store(job: Job, clips: list[np.ndarray], timings: dict[str, float], since: float) -> None:
    """Write the outputs (a storyboard's joined video and each scene's clip), then, in one
    transaction, replace the job's assets and mark it done."""
    # Every step is done but the files are not: watchers say so instead of a silent 100 %.
    job_announce(job, phase="encoding")
    if job.requester and quota_for(job.requester.plan).watermark:
        clips = [watermark(clip) for clip in clips]
    facts = _facts(job)
    outputs = {"output": _outputs(job, np.concatenate(clips) if len(clips) > 1 else clips[0], facts)}
    if job.kind == JobKind.STORYBOARD:
        outputs.update({f"scene-{n}": _outputs(job, clip, facts) for n, clip in enumerate(clips, 1)})
    with transaction.atomic():
        if Job.objects.select_for_update().filter(pk=job.pk, cancel_requested=True).exists():
            raise Cancelled("cancelled while saving")
        assets_delete(Asset.objects.filter(job=job))  # a run after a lost worker replaces them
        # The source of a remix, if it still exists (deleting it after the remix was queued is fine).
        parent_id = Asset.objects.filter(pk=job.parent_id).values_list("pk", flat=True).first() \
            if job.parent_id else None
        for role, (files, details) in outputs.items():
            asset = Asset(job=job, project_id=job.project_id, role=role, parent_id=parent_id, **details)
            for name, content in files.items():
                getattr(asset, name).save(content.name, content, save=False)
            asset.save()
            if role == "output":  # its aesthetic report, off this worker (generation.assessment)
                enqueue_on_commit("generation.tasks.asset_assess", asset_id=asset.pk)
        timings["store_s"] = round(time.monotonic() - since, 3)
        _finish(job, JobStatus.SUCCEEDED, progress=100.0, step=job.total_steps, eta_s=0.0, timings=timings)
        prompt = job.prompt if len(job.prompt) <= 80 else job.prompt[:79] + "…"
        activity_record(project=job.project, actor=job.requester, verb=f"generation.rendered_{job.kind}",
                        target=job, data={"prompt": prompt, "scenes": len(job.scenes)})
