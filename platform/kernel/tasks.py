"""What every app's Celery tasks share: their time limits, and how services queue them.

Services queue a task by its name (`enqueue`), not by importing it: the app's tasks module imports
its services, so importing the tasks back would close a circle. The queue a name goes to is set in
one place, CELERY_TASK_ROUTES."""

import math
from typing import Any, TypedDict

from celery import current_app


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
    current_app.send_task(name, kwargs=kwargs)
