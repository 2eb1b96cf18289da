"""`/metrics`: the Prometheus exposition, for staff and monitors holding HEALTH_TOKEN (as /healthz).

What processes measure as they work comes from kernel.metrics (every process of the host when
PROMETHEUS_MULTIPROC_DIR is set): request latency by route (django-prometheus' middleware),
websockets, the storyboard relay, render phases, GPU memory, chain confirmations, the indexer,
the feed. What is read now, once per scrape: the Celery queues' depths (Redis), the outbox's
backlog and the recommender's model (the database). A part that cannot be read is left out of
this scrape (and logged), never a failed scrape: the rest still tells the operator what is wrong.
"""

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from kombu.transport.redis import Channel
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from core.health import may_see_details, redis_client
from kernel.errors import error_body
from kernel.metrics import exposition
from recommend.selectors import model_in_service
from rights.selectors import outbox_state

log = logging.getLogger(__name__)


def queues() -> list[str]:
    """Every queue a task is routed to, and the default one."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})


class ScrapeTimeCollector:
    """What is read at scrape time, each part on its own (one failing leaves the others)."""

    def collect(self) -> Iterator[Any]:
        for part in (self._queues, self._outbox, self._model):
            try:
                yield from part()
            except Exception:
                log.exception("/metrics: %s could not be read", part.__name__.strip("_"))

    def _queues(self) -> Iterator[Any]:
        # Kombu's Redis transport keeps a queue as one list per priority step ("gpu", then
        # "gpu" + sep + step for the others).
        depth = GaugeMetricFamily("storyloom_celery_queue_depth", "Tasks waiting in each Celery queue.",
                                  labels=["queue"])
        steps = [step for step in Channel.priority_steps if step]
        names = queues()
        with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:  # one round trip
            for queue in names:
                for key in (queue, *(f"{queue}{Channel.sep}{step}" for step in steps)):
                    pipe.llen(key)
            lengths = pipe.execute()
        per_queue = 1 + len(steps)
        for n, queue in enumerate(names):
            depth.add_metric([queue], sum(lengths[n * per_queue:(n + 1) * per_queue]))
        yield depth

    def _outbox(self) -> Iterator[Any]:
        counts, oldest_s = outbox_state()
        transactions = GaugeMetricFamily("storyloom_chain_outbox_transactions",
                                         "Outbox transactions by status.", labels=["status"])
        for status, count in sorted(counts.items()):
            transactions.add_metric([status], count)
        yield transactions
        yield GaugeMetricFamily("storyloom_chain_outbox_oldest_waiting_seconds",
                                "Age of the oldest transaction not yet confirmed (0: none waits).",
                                value=oldest_s)

    def _model(self) -> Iterator[Any]:
        state = model_in_service()
        info = InfoMetricFamily("storyloom_recommender_model", "The collaborative model the feed ranks with.")
        info.add_metric([], {"version": state[0] if state else "none"})
        yield info
        if state:
            yield GaugeMetricFamily("storyloom_recommender_model_age_seconds",
                                    "Seconds since that model was trained.", value=state[1])


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_see_details(request):
        return JsonResponse(error_body("forbidden", _(
            "Metrics are for staff and monitors holding the health token.")), status=403)
    return HttpResponse(exposition(ScrapeTimeCollector()), content_type=CONTENT_TYPE_LATEST)
