"""Writes for rights: registering works on the chain through the outbox."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from rights.keys import platform_account
from rights.models import Batch, ChainTx, Work, WorkStatus


def metadata_uri(work: Work) -> str:
    """Where the work's metadata (title, licence text, fingerprints, owners) is served."""
    return settings.SITE_URL + reverse("rights:metadata", kwargs={"work_id": work.public_id})


def _enqueue(*, key: str, signer: str, function: str, args: list, work: Work | None = None,
             batch: Batch | None = None) -> ChainTx:
    """The outbox row for `key`, created once however often (and however concurrently) asked."""
    from rights.tasks import chain_send

    try:
        with transaction.atomic():
            tx, created = ChainTx.objects.get_or_create(
                key=key, defaults={"signer": signer, "function": function, "args": args, "work": work,
                                   "batch": batch})
    except IntegrityError:  # created by a concurrent request between the get and the create
        tx, created = ChainTx.objects.get(key=key), False
    if created:
        transaction.on_commit(lambda: chain_send.delay(signer=signer), robust=True)
    return tx


@transaction.atomic
def registration_submit(*, work: Work) -> ChainTx:
    """Queue the work's registration: its content hash, ISCC code, metadata URI and owners with
    their shares, sent by the platform's key. Asking again returns the same transaction."""
    work = Work.objects.select_for_update().get(pk=work.pk)
    owners = list(work.owners.order_by("position", "id"))
    tx = _enqueue(key=f"register:{work.sha256}", signer=platform_account().address, function="register",
                  args=[f"0x{work.sha256}", work.iscc, metadata_uri(work), [o.address for o in owners],
                        [o.bps for o in owners]], work=work)
    if work.status in (WorkStatus.DRAFT, WorkStatus.CONFIRMING):
        work.status = WorkStatus.QUEUED
        work.save(update_fields=["status"])
    return tx


def batch_uri(batch: Batch) -> str:
    """Where the batch's works and proofs are listed."""
    return settings.SITE_URL + reverse("rights:batch", kwargs={"root": batch.root})


def anchor_submit(*, batch: Batch) -> ChainTx:
    """Queue the transaction that anchors the batch's Merkle root."""
    return _enqueue(key=f"anchor:{batch.root}", signer=platform_account().address, function="anchor",
                    args=[batch.root, batch.count, batch_uri(batch)], batch=batch)
