"""Webhooks: a job that succeeds or fails is POSTed to its requester's URLs, signed.

Signature header, as Stripe-style receivers expect: `Storyloom-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>`. A delivery that gets no
2xx answer is retried with exponential backoff by Celery (generation.tasks.webhook_deliver, on
the `webhooks` queue: a slow receiver holds a webhooks worker, never a render or a signer).

What a receiver can cost is bounded: one deadline for the whole delivery (WEBHOOK_DEADLINE_S,
however slowly the answer comes), at most WEBHOOK_RESPONSE_MAX_BYTES read of an answer, no
redirects (a 3xx is a failed delivery), http and https only, and the connection made to an address
checked at that very delivery (never the platform's own network).
"""


from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import ssl
import time
import urllib.parse
import uuid
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

import certifi
import httpx
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from generation.models import Asset, Job, JobStatus, Webhook
from kernel.errors import NotFound, ValidationFailed
from kernel.tasks import enqueue

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
EVENTS = {JobStatus.SUCCEEDED: "job.succeeded", JobStatus.FAILED: "job.failed"}
MAX_PER_USER = 10
SCHEMES = ("http", "https")


class Undeliverable(Exception):
    """The webhook's URL cannot be delivered to as it stands; retrying will not change that."""


class PrivateAddress(Undeliverable):
    """The URL leads to a loopback, private, link-local or otherwise internal address."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def _refuse_internal(host: str, addresses: Iterable[str]) -> None:
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    internal = sorted(a for a in addresses if not _public(a))
    if internal:
        raise PrivateAddress(f"{host} resolves to an internal address ({', '.join(internal)})")


def address_check(host: str, port: int) -> None:
    """Refuse hosts that resolve to internal addresses (the platform's own network), unless
    WEBHOOK_ALLOW_PRIVATE (development, tests) says otherwise."""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise PrivateAddress(f"{host} does not resolve: {exc}") from None
    _refuse_internal(host, addresses)


def webhook_create(*, user: User, url: str) -> Webhook:
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname or len(url) > 500:
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
    body = json.dumps(event_body(job))
    webhook_ids = list(Webhook.objects.filter(user_id=job.requester_id).values_list("pk", flat=True))

    def queue() -> None:
        for webhook_id in webhook_ids:
            enqueue("generation.tasks.webhook_deliver", webhook_id=webhook_id, body=body)

    if webhook_ids:
        transaction.on_commit(queue, robust=True)


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx in time; the delivery is retried."""


def deliver(*, webhook_id: int, body: str) -> int | None:
    """POST one event; returns the receiver's 2xx status, or None when the webhook is gone or
    its URL cannot be delivered to (logged, not retried). Raises DeliveryFailed (retried) for
    anything else: no complete answer within WEBHOOK_DEADLINE_S, another status, a redirect."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        return None
    payload = body.encode()
    event = json.loads(body)
    headers = {"Content-Type": "application/json", "User-Agent": "Storyloom-Webhooks/1",
               "Storyloom-Event": event["type"], "Storyloom-Delivery": event["id"],
               "Storyloom-Signature": signature(webhook.secret, int(time.time()), payload)}
    try:
        return _run(_within_deadline(webhook.url, _post(webhook.url, payload, headers)))
    except Undeliverable as exc:
        log.warning("webhook %s not delivered: %s", webhook.pk, exc)
        return None


def _run(coroutine: Coroutine[Any, Any, int]) -> int:
    """Run the delivery on an event loop of its own. Closing the loop does not wait for a name
    lookup still running in its thread pool (asyncio.run would: past the deadline)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _within_deadline(url: str, delivery: Coroutine[Any, Any, int]) -> int:
    """httpx's timeouts bound each connect, write and read; a receiver sending a byte now and
    then passes every one of them. This bounds the whole delivery."""
    deadline_s = settings.WEBHOOK_DEADLINE_S
    try:
        async with asyncio.timeout(deadline_s):
            return await delivery
    except TimeoutError:
        raise DeliveryFailed(f"{url}: no complete answer within {deadline_s} s") from None


async def _post(url: str, payload: bytes, headers: dict[str, str]) -> int:
    """POST to the URL's host at an address checked now, trying each in turn; no redirects."""
    target = _target(url)
    host = target.raw_host.decode("ascii")
    addresses = await _addresses(host, target.port or (443 if target.scheme == "https" else 80))
    # The request names the host (Host header, TLS server name and certificate check) while
    # the connection goes to the address that was checked: a name resolving elsewhere by the
    # time of the connection (DNS rebinding) cannot lead inside.
    headers = {**headers, "Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(settings.WEBHOOK_DEADLINE_S)
    async with httpx.AsyncClient(verify=_tls(), trust_env=False, follow_redirects=False,
                                 timeout=timeout) as client:
        failure: Exception | None = None
        for address in addresses:
            request = client.build_request("POST", target.copy_with(host=address), content=payload,
                                           headers=headers, extensions=extensions)
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc
                continue
            except httpx.HTTPError as exc:
                raise DeliveryFailed(f"{url}: {exc}") from None
            return await _outcome(url, response)
        raise DeliveryFailed(f"{url}: {failure}")


def _target(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Undeliverable(f"{url!r} is not a valid URL: {exc}") from None
    if target.scheme not in SCHEMES or not target.raw_host:
        raise Undeliverable(f"{url!r} is not an http or https URL")
    return target


async def _addresses(host: str, port: int) -> list[str]:
    """The host's addresses, each checked (a name that cannot be resolved now may be later)."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryFailed(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    _refuse_internal(host, addresses)
    return addresses


def _tls() -> ssl.SSLContext:
    """The authorities httpx trusts by default (certifi's, or SSL_CERT_FILE's), without the rest
    of the environment it would read: a proxy would connect for us, past the address check."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or certifi.where())


async def _outcome(url: str, response: httpx.Response) -> int:
    """The status of a 2xx answer (its body unread); DeliveryFailed with an excerpt of any other."""
    try:
        if response.is_success:
            return response.status_code
        excerpt = await _excerpt(response)
    finally:
        await response.aclose()
    raise DeliveryFailed(f"{url} answered {response.status_code}: {excerpt!r}")


async def _excerpt(response: httpx.Response) -> str:
    """At most WEBHOOK_RESPONSE_MAX_BYTES of the body, as sent (never decompressed)."""
    limit = settings.WEBHOOK_RESPONSE_MAX_BYTES
    data = b""
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit].decode(errors="replace")
