from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings

from generation import scheduler
from generation.webhooks import DeliveryFailed, deliver
from kernel.tasks import time_limits


class _Turn(Task[Any, Any]):
    """A turn past its time limit that did not end its job cleanly (killed at the hard limit,
    or stopped outside the job's own handling) fails the job: run again, it would only time out
    again. Runs in the worker's main process for the hard limit, so the runner loads lazily."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, SoftTimeLimitExceeded | TimeLimitExceeded):
            from generation.execution import job_time_out

            job_time_out(claim=task_id)


@shared_task(name="generation.tasks.job_next", base=_Turn, bind=True, acks_late=True,
             reject_on_worker_lost=True, **time_limits(settings.GENERATION_JOB_TIME_LIMIT_S))
def job_next(self: Task) -> str | None:
    """A turn on a GPU worker (the `gpu` queue, one job at a time per process): run the job the
    scheduler picks, then hand out a turn for the next one if any waits. The job runner is
    imported here, not at the top: processes that only queue jobs never load torch and diffusers."""
    from generation.execution import job_execute

    job_id = scheduler.job_claim(claim=self.request.id or "")
    if job_id is None:
        return None
    try:
        return job_execute(job_id)
    finally:
        if scheduler.waiting():
            scheduler.dispatch()


@shared_task(name="generation.tasks.jobs_recover")
def jobs_recover() -> int:
    """Requeue running jobs whose worker vanished; one turn per job put back."""
    recovered = scheduler.jobs_recover()
    scheduler.dispatch(recovered)
    return recovered


@worker_ready.connect
def _queue_reconcile(sender: Any, **_: Any) -> None:
    """A GPU worker starting hands out a turn per waiting job: the database is the truth, and a
    broker that restarted (the embedded one keeps nothing) has lost the turns it held."""
    if "gpu" in {queue.name for queue in sender.task_consumer.queues}:
        scheduler.jobs_recover()
        scheduler.dispatch(scheduler.waiting())


@shared_task(name="generation.tasks.webhook_deliver", autoretry_for=(DeliveryFailed, SoftTimeLimitExceeded),
             retry_backoff=2, retry_backoff_max=600, retry_jitter=True, max_retries=8,
             **time_limits(settings.WEBHOOK_DEADLINE_S + 10))
def webhook_deliver(*, webhook_id: int, body: str) -> int | None:
    """One webhook delivery (ended by WEBHOOK_DEADLINE_S; the time limits are a backstop);
    Celery retries it with exponential backoff until it gets a 2xx."""
    return deliver(webhook_id=webhook_id, body=body)


@shared_task(name="generation.tasks.model_install", acks_late=True,
             **time_limits(5 * 3600))
def model_install(*, preset: str, token: str) -> str | None:
    """Download a preset's weights from the Hub (generation/models_manager.py). On the `default`
    queue (CELERY_TASK_ROUTES): a download must not hold a render's turn."""
    from generation.models_manager import model_install_run

    return model_install_run(name=preset, token=token)


@shared_task(name="generation.tasks.asset_assess", **time_limits(settings.MEDIA_ENCODE_TIMEOUT_S * 2))
def asset_assess(*, asset_id: int) -> bool:
    """The aesthetic report of a stored render (generation.assessment)."""
    from generation.assessment import asset_assess as assess

    return assess(asset_id=asset_id)
