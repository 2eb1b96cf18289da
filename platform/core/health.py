"""`/healthz`: is each part of the platform up? 200 only when all are."""

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from core.celery import app as celery_app
from core.redis_urls import for_redis_py


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _redis() -> dict[str, Any]:
    client = redis.Redis.from_url(for_redis_py(settings.REDIS_URL), socket_timeout=2,
                                  socket_connect_timeout=2)
    try:
        client.ping()
        return {"embedded": settings.EMBEDDED_REDIS}
    finally:
        client.close()


def _workers() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=1.0) or []
    names = sorted(name for reply in replies for name in reply)
    if not names:
        raise RuntimeError("no Celery worker answered within 1 s")
    return {"workers": names}


def _chain() -> dict[str, Any]:
    """The node answers, is the configured chain, and holds the registry."""
    from web3 import Web3

    from rights.chain import registry_address, web3

    w3 = web3(timeout=2)
    if w3.eth.chain_id != settings.CHAIN_ID:
        raise RuntimeError(f"the node is chain {w3.eth.chain_id}, not {settings.CHAIN_ID}")
    address = registry_address()
    if not w3.eth.get_code(Web3.to_checksum_address(address)):
        raise RuntimeError(f"no registry contract at {address}")
    return {"chain_id": settings.CHAIN_ID, "registry": address, "block": w3.eth.block_number,
            "embedded": settings.EMBEDDED_CHAIN}


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": _database, "redis": _redis, "workers": _workers, "chain": _chain,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            detail = check()
            report[name] = {"status": "up", **detail}
        except Exception as exc:  # every failure is a reportable "down", never a 500
            report[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"}
        report[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    healthy = all(part["status"] == "up" for part in report.values())
    return healthy, report


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse({"status": "up" if healthy else "down", "checks": report},
                        status=200 if healthy else 503)


def livez(request: HttpRequest) -> JsonResponse:
    """The web process answers: for supervisors and load balancers, checks nothing else."""
    return JsonResponse({"status": "up"})
