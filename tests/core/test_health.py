import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from core import health
from tests.core.helpers import MONITOR_TOKEN
from tests.servers import StalledNode

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monitor_token")]


def _get() -> tuple[int, dict]:
    response = Client().get("/healthz", HTTP_AUTHORIZATION=f"Bearer {MONITOR_TOKEN}")
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


# --- who sees what, and what it costs ----------------------------------------------------------


def test_the_detailed_report_is_for_staff_and_the_monitors_token(a_worker: None) -> None:
    from accounts.models import User

    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": MONITOR_TOKEN}):
        response = Client().get("/healthz", **headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
        assert "workers" not in response.content.decode() and "celery@" not in response.content.decode()
    person = Client()
    person.force_login(User.objects.create_user("pat", "pat@example.org", "pw"))
    assert person.get("/healthz").status_code == 403
    staff = Client()
    staff.force_login(User.objects.create_user("op", "op@example.org", "pw", is_staff=True))
    assert "workers" in staff.get("/healthz").json()["checks"]


def test_with_no_token_set_only_staff_see_the_report(settings) -> None:
    settings.HEALTH_TOKEN = ""
    assert Client().get("/healthz", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_report_is_built_once_per_cache_period(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.HEALTH_CACHE_S = 60
    pings: list[float] = []

    def ping(timeout: float) -> list[dict]:
        pings.append(timeout)
        return []

    monkeypatch.setattr(health.celery_app.control, "ping", ping)
    for _ in range(5):
        _get()
    assert len(pings) == 1


def test_a_stalled_chain_node_is_down_within_the_checks_deadline(a_worker: None, settings) -> None:
    node = StalledNode()
    settings.CHAIN_RPC_URL, settings.HEALTH_TIMEOUT_S = node.url, 0.5
    try:
        status, body = _get()
        assert status == 503 and body["checks"]["chain"]["status"] == "down"
        assert len(node.connections) == 1  # one request timed out; web3's retries are off
    finally:
        node.close()


def test_readyz_is_anonymous_cheap_and_names_nothing_inside(settings) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "up"}
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "down", "down": ["redis"]}
