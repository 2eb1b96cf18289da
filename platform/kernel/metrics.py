"""Prometheus metrics (prometheus-client), the platform's own families and how /metrics reads them.

Several processes serve one platform (ASGI processes, Celery workers and their children). When
PROMETHEUS_MULTIPROC_DIR is set (`manage.py up` sets it for every process it starts; a
deployment gives each host's processes one shared directory), each process writes its samples
there and `/metrics` adds them up: a counter over every process, a gauge of live connections
summed over the live ones. Without it, each process reports its own.

Families are declared next to what they measure (collab.metrics, generation.metrics, ...) with
`counter`, `gauge` and `histogram`, all named storyloom_*; values read at scrape time from the
database, Redis or the chain (queue depths, the outbox, the indexer) are core.metrics' collector.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess

NAMESPACE = "storyloom"
# Seconds, from a millisecond relay to a minutes-long render.
BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(name, documentation, labels, namespace=NAMESPACE)


GaugeMode = Literal["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent",
                    "livemostrecent"]


def gauge(name: str, documentation: str, labels: tuple[str, ...] = (), *,
          mode: GaugeMode = "livesum") -> Gauge:
    """A gauge; across processes, `mode` says how they add up (live ones summed, by default)."""
    return Gauge(name, documentation, labels, namespace=NAMESPACE, multiprocess_mode=mode)


def histogram(name: str, documentation: str, labels: tuple[str, ...] = (),
              buckets: tuple[float, ...] = BUCKETS) -> Histogram:
    return Histogram(name, documentation, labels, namespace=NAMESPACE, buckets=buckets)


def _samples() -> CollectorRegistry:
    """A registry of every process's samples (the multiprocess directory's), or this one's."""
    registry = CollectorRegistry()
    if multiprocess():
        _multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    return registry


def exposition(*collectors: Any) -> bytes:
    """The text exposition of every process's samples plus `collectors` (read now)."""
    registry = _samples()
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


def serve(port: int) -> None:
    """Serve this host's metrics over plain HTTP on `port` (a Celery worker's container, scraped
    on its private network; web processes answer /metrics themselves)."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=_samples())


def process_dead(pid: int, directory: str | None = None) -> None:
    """Forget the live gauges of a process that exited (by its supervisor, or itself)."""
    if directory or multiprocess():
        _multiprocess.mark_process_dead(pid, directory)


class _Forward:
    """This process's default registry, inside a registry of one request's collectors."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Any:
        return self.registry.collect()
