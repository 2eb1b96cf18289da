from celery import shared_task

from generation.webhooks import DeliveryFailed, deliver


@shared_task(name="generation.tasks.job_run", acks_late=True, reject_on_worker_lost=True)
def job_run(*, job_id: int) -> str | None:
    """Routed to the `gpu` queue (CELERY_TASK_ROUTES); one job at a time per worker process.
    Imported here, not at the top: processes that only queue jobs (the web server) never load
    torch and diffusers."""
    from generation.execution import job_execute

    return job_execute(job_id)


@shared_task(name="generation.tasks.webhook_deliver", autoretry_for=(DeliveryFailed,), retry_backoff=2,
             retry_backoff_max=600, retry_jitter=True, max_retries=8)
def webhook_deliver(*, webhook_id: int, body: str) -> int | None:
    """One webhook delivery; Celery retries it with exponential backoff until it gets a 2xx."""
    return deliver(webhook_id=webhook_id, body=body)
