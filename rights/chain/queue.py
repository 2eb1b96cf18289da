"""The outbox's rows, created once per key however often (and however concurrently) they are asked
for; the `chain` queue's signer (rights.chain.outbox) sends them. Services queue their calls here, and
so does the outbox itself for the gas a custodial key needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from kernel.logs import request_id
from kernel.tasks import enqueue_on_commit
from rights.keys import platform_account
from rights.models import Batch, ChainContract, ChainTx, Work

if TYPE_CHECKING:
    from accounts.models import User


def enqueue(*, key: str, signer: str, function: str, args: list, work: Work | None = None,
            batch: Batch | None = None, signer_user: User | None = None, meta: dict | None = None,
            contract: str = ChainContract.REGISTRY, value: int = 0) -> ChainTx:
    """The outbox row for `key`, created once however often (and however concurrently) asked."""
    try:
        with transaction.atomic():
            tx, created = ChainTx.objects.get_or_create(
                key=key, defaults={"signer": signer, "function": function, "args": args, "work": work,
                                   "batch": batch, "signer_user": signer_user, "meta": meta or {},
                                   "request_id": request_id() or "", "contract": contract, "value": value})
    except IntegrityError:  # created by a concurrent request between the get and the create
        tx, created = ChainTx.objects.get(key=key), False
    if created:
        enqueue_on_commit("rights.tasks.chain_send", signer=signer)
    return tx


def fund_submit(*, address: str, wei: int, reason: str) -> ChainTx:
    """Pay gas money from the platform's key to a custodial address (once per call that needs it)."""
    return enqueue(key=f"fund:{reason}", signer=platform_account().address, function="fund",
                   args=[address, str(wei)])


