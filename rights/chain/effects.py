"""What the outbox's transactions mean for the platform's records, before and after the chain.

Before: calls that depend on a work's current owners (transfers, licences) take them from the
database when they are sent, not when they were asked for, and wait while another change of the
same work is unconfirmed, so they never carry a stale state.
After: a confirmed transaction updates the work, its batch, its owners (from the receipt's own
OwnersChanged event) or its licence; a failed one says why.
"""

from datetime import datetime
from typing import Any

from django.urls import reverse
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from inbox.services import NotificationKind, notification_send
from rights.chain import sales
from rights.chain.sales import CannotSend as CannotSend
from rights.events import works_announce
from rights.models import (
    Batch,
    BatchStatus,
    ChainContract,
    ChainTx,
    Custody,
    Licence,
    LicenceStatus,
    Owner,
    TxStatus,
    Work,
    WorkStatus,
)

STATEFUL = {"transferShare", "grantLicence", "revokeLicence"}  # (contentHash, owners, shares, ...)


def prepared_args(tx: ChainTx, contract: Contract) -> list[Any] | None:
    """The call's arguments as they must be sent now; None when it has to wait its turn; raises
    CannotSend when it never can be."""
    if tx.contract != ChainContract.REGISTRY:
        return sales.prepared_args(tx, contract)
    if tx.function not in STATEFUL or tx.args[1] is not None or tx.work_id is None:
        return list(tx.args)
    if ChainTx.objects.filter(work_id=tx.work_id, status=TxStatus.SUBMITTED).exists():
        return None
    owners = list(Owner.objects.filter(work_id=tx.work_id).order_by("position", "id"))
    return [tx.args[0], [o.address for o in owners], [o.bps for o in owners], *tx.args[3:]]


def _affected(tx: ChainTx) -> list[int]:
    if tx.batch_id:
        return list(Work.objects.filter(batch_entry__batch_id=tx.batch_id).values_list("pk", flat=True))
    return [tx.work_id] if tx.work_id else []


def confirmed(tx: ChainTx, receipt: TxReceipt, contract: Contract, *, block: int, mined_at: datetime) -> None:
    if tx.contract != ChainContract.REGISTRY:
        sales.confirmed(tx, receipt, contract)
        return
    _confirmed(tx, receipt, contract, block=block, mined_at=mined_at)
    if tx.function == "register" and tx.work_id:
        sales.remix_source_record(work=Work.objects.select_related("asset__parent", "asset__job").get(
            pk=tx.work_id))
    works_announce(_affected(tx))
    _registration_notify(tx, NotificationKind.REGISTRATION_CONFIRMED)


def _confirmed(tx: ChainTx, receipt: TxReceipt, contract: Contract, *, block: int,
               mined_at: datetime) -> None:
    if tx.function == "register" and tx.work_id:
        Work.objects.filter(pk=tx.work_id).update(status=WorkStatus.REGISTERED, block_number=block,
                                                  registered_at=mined_at, registrant=tx.signer)
    elif tx.function == "anchor" and tx.batch_id:
        Batch.objects.filter(pk=tx.batch_id).update(status=BatchStatus.ANCHORED, block_number=block,
                                                    anchored_at=mined_at)
        Work.objects.filter(batch_entry__batch_id=tx.batch_id).update(
            status=WorkStatus.REGISTERED, block_number=block, registered_at=mined_at, registrant=tx.signer)
    elif tx.function == "transferShare" and tx.work_id:
        for event in contract.events.OwnersChanged().process_receipt(receipt, errors=DISCARD):
            owners_replace(tx.work_id, event["args"]["owners"], event["args"]["shares"],
                           users={tx.meta.get("to_address", ""): tx.meta.get("to_user")})
    elif tx.function == "grantLicence" and "licence" in tx.meta:
        Licence.objects.filter(pk=tx.meta["licence"]).update(status=LicenceStatus.ACTIVE)
    elif tx.function == "revokeLicence" and "licence" in tx.meta:
        Licence.objects.filter(pk=tx.meta["licence"]).update(status=LicenceStatus.REVOKED)


def failed(tx: ChainTx, error: str) -> None:
    if tx.contract != ChainContract.REGISTRY:
        sales.failed(tx, error)
        return
    _failed(tx, error)
    works_announce(_affected(tx))
    _registration_notify(tx, NotificationKind.REGISTRATION_FAILED)


def _registration_notify(tx: ChainTx, kind: str) -> None:
    """A registration (its own or its batch's anchor) is final: tell each work's owners and its
    maker, in their inbox (after commit)."""
    if tx.function not in ("register", "anchor"):
        return
    for work in Work.objects.filter(pk__in=_affected(tx)).prefetch_related("owners"):
        people = {owner.user_id for owner in work.owners.all() if owner.user_id} | (
            {work.created_by_id} if work.created_by_id else set())
        notification_send(recipients=sorted(people), kind=kind, params={"work": work.title},
                          link=reverse("works:detail", args=[work.public_id]))


def _failed(tx: ChainTx, error: str) -> None:
    if tx.function == "register" and tx.work_id:
        Work.objects.filter(pk=tx.work_id).update(status=WorkStatus.FAILED, error=error)
    elif tx.function == "anchor" and tx.batch_id:
        Batch.objects.filter(pk=tx.batch_id).update(status=BatchStatus.FAILED)
        Work.objects.filter(batch_entry__batch_id=tx.batch_id).update(status=WorkStatus.FAILED, error=error)
    elif tx.function == "grantLicence" and "licence" in tx.meta:
        Licence.objects.filter(pk=tx.meta["licence"]).update(status=LicenceStatus.FAILED)


def owners_replace(work_id: int, owners: list[str], shares: list[int], *,
                   users: dict[str, int | None] | None = None) -> None:
    """Make the work's owners what the chain says, keeping who is who (by address)."""
    custodial = Custody.objects.filter(address__in=owners)
    known: dict[str, int | None] = {c.address.lower(): c.user_id for c in custodial}
    known.update({o.address.lower(): o.user_id for o in Owner.objects.filter(work_id=work_id)})
    known.update({address.lower(): user for address, user in (users or {}).items() if address})
    confirmed_at = {o.address.lower(): o.confirmed_at for o in Owner.objects.filter(work_id=work_id)}
    Owner.objects.filter(work_id=work_id).delete()
    Owner.objects.bulk_create([
        Owner(work_id=work_id, address=address, bps=bps, position=position,
              user_id=known.get(address.lower()), confirmed_at=confirmed_at.get(address.lower()))
        for position, (address, bps) in enumerate(zip(owners, shares, strict=True))])
