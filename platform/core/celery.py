import os
from typing import Any

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
