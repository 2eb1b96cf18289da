"""Webhooks: a job that succeeds or fails is POSTed to its requester's URLs, signed.

Signature header, as Stripe-style receivers expect: `Storyloom-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. A delivery that gets no
2xx answer is retried with exponential backoff by Celery (generation.tasks.webhook_deliver).
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import NotFound, ValidationFailed
from generation.models import Asset, Job, JobStatus, Webhook

log = logging.getLogger(__name__)
EVENTS = {JobStatus.SUCCEEDED: "job.succeeded", JobStatus.FAILED: "job.failed"}
TIMEOUT_S = 10
MAX_PER_USER = 10


class PrivateAddress(Exception):
    """The URL leads to a loopback, private, link-local or otherwise internal address."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def address_check(host: str, port: int) -> None:
    """Refuse hosts that resolve to internal addresses (the platform's own network), unless
    WEBHOOK_ALLOW_PRIVATE (development, tests) says otherwise."""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise PrivateAddress(f"{host} does not resolve: {exc}") from None
    internal = sorted(a for a in addresses if not _public(str(a)))
    if internal:
        raise PrivateAddress(f"{host} resolves to an internal address ({', '.join(map(str, internal))})")


def webhook_create(*, user: User, url: str) -> Webhook:
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        raise ValidationFailed(_("Give an http or https URL."),
                               fields={"url": [_("An http:// or https:// address of up to 500 characters.")]})
    try:
        address_check(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except PrivateAddress:
        raise ValidationFailed(_("Give a public address."), fields={"url": [
            _("%(host)s is not reachable from the internet (a private or local address, or no such "
              "host).") % {"host": parts.hostname}]}) from None
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
    if asset is not None:  # (fetched with an API token of a project member)
        data["asset"] = {name: settings.SITE_URL + url for name in ("file", "poster", "thumbnail")
                         if (url := asset.media_url(name))}
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


class _Checked:
    """Connections that check the address they reached, so a name that resolved to a public
    address when the webhook was made, or a redirect, cannot lead into the platform's network."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        host, port = self.sock.getpeername()[:2]  # type: ignore[attr-defined]
        try:
            address_check(host, port)
        except PrivateAddress:
            self.sock.close()  # type: ignore[attr-defined]
            raise


class _CheckedHTTP(_Checked, http.client.HTTPConnection):
    pass


class _CheckedHTTPS(_Checked, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_CheckedHTTPS, req)


_opener = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)


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
        with _opener.open(request, timeout=TIMEOUT_S) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{webhook.url} answered {exc.code}") from None
    except (PrivateAddress, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, PrivateAddress):  # not retried: it will not become public
            log.warning("webhook %s not delivered: %s", webhook.pk, reason)
            return None
        raise DeliveryFailed(f"{webhook.url}: {reason}") from None
