from celery import shared_task

from generation.execution import job_execute


@shared_task(name="generation.tasks.job_run", acks_late=True, reject_on_worker_lost=True)
def job_run(*, job_id: int) -> str | None:
    """Routed to the `gpu` queue (CELERY_TASK_ROUTES); one job at a time per worker process."""
    return job_execute(job_id)
