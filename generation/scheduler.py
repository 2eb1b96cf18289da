"""Which queued job a free GPU worker runs next: fair turns between people, caps, plan priority.

Workers pull. Every submit sends a token (`generation.tasks.job_next`) to the `gpu` queue; the
worker that takes a token claims the job that is next by these rules, and runs it:

1. Caps: a requester runs at most their plan's `running` jobs at once, a project at most
   GENERATION_PROJECT_RUNNING; jobs over a cap wait (the end of a job sends a fresh token).
2. Turns: the requester served longest ago goes first, so people's jobs interleave one by one
   however many each queued. A plan's `priority_s` counts as having been served that many
   seconds earlier: paying plans get their turns sooner, and nobody waits forever.
3. Within one requester: the project served longest ago, then the oldest job.

Tokens are interchangeable; a spare one finds nothing and ends, so sending one too many costs a
query, never a job. A token handed out again after its worker died (acks_late) finds its job by
`Job.claim` and runs it again. Claims are serialised (an advisory lock on PostgreSQL; SQLite's
write lock otherwise), so two workers never exceed a cap or take the same job.
"""

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.plans import Plan
from generation.models import Job, JobStatus
from generation.quotas import Quota, quota_for
from kernel.tasks import enqueue

log = logging.getLogger(__name__)
CANDIDATES = 1000  # the oldest queued jobs considered at each claim
_LOCK_KEY = 0x53_54_4F_52_59  # pg_advisory_xact_lock key shared by every claim


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _served(field: str, ids: set[int]) -> dict[int, float]:
    """When each requester (or project) last had a job start, as a timestamp."""
    rows = (Job.objects.filter(**{f"{field}__in": ids}, started_at__isnull=False)
            .values(field).annotate(last=Max("started_at")))
    return {row[field]: row["last"].timestamp() for row in rows}


def next_job(queued: Sequence[Mapping[str, Any]], running: Sequence[Mapping[str, Any]]) -> int | None:
    """The id of the job to start among `queued` (dicts with id, requester_id, project_id,
    requester__plan, created_at), given the jobs `running` (requester_id, project_id); None
    when every one is held back by a cap. Pure, apart from reading when each was last served."""
    def plan(job: Mapping[str, Any]) -> Quota:  # (a deleted requester's job runs as the free plan)
        return quota_for(job["requester__plan"] or Plan.FREE)

    by_user = Counter(job["requester_id"] for job in running)
    by_project = Counter(job["project_id"] for job in running)
    project_cap = settings.GENERATION_PROJECT_RUNNING
    eligible = [job for job in queued
                if by_user[job["requester_id"]] < plan(job).running
                and by_project[job["project_id"]] < project_cap]
    if not eligible:
        return None
    user_served = _served("requester", {job["requester_id"] for job in eligible})
    project_served = _served("project", {job["project_id"] for job in eligible})

    def turn(job: Mapping[str, Any]) -> tuple[float, float, Any, int]:
        credit = plan(job).priority_s
        return (user_served.get(job["requester_id"], 0.0) - credit,
                project_served.get(job["project_id"], 0.0), job["created_at"], job["id"])

    return min(eligible, key=turn)["id"]


def job_claim(*, claim: str) -> int | None:
    """Take the next job for the worker holding token `claim` (its Celery task id) and mark it
    running; returns its id, or None when nothing may start now."""
    with transaction.atomic():
        _lock()
        again = Job.objects.filter(claim=claim, status=JobStatus.RUNNING).values_list("pk", flat=True).first()
        if again is not None:
            log.warning("job %s runs again: the worker that had it stopped", again)
            return again
        columns = ("id", "requester_id", "project_id", "requester__plan", "created_at")
        queued = list(Job.objects.filter(status=JobStatus.QUEUED, cancel_requested=False)
                      .order_by("created_at", "id").values(*columns)[:CANDIDATES])
        running = list(Job.objects.filter(status=JobStatus.RUNNING).values("requester_id", "project_id"))
        job_id = next_job(queued, running)
        if job_id is not None:
            now = timezone.now()
            Job.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, claim=claim, started_at=now,
                                                 heartbeat_at=now)
        return job_id


def waiting() -> int:
    return Job.objects.filter(status=JobStatus.QUEUED, cancel_requested=False).count()


def dispatch(count: int = 1) -> None:
    """Send `count` tokens to the GPU workers."""
    for _ in range(count):
        enqueue("generation.tasks.job_next")


def dispatch_on_commit() -> None:
    transaction.on_commit(dispatch, robust=True)


def jobs_recover() -> int:
    """Put back in the queue the running jobs that stopped showing signs of life (their worker
    and its token are gone: a broker that lost its queue, a machine that went away), then hand
    out a token per queued job. Run when a GPU worker starts and every few minutes; returns how
    many jobs were put back."""
    stale = timezone.now() - timedelta(seconds=settings.GENERATION_STALE_AFTER_S)
    with transaction.atomic():
        _lock()
        recovered = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale).update(
            status=JobStatus.QUEUED, claim="", progress=0.0, step=0, eta_s=None)
    if recovered:
        log.warning("%s stalled jobs put back in the queue", recovered)
    return recovered
