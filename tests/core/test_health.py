import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from core import health
from tests.rights.conftest import anvil, platform_chain  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _get() -> tuple[int, dict]:
    response = Client().get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.fixture
def a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend one Celery worker answers the ping."""
    monkeypatch.setattr(health.celery_app.control, "ping",
                        lambda timeout: [{"celery@gpu-1": {"ok": "pong"}}])


def test_healthz_without_a_worker_is_503_with_workers_down() -> None:
    status, body = _get()
    assert status == 503
    assert body["status"] == "down"
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "workers", "chain"}
    assert checks["database"]["status"] == "up"
    assert checks["database"]["vendor"] == connection.vendor
    assert checks["redis"]["status"] == "up"
    assert checks["redis"]["embedded"] is settings.EMBEDDED_REDIS
    assert checks["workers"]["status"] == "down"
    assert "no Celery worker" in checks["workers"]["error"]
    for part in checks.values():
        assert part["ms"] >= 0


@pytest.mark.usefixtures("platform_chain")
def test_healthz_is_200_when_every_part_is_up(a_worker: None) -> None:
    status, body = _get()
    assert status == 200
    assert body["status"] == "up"
    assert {part["status"] for part in body["checks"].values()} == {"up"}
    assert body["checks"]["workers"]["workers"] == ["celery@gpu-1"]


def test_healthz_reports_redis_down(a_worker: None, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    status, body = _get()
    assert status == 503
    assert body["checks"]["redis"]["status"] == "down"
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["workers"]["status"] == "up"


def test_healthz_reports_the_database_down(a_worker: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def cursor(self) -> None:
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Broken())
    status, body = _get()
    assert status == 503
    assert body["checks"]["database"] == {
        "status": "down", "error": "OperationalError: connection refused",
        "ms": body["checks"]["database"]["ms"]}
    assert body["checks"]["redis"]["status"] == "up"


def test_healthz_reports_the_chain_down(a_worker: None, settings) -> None:
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens there
    status, body = _get()
    assert status == 503 and body["checks"]["chain"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "up"
