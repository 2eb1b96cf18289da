import math
import os
from typing import Any, TypedDict

from celery import Celery
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.local")

app = Celery("storyloom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _time_limits_are_the_workers(headers: dict[str, Any], **_: Any) -> None:
    """A task's time limits are those of the worker that runs it (its settings, on its machine),
    not those of the process that queued it, which Celery would otherwise put in the message."""
    headers.pop("timelimit", None)


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
