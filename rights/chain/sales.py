"""What the licensing contract's transactions mean for the platform's records (the registry's are
rights.chain.effects): the arguments that must be read when a call is sent, not when it was asked
for, and the offers, purchases and remixes a confirmed or failed call settles.

An offer's owners and their signatures, and a sale's lineage (the owners of the sold work and of
each source it pays upstream), are taken when the call is sent: a share transfer confirmed in
between would otherwise make the contract refuse it. A call waits while another change of a work
it names is unconfirmed, and a purchase in a stablecoin waits for its allowance to be mined.
"""

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from rights.chain import licensing as terms_code
from rights.chain.client import licensing_address
from rights.chain.contract import plain
from rights.chain.queue import enqueue
from rights.keys import platform_account, user_account, user_address
from rights.models import (
    ApprovalKind,
    ChainContract,
    ChainTx,
    Offer,
    OfferApproval,
    OfferStatus,
    Owner,
    Payment,
    PaymentKind,
    Purchase,
    PurchaseStatus,
    TxStatus,
    Work,
)
from rights.shares import TOTAL_SHARES

APPROVAL_S = 7 * 86_400  # how long owners' signatures stay valid
ZERO = "0x" + "00" * 32


class CannotSend(Exception):
    """The call can never be sent as asked (its reason is shown to those who asked)."""


def _busy(work_ids: list[int]) -> bool:
    return ChainTx.objects.filter(work_id__in=work_ids, status=TxStatus.SUBMITTED).exists()


def _holders(work: Work) -> tuple[list[str], list[int]]:
    owners = list(Owner.objects.filter(work=work).order_by("position", "id"))
    return [o.address for o in owners], [o.bps for o in owners]


def _signed(offer: Offer, kind: str, owners: list[str], shares: list[int]) -> list[str]:
    """One signature per owner, in the registry's order ("0x" for those who did not sign); refused
    when the signers no longer hold a majority (shares moved since they signed)."""
    by_address = {a.address.lower(): a.signature for a in offer.approvals.filter(kind=kind)}
    signatures = [by_address.get(owner.lower(), "0x") for owner in owners]
    approved = sum(share for share, signature in zip(shares, signatures, strict=True) if signature != "0x")
    if approved * 2 <= TOTAL_SHARES:
        raise CannotSend("The owners who approved no longer hold more than half of the shares.")
    return signatures


def terms_args(offer: Offer) -> list[Any]:
    """The contract's Terms struct for `offer`, as the outbox stores arguments."""
    return [f"0x{offer.work.sha256}", f"0x{offer.terms_sha256}", offer.token, int(offer.price),
            offer.max_quantity, offer.upstream_bps, offer.fee_bps, offer.commercial, offer.remix_allowed,
            offer.salt]


def prepared_args(tx: ChainTx, contract: Contract) -> list[Any] | None:
    """The licensing call's arguments as they must be sent now; None while it has to wait."""
    after = tx.meta.get("after")
    if after:
        first = ChainTx.objects.filter(key=after).values_list("status", flat=True).first()
        if first == TxStatus.FAILED:
            raise CannotSend("The payment's allowance failed.")
        if first != TxStatus.CONFIRMED:
            return None
    if tx.function in ("publishOffer", "closeOffer"):
        offer = Offer.objects.select_related("work").get(pk=tx.meta["offer"])
        if _busy([offer.work_id]):
            return None
        owners, shares = _holders(offer.work)
        if tx.function == "publishOffer":
            signatures = _signed(offer, ApprovalKind.PUBLISH, owners, shares)
            return [terms_args(offer), offer.deadline, [owners, shares], signatures]
        signatures = _signed(offer, ApprovalKind.CLOSE, owners, shares)
        return [int(offer.offer_id, 16), int(tx.meta["deadline"]), [owners, shares], signatures]
    if tx.function == "recordParent":
        offer = Offer.objects.get(pk=tx.meta["offer"])
        remix = Work.objects.get(pk=tx.work_id or 0)
        if _busy([remix.pk]):
            return None
        owners, shares = _holders(remix)
        lowered = [owner.lower() for owner in owners]
        if tx.meta["holder"].lower() not in lowered:
            raise CannotSend("The owner holding the source's licence no longer owns a share of the remix.")
        signatures = [tx.meta["signatures"].get(owner, "0x") for owner in lowered]
        return [f"0x{remix.sha256}", int(offer.offer_id, 16), lowered.index(tx.meta["holder"].lower()),
                tx.meta["deadline"], [owners, shares], signatures]
    if tx.function == "buy":
        offer_id = int(tx.args[0])
        hashes = [bytes(h).hex() for h in contract.functions.lineageOf(offer_id).call()]
        works = {w.sha256: w for w in Work.objects.filter(sha256__in=hashes)}
        if len(works) != len(set(hashes)):
            raise CannotSend("A work this sale pays upstream is not known to this platform.")
        if _busy([w.pk for w in works.values()]):
            return None
        return [offer_id, tx.args[1], [list(_holders(works[h])) for h in hashes]]
    return list(tx.args)


def confirmed(tx: ChainTx, receipt: TxReceipt, contract: Contract) -> None:
    if tx.function == "publishOffer":
        Offer.objects.filter(pk=tx.meta["offer"], status=OfferStatus.PUBLISHING).update(
            status=OfferStatus.ACTIVE, published_at=timezone.now())
    elif tx.function == "closeOffer":
        Offer.objects.filter(pk=tx.meta["offer"]).update(status=OfferStatus.CLOSED)
    elif tx.function == "recordParent":
        Work.objects.filter(pk=tx.work_id or 0).update(licensed_from_id=tx.meta["offer"])
    if tx.function in ("buy", "withdraw", "withdrawTo"):  # the earnings at once (the indexer agrees later)
        tx_hash, block = receipt["transactionHash"].to_0x_hex(), receipt["blockNumber"]
        for name in ("Credited", "Withdrawn"):
            for event in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD):
                args = {key: plain(value) for key, value in event["args"].items()}
                payment_record(name, args, tx_hash=tx_hash, log_index=event["logIndex"], block_number=block)
    if tx.function == "buy":
        for event in contract.events.LicencePurchased().process_receipt(receipt, errors=DISCARD):
            purchase_settle(offer_id=offer_id_hex(event["args"]["offerId"]), serial=event["args"]["serial"],
                            tx_hash=receipt["transactionHash"].to_0x_hex(), log_index=event["logIndex"],
                            block=receipt["blockNumber"], purchase_id=tx.meta.get("purchase"))


def failed(tx: ChainTx, error: str) -> None:
    if tx.function == "publishOffer":
        Offer.objects.filter(pk=tx.meta["offer"]).update(status=OfferStatus.FAILED, error=error)
    elif tx.function == "closeOffer":  # still on sale: the owners may ask again, afresh
        Offer.objects.filter(pk=tx.meta["offer"], status=OfferStatus.CLOSING).update(
            status=OfferStatus.ACTIVE, error=error)
        OfferApproval.objects.filter(offer_id=tx.meta["offer"], kind=ApprovalKind.CLOSE).delete()
    elif tx.function == "buy" or (tx.function == "approve" and tx.meta.get("purchase")):
        Purchase.objects.filter(pk=tx.meta["purchase"], status=PurchaseStatus.PENDING).update(
            status=PurchaseStatus.FAILED, error=error)


def payment_record(name: str, args: dict[str, Any], *, tx_hash: str, log_index: int,
                   block_number: int) -> None:
    """A Credited or Withdrawn event (its arguments as the indexer keeps them: bytes as 0x-hex) in
    the earnings ledger, once."""
    where = {"tx_hash": tx_hash, "log_index": log_index}
    if name == "Credited":
        content = args["contentHash"][2:] if args["contentHash"] != ZERO else ""
        Payment.objects.get_or_create(**where, defaults={
            "kind": PaymentKind.CREDIT, "payee": args["payee"], "token": args["token"],
            "amount": args["amount"], "content_hash": content, "offer_id": offer_id_hex(args["offerId"]),
            "block_number": block_number,
            "work": Work.objects.filter(sha256=content).first() if content else None})
    else:
        Payment.objects.get_or_create(**where, defaults={
            "kind": PaymentKind.WITHDRAWAL, "payee": args["payee"], "token": args["token"],
            "amount": args["amount"], "to": args["to"], "block_number": block_number})


def offer_id_hex(offer_id: int) -> str:
    return "0x" + offer_id.to_bytes(32, "big").hex()


def purchase_settle(*, offer_id: str, serial: int, tx_hash: str, log_index: int, block: int,
                    purchase_id: int | None = None, licensee: str = "", payer: str = "") -> None:
    """A LicencePurchased event (`offer_id` as offer_id_hex gives it), from the outbox's receipt or
    the indexer, whichever comes first: the platform's own purchase becomes confirmed, anyone
    else's is recorded; the offer's count follows the chain's."""
    offer = Offer.objects.filter(offer_id=offer_id).first()
    if offer is None:
        return
    settled = {"status": PurchaseStatus.CONFIRMED, "serial": serial, "tx_hash": tx_hash,
               "log_index": log_index, "block_number": block, "error": ""}
    if Purchase.objects.filter(tx_hash=tx_hash, log_index=log_index).exists():
        pass
    elif purchase_id is not None:
        Purchase.objects.filter(pk=purchase_id).update(**settled)
    else:
        mine = Purchase.objects.filter(offer=offer, tx__tx_hash=tx_hash, tx_hash="").first()
        if mine is not None:
            Purchase.objects.filter(pk=mine.pk).update(**settled)
        else:
            Purchase.objects.create(offer=offer, licensee=licensee, payer=payer, price=offer.price, **settled)
    Offer.objects.filter(pk=offer.pk, sold__lt=serial).update(sold=serial)
    if offer.max_quantity:
        Offer.objects.filter(pk=offer.pk, sold__gte=offer.max_quantity, status=OfferStatus.ACTIVE).update(
            status=OfferStatus.SOLD_OUT)


def _source_sha256(work: Work) -> str:
    """The sha256 of the render a work's asset was remixed from ("" if it is no remix)."""
    asset = work.asset
    if asset is None:
        return ""
    if asset.parent is not None:
        return str(asset.parent.sha256)
    return str(asset.job.parent_sha256) if asset.job_id else ""


def remix_source_record(*, work: Work) -> ChainTx | None:
    """A remix just registered whose source is a work licensed here: when one of its owners holds
    a licence of the source that allows remixes, record on chain that the remix was made under it,
    so the remix's sales pay the source's owners their upstream share. Its owners confirmed the
    registration, which names the source; the platform signs for its custodial owners (it needs
    those holding a majority). Returns the queued call, or None when there is nothing to record."""
    source_sha256 = _source_sha256(work)
    source = Work.objects.filter(sha256=source_sha256).first() if source_sha256 else None
    if source is None or work.licensed_from_id is not None:
        return None
    owners = list(work.owners.order_by("position", "id"))
    addresses = {o.address.lower(): o for o in owners}
    held = (Purchase.objects.filter(offer__work=source, offer__remix_allowed=True,
                                    status=PurchaseStatus.CONFIRMED)
            .select_related("offer").order_by("-offer__upstream_bps", "created_at"))
    licence = next((p for p in held if p.licensee.lower() in addresses), None)
    custodial = [o for o in owners if o.user_id and o.address.lower() == user_address(o.user_id).lower()]
    if licence is None or sum(o.bps for o in custodial) * 2 <= TOTAL_SHARES:
        return None
    try:
        contract_address = licensing_address()  # (no network: this runs as a registration confirms)
    except ImproperlyConfigured:
        return None
    deadline = int(time.time()) + APPROVAL_S
    message = terms_code.typed_data(contract_address, settings.CHAIN_ID, "RecordParent",
                                    terms_code.parent_message(bytes.fromhex(work.sha256),
                                                              int(licence.offer.offer_id, 16), deadline))
    signatures = {o.address.lower(): "0x" + terms_code.sign(user_account(o.user_id or 0), message).hex()
                  for o in custodial}
    return enqueue(key=f"recordParent:{work.sha256}", signer=platform_account().address,
                   function="recordParent", args=[None], work=work, contract=ChainContract.LICENSING,
                   meta={"offer": licence.offer_id, "holder": licence.licensee, "deadline": deadline,
                         "signatures": signatures})
