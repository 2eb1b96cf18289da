"""Health: `/livez` (the process answers), `/readyz` (it can serve: database and Redis; cheap and
anonymous, for load balancers) and `/healthz` (every part, workers and chain included, with
details: for staff, or a monitor holding HEALTH_TOKEN).

The detailed report costs a broadcast to the workers and reads from the chain node, so it is built
at most once per HEALTH_CACHE_S and its checks run side by side, each bounded by
HEALTH_TIMEOUT_S: a stalled node or a missing worker makes a check "down", never a slow answer.
"""

import hmac
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.celery import app as celery_app
from kernel.errors import error_body
from kernel.redis_urls import for_redis_py

REPORT_KEY = "core:health:report"


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process: a probe every second opens no new socket."""
    timeout = settings.HEALTH_TIMEOUT_S
    return redis.Redis.from_url(for_redis_py(url), socket_timeout=timeout, socket_connect_timeout=timeout)


def _redis() -> dict[str, Any]:
    redis_client(settings.REDIS_URL).ping()
    return {"embedded": settings.EMBEDDED_REDIS}


def _workers() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=1.0) or []
    names = sorted(name for reply in replies for name in reply)
    if not names:
        raise RuntimeError("no Celery worker answered within 1 s")
    return {"workers": names}


def _chain() -> dict[str, Any]:
    """The node answers, is the configured chain, and holds the registry."""
    from web3 import Web3

    from rights.chain.client import registry_address, web3

    w3 = web3(timeout=settings.HEALTH_TIMEOUT_S, retries=False)
    if w3.eth.chain_id != settings.CHAIN_ID:
        raise RuntimeError(f"the node is chain {w3.eth.chain_id}, not {settings.CHAIN_ID}")
    address = registry_address()
    if not w3.eth.get_code(Web3.to_checksum_address(address)):
        raise RuntimeError(f"no registry contract at {address}")
    return {"chain_id": settings.CHAIN_ID, "registry": address, "block": w3.eth.block_number,
            "embedded": settings.EMBEDDED_CHAIN}


# Checked on the request's own thread (Django's connections are per thread).
LOCAL_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {"database": _database}
# Checked side by side, each within HEALTH_TIMEOUT_S.
REMOTE_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "redis": _redis, "workers": _workers, "chain": _chain,
}


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        report = {"status": "up", **check()}
    except Exception as exc:  # every failure is a reportable "down", never a 500
        report = {"status": "down", "error": f"{type(exc).__name__}: {exc}"}
    report["ms"] = round((time.monotonic() - started) * 1000, 1)
    return report


def health_report() -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {}
    pool = ThreadPoolExecutor(max_workers=len(REMOTE_CHECKS), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(_timed, check) for name, check in REMOTE_CHECKS.items()}
        for name, check in LOCAL_CHECKS.items():
            report[name] = _timed(check)
        deadline = time.monotonic() + settings.HEALTH_TIMEOUT_S + 1.0  # (the ping's own second)
        for name, future in futures.items():
            try:
                report[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                report[name] = {"status": "down", "error": f"no answer within {settings.HEALTH_TIMEOUT_S} s",
                                "ms": settings.HEALTH_TIMEOUT_S * 1000}
    finally:
        pool.shutdown(wait=False)  # a check past its deadline ends on its own timeouts
    report = {name: report[name] for name in [*LOCAL_CHECKS, *REMOTE_CHECKS]}
    return all(part["status"] == "up" for part in report.values()), report


def may_see_details(request: HttpRequest) -> bool:
    if getattr(request.user, "is_staff", False):
        return True
    token = settings.HEALTH_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def _cached_report() -> tuple[bool, dict[str, Any]]:
    try:
        cached = django_cache.get(REPORT_KEY)
    except Exception:  # Redis down: build it (and report Redis down)
        cached = None
    if cached is not None:
        return cached
    healthy, report = health_report()
    with suppress(Exception):
        django_cache.set(REPORT_KEY, (healthy, report), settings.HEALTH_CACHE_S)
    return healthy, report


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    if not may_see_details(request):
        return JsonResponse(error_body("forbidden", _(
            "The detailed health report is for staff and monitors holding the health token; "
            "load balancers use /readyz.")), status=403)
    healthy, report = _cached_report()
    return JsonResponse({"status": "up" if healthy else "down", "checks": report},
                        status=200 if healthy else 503)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Can this process serve requests? Its database and Redis answer. Names no host or error."""
    down = [name for name, check in {"database": _database, "redis": _redis}.items()
            if _timed(check)["status"] != "up"]
    if down:
        return JsonResponse({"status": "down", "down": down}, status=503)
    return JsonResponse({"status": "up"})


def livez(request: HttpRequest) -> JsonResponse:
    """The web process answers: for supervisors and load balancers, checks nothing else."""
    return JsonResponse({"status": "up"})
