"""Webhooks: registered through the API, told about finished jobs with a signed POST to a real
HTTP receiver, retried with backoff while the receiver fails."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.celery import app
from generation.execution import job_execute
from generation.models import Webhook
from generation.services import job_submit
from generation.tasks import webhook_deliver
from generation.webhooks import DeliveryFailed, deliver
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint that records what it gets and answers the statuses queued."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


def test_register_list_and_delete_through_the_api():
    team = project_with_team()
    api = APIClient()
    api.force_login(team.editor)
    created = api.post("/api/v1/webhooks", {"url": "https://example.org/hooks/storyloom"}, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = api.get("/api/v1/webhooks").json()["results"]
    assert [w["url"] for w in listed] == ["https://example.org/hooks/storyloom"] and "secret" not in listed[0]
    bad = api.post("/api/v1/webhooks", {"url": "ftp://example.org"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()["error"]["fields"]
    other = APIClient()
    other.force_login(team.viewer)
    assert other.delete(f"/api/v1/webhooks/{created.json()['id']}").status_code == 404  # not theirs
    assert api.delete(f"/api/v1/webhooks/{created.json()['id']}").status_code == 204
    assert not Webhook.objects.exists()


def test_a_finished_job_is_posted_signed_to_its_requesters_webhooks(
        receiver, django_capture_on_commit_callbacks):
    team = project_with_team()
    webhook = Webhook.objects.create(user=team.editor, url=receiver.url)
    Webhook.objects.create(user=team.owner, url=receiver.url + "/owner")  # someone else's: not told
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a lantern", width=64, height=64, steps=2)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job_execute(job.pk)
    finally:
        app.conf.task_always_eager = False
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    event = json.loads(body)
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == (
        "job.succeeded", job.public_id, "succeeded")
    asset = job.assets.get()
    assert event["data"]["asset"]["file"] == (
        f"{settings.SITE_URL}/api/v1/projects/{team.project.pk}/assets/{asset.pk}/file")
    assert headers["Storyloom-Event"] == "job.succeeded"
    timestamp, v1 = (part.split("=", 1)[1] for part in headers["Storyloom-Signature"].split(","))
    expected = hmac.new(webhook.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)


def test_a_failing_receiver_gets_the_delivery_again_with_backoff(receiver):
    team = project_with_team()
    webhook = Webhook.objects.create(user=team.editor, url=receiver.url)
    body = json.dumps({"id": "evt_1", "type": "job.failed", "created": 0, "data": {}})
    receiver.statuses = [503]
    with pytest.raises(DeliveryFailed, match="answered 503"):
        deliver(webhook_id=webhook.pk, body=body)
    assert deliver(webhook_id=webhook.pk, body=body) == 200  # the retry
    assert [json.loads(b)["id"] for _, b in receiver.requests] == ["evt_1", "evt_1"]
    assert DeliveryFailed in webhook_deliver.autoretry_for
    assert webhook_deliver.retry_backoff and webhook_deliver.max_retries == 8
    assert app.amqp.router.route({}, webhook_deliver.name)["queue"].name == "webhooks"  # their own workers


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://0.0.0.0/"])
def test_webhooks_into_the_platforms_own_network_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    team = project_with_team()
    api = APIClient()
    api.force_login(team.editor)
    response = api.post("/api/v1/webhooks", {"url": url}, format="json")
    assert response.status_code == 400
    assert "not reachable from the internet" in response.json()["error"]["fields"]["url"][0]
    public = api.post("/api/v1/webhooks", {"url": "https://93.184.216.34/hook"}, format="json")
    assert public.status_code == 201


def test_a_delivery_that_would_reach_an_internal_address_is_dropped_not_retried(settings, receiver):
    team = project_with_team()
    webhook = Webhook.objects.create(user=team.editor, url=receiver.url)  # (as if it once resolved publicly)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert deliver(webhook_id=webhook.pk, body=json.dumps({"type": "job.succeeded", "id": "evt_1"})) is None
    assert receiver.requests == []
