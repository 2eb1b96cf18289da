import os
from typing import Any

from celery import Celery
from celery.signals import (
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)

from kernel import logs
from kernel.metrics import process_dead, serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.local")

app = Celery("storyloom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _time_limits_are_the_workers(headers: dict[str, Any], **_: Any) -> None:
    """A task's time limits are those of the worker that runs it (its settings, on its machine),
    not those of the process that queued it, which Celery would otherwise put in the message."""
    headers.pop("timelimit", None)


@before_task_publish.connect
def _carry_the_request_id(headers: dict[str, Any], **_: Any) -> None:
    """The request (or task) that queues a task gives it its id: one registration's lines, from
    the web process to the chain, share one id."""
    logs.request_id_header(headers)


@task_prerun.connect
def _bind_the_request_id(task: Any, **_: Any) -> None:
    logs.bind(logs.task_request_id(task))


@task_postrun.connect
def _unbind_the_request_id(**_: Any) -> None:
    logs.unbind()


@worker_process_shutdown.connect
def _forget_the_process_gauges(pid: int, **_: Any) -> None:
    """A pool process ending: its live gauges (GPU memory) leave /metrics with it."""
    process_dead(pid)


@worker_init.connect
def _serve_metrics(**_: Any) -> None:
    """A worker on a host of its own serves its metrics on WORKER_METRICS_PORT (deploy/compose.yaml);
    under `manage.py up` the web process's /metrics already reads them."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        serve(int(port))
