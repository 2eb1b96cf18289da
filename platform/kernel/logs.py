"""Logs an operator can follow: one request id from the HTTP request into the Celery tasks it
queues and the chain transactions it asks for, and (in production) one JSON object per line.

The id lives in structlog's context variables, which every log record picks up through the
formatter's pre-chain: a record logged by any library carries the id of the request, task or
transaction it belongs to. Context variables follow asyncio tasks and asgiref's thread hops,
so sync views under ASGI keep their request's id.

- `request_id_middleware` takes the load balancer's X-Request-ID when it is well formed (HAProxy
  sets one), makes one otherwise, and answers it in the response's X-Request-ID;
- `request_id_header`, `task_request_id`, `bind` and `unbind` carry it in a Celery message's
  headers and bind it in the worker while it runs the task (wired in core.celery);
- `request_id_bound` binds a chain transaction's stored id while the outbox handles it;
- `logging_config` is the LOGGING setting: "json" (one object per line: time, level, logger,
  event, request_id, exception) or "plain" (for a person at a terminal).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # no spaces, quotes or newlines: nothing to forge a line with


def request_id() -> str | None:
    """The id bound to the current request, task or transaction, if any."""
    return structlog.contextvars.get_contextvars().get("request_id")


def request_id_or_new(value: str | None) -> str:
    """`value` when it is a well-formed id (a load balancer's), else a new one."""
    return value if value and _VALID.fullmatch(value) else uuid.uuid4().hex


@contextmanager
def request_id_bound(value: str | None) -> Iterator[None]:
    """Log under `value` for the duration (nothing changes when it is empty)."""
    if not value:
        yield
        return
    with structlog.contextvars.bound_contextvars(request_id=value):
        yield


@sync_and_async_middleware
def request_id_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Bind each request's id and answer it in X-Request-ID. It stays bound until the response
    is finished (`request_finished`): Django logs "Not Found" and the like after the middleware
    has returned."""

    def begin(request: HttpRequest) -> str:
        value = request_id_or_new(request.headers.get(HEADER))
        bind(value)
        return value

    if iscoroutinefunction(get_response):
        async def middleware(request: HttpRequest) -> HttpResponse:
            value = begin(request)
            response = await get_response(request)
            response[HEADER] = value
            return response
    else:
        def middleware(request: HttpRequest) -> HttpResponse:  # type: ignore[misc]  # (one of two)
            value = begin(request)
            response = get_response(request)
            response[HEADER] = value
            return response
    return middleware


def _request_finished(**_: Any) -> None:
    unbind()


request_finished.connect(_request_finished, dispatch_uid="kernel.logs.request_finished")


# -- Celery ------------------------------------------------------------------------------------

def request_id_header(headers: dict[str, Any]) -> None:
    """Put the current id into a task message's headers (before it is published)."""
    value = request_id()
    if value:
        headers.setdefault("request_id", value)


def task_request_id(task: Any) -> str | None:
    """The id a task's message carries (Celery exposes custom headers on task.request)."""
    value = getattr(task.request, "request_id", None)
    return value if isinstance(value, str) and _VALID.fullmatch(value) else None


def bind(value: str | None) -> None:
    """Bind `value` until `unbind` (a worker between a task's prerun and postrun signals)."""
    if value:
        structlog.contextvars.bind_contextvars(request_id=value)


def unbind() -> None:
    structlog.contextvars.unbind_contextvars("request_id")


# -- formatting --------------------------------------------------------------------------------

_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def formatter(fmt: str = "plain") -> logging.Formatter:
    """Records as one JSON object per line (`fmt="json"`), or as text; with the bound request id."""
    rendering: list[Any]
    if fmt == "json":
        rendering = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:  # (tracebacks without local variables: they may hold secrets)
        rendering = [structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0,
                                                   exception_formatter=structlog.dev.plain_traceback)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering])


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """The LOGGING setting: every record through one console handler, as JSON or plain text."""
    if fmt not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT is json or plain, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": formatter, "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main"}},
        "root": {"handlers": ["console"], "level": level},
        # httpx logs every webhook delivery's full URL at INFO (receivers' URLs often hold a secret).
        "loggers": {"httpx": {"level": "WARNING"}},
    }
