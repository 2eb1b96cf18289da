"""What every app's Celery tasks share: their time limits, and how services queue them.

Services queue a task by its name (`enqueue`), not by importing it: the app's tasks module imports
its services, so importing the tasks back would close a circle. The queue a name goes to is set in
one place, CELERY_TASK_ROUTES."""

import math
from typing import Any, TypedDict

from celery import current_app
from django.db import transaction


class TimeLimits(TypedDict):
    soft_time_limit: int
    time_limit: int


def time_limits(soft_s: float) -> TimeLimits:
    """Options for a task allowed to run `soft_s` seconds: SoftTimeLimitExceeded is raised in it
    then, so it ends cleanly, and its process is killed if it has not ended as long after that as
    the defaults allow (CELERY_TASK_TIME_LIMIT minus CELERY_TASK_SOFT_TIME_LIMIT)."""
    from django.conf import settings

    soft = math.ceil(soft_s)
    cleanup_s: int = settings.CELERY_TASK_TIME_LIMIT - settings.CELERY_TASK_SOFT_TIME_LIMIT
    return {"soft_time_limit": soft, "time_limit": soft + cleanup_s}


def enqueue(name: str, **kwargs: Any) -> None:
    """Queue the task registered as `name` with these keyword arguments."""
    if current_app.conf.task_always_eager:  # (tests that run tasks in this process, as .delay would)
        current_app.loader.import_default_modules()
        current_app.tasks[name].apply_async(kwargs=kwargs)
        return
    current_app.send_task(name, kwargs=kwargs)


def enqueue_on_commit(name: str, **kwargs: Any) -> None:
    """Queue the task once the current transaction commits (at once outside one), so that it never
    runs before the rows it reads exist; a broker error then is logged, not raised."""
    transaction.on_commit(lambda: enqueue(name, **kwargs), robust=True)
