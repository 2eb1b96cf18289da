"""Webhooks: a job that succeeds or fails is POSTed to its requester's URLs, signed.

Signature header, as Stripe-style receivers expect: `Storyloom-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. A delivery that gets no
2xx answer is retried with exponential backoff by Celery (generation.tasks.webhook_deliver).
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound, ValidationFailed
from generation.models import Asset, Job, JobStatus, Webhook

EVENTS = {JobStatus.SUCCEEDED: "job.succeeded", JobStatus.FAILED: "job.failed"}
TIMEOUT_S = 10
MAX_PER_USER = 10


def webhook_create(*, user: User, url: str) -> Webhook:
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValidationFailed(_("Give an http or https URL."),
                               fields={"url": [_("An http:// or https:// address of up to 500 characters.")]})
    if Webhook.objects.filter(user=user).count() >= MAX_PER_USER:
        raise ValidationFailed(_("At most %(count)s webhooks.") % {"count": MAX_PER_USER},
                               fields={"url": [_("Delete one first.")]})
    return Webhook.objects.create(user=user, url=url)


def webhook_delete(*, user: User, webhook_id: int) -> None:
    deleted, _count = Webhook.objects.filter(user=user, pk=webhook_id).delete()
    if not deleted:
        raise NotFound(_("No such webhook."))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(job: Job) -> dict[str, Any]:
    asset = Asset.objects.filter(job=job, role="output").first()
    data: dict[str, Any] = {"id": job.public_id, "project": job.project_id, "status": job.status,
                            "kind": job.kind, "preset": job.preset, "prompt": job.prompt, "seed": job.seed,
                            "error": job.error, "asset": None}
    if asset is not None:
        data["asset"] = {name: settings.SITE_URL + getattr(asset, name).url
                         for name in ("file", "poster", "thumbnail") if getattr(asset, name)}
        data["asset"]["sha256"] = asset.sha256
    return {"id": f"evt_{uuid.uuid4().hex}", "type": EVENTS[JobStatus(job.status)],
            "created": int(time.time()), "data": data}


def webhooks_notify(job: Job) -> None:
    """Queue a delivery to each of the requester's webhooks (after the job's state commits)."""
    if job.status not in EVENTS or job.requester_id is None:
        return
    from generation.tasks import webhook_deliver

    body = json.dumps(event_body(job))
    webhook_ids = list(Webhook.objects.filter(user_id=job.requester_id).values_list("pk", flat=True))

    def queue() -> None:
        for webhook_id in webhook_ids:
            webhook_deliver.delay(webhook_id=webhook_id, body=body)

    if webhook_ids:
        transaction.on_commit(queue, robust=True)


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the delivery is retried."""


def deliver(*, webhook_id: int, body: str) -> int | None:
    """POST one event; returns the receiver's status (None if the webhook is gone)."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        return None
    payload = body.encode()
    event = json.loads(body)
    request = urllib.request.Request(webhook.url, data=payload, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Storyloom-Webhooks/1",
        "Storyloom-Event": event["type"], "Storyloom-Delivery": event["id"],
        "Storyloom-Signature": signature(webhook.secret, int(time.time()), payload)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{webhook.url} answered {exc.code}") from None
    except OSError as exc:
        raise DeliveryFailed(f"{webhook.url}: {exc}") from None
