"""`/metrics`: the Prometheus exposition, for staff and monitors only, with every family an
operator watches, each moved by what it measures."""

import asyncio
import urllib.request

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import User
from generation.metrics import job_measured
from kernel.metrics import serve
from rights.models import ChainTx, TxStatus
from tests.collab.test_consumer import an_edit, joined, socket, update_message
from tests.core.helpers import MONITOR_TOKEN
from tests.projects.factories import UserFactory, project_with_team
from tests.servers import free_port
from tests.ws import headers, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("monitor_token")]


def scrape() -> dict[str, list]:
    """Family name -> its samples (name, labels, value)."""
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {MONITOR_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: [(s.name, s.labels, s.value) for s in family.samples]
            for family in text_string_to_metric_families(response.content.decode())}


def value(families: dict[str, list], sample: str, **labels: str) -> float:
    return sum(v for samples in families.values() for name, have, v in samples
               if name == sample and all(have.get(k) == want for k, want in labels.items()))


def test_metrics_are_for_staff_and_monitors_only():
    anonymous = Client().get("/metrics")
    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "forbidden"
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    person = Client()
    person.force_login(UserFactory())
    assert person.get("/metrics").status_code == 403
    staff = Client()
    staff.force_login(User.objects.create_user("operator", "op@example.com", "pw", is_staff=True))
    assert staff.get("/metrics").status_code == 200


def test_request_latency_is_measured_by_route():
    Client().get("/api/v1/gallery/feed")
    families = scrape()
    assert value(families, "django_http_requests_latency_seconds_by_view_method_count",
                 view="api-gallery-feed", method="GET") >= 1
    assert value(families, "storyloom_feed_page_seconds_count", viewer="anonymous") >= 1


def test_the_backlogs_are_read_at_scrape_time():
    ChainTx.objects.create(key="register:metrics-a", signer="0x" + "1" * 40, function="register", args=[])
    ChainTx.objects.create(key="register:metrics-b", signer="0x" + "1" * 40, function="register", args=[],
                           status=TxStatus.CONFIRMED)
    families = scrape()
    assert value(families, "storyloom_chain_outbox_transactions", status="pending") == 1
    assert value(families, "storyloom_chain_outbox_transactions", status="confirmed") == 1
    assert value(families, "storyloom_chain_outbox_oldest_waiting_seconds") > 0
    assert {labels["queue"] for _, labels, _ in families["storyloom_celery_queue_depth"]} == {
        "chain", "default", "gpu", "webhooks"}
    assert value(families, "storyloom_recommender_model_info", version="none") == 1


def test_sockets_rooms_and_the_relay_are_counted():
    team = project_with_team()
    owner, editor = headers(team.owner), headers(team.editor)
    before = scrape()

    async def scenario() -> dict[str, list]:
        first, second = socket(team.project.pk, owner), socket(team.project.pk, editor)
        await joined(first)
        await joined(second)
        await first.send_to(bytes_data=update_message(an_edit()))
        await second.receive_from(timeout=5)  # relayed to the other editor
        during = await asyncio.to_thread(scrape)
        await first.disconnect()
        await second.disconnect()
        return during

    during = run(scenario())
    after = scrape()
    def sockets(families: dict[str, list]) -> float:
        return value(families, "storyloom_websocket_connections", socket="StoryboardConsumer")

    assert sockets(during) - sockets(before) == 2
    assert sockets(after) == sockets(before)
    assert value(during, "storyloom_collab_rooms") - value(before, "storyloom_collab_rooms") == 1
    stored = "storyloom_collab_updates_stored_total"
    assert value(during, stored) - value(before, stored) == 1
    relayed = "storyloom_collab_updates_relayed_total"
    assert value(during, relayed) - value(before, relayed) == 2  # to both sockets, the author's included
    lag = "storyloom_collab_relay_lag_seconds_count"
    assert value(during, lag) - value(before, lag) == 1


def test_render_phases_are_measured_by_preset():
    job_measured(preset="tiny-ltx-video", status="succeeded",
                 timings={"queue_s": 0.5, "load_s": 1.0, "render_s": 2.0, "store_s": 0.25})
    families = scrape()
    for phase in ("queue", "load", "render", "store"):
        assert value(families, "storyloom_job_phase_seconds_count", preset="tiny-ltx-video", phase=phase) >= 1
    assert value(families, "storyloom_jobs_finished_total", preset="tiny-ltx-video", status="succeeded") >= 1


def test_every_family_an_operator_watches_is_exposed():
    families = scrape()
    for name in ("django_http_requests_latency_seconds_by_view_method", "storyloom_websocket_connections",
                 "storyloom_collab_rooms", "storyloom_collab_updates_stored",
                 "storyloom_collab_updates_relayed",
                 "storyloom_collab_relay_lag_seconds", "storyloom_celery_queue_depth",
                 "storyloom_job_phase_seconds", "storyloom_jobs_finished", "storyloom_gpu_memory_bytes",
                 "storyloom_chain_outbox_transactions", "storyloom_chain_outbox_oldest_waiting_seconds",
                 "storyloom_chain_confirmation_seconds", "storyloom_chain_indexer_lag_blocks",
                 "storyloom_feed_page_seconds", "storyloom_recommender_model_info"):
        assert name in families, name


def test_a_worker_in_a_container_of_its_own_serves_its_metrics_on_its_port():
    """(WORKER_METRICS_PORT: deploy/compose.yaml's workers, scraped on their private network.)"""
    port = free_port()
    serve(port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        families = {f.name for f in text_string_to_metric_families(response.read().decode())}
    assert {"storyloom_job_phase_seconds", "storyloom_gpu_memory_bytes"} <= families
