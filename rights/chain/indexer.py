"""The chain read back into the database: the registry's and the licensing contract's events,
each from where its last pass stopped to the newest block that counts as settled
(CHAIN_CONFIRMATIONS deep, or `finalized`).

Every event is kept (ChainEvent, once per transaction and log index; a WorkRegistered with the
record its transaction sent) and applied: a work's owners become what its registration or latest
OwnersChanged says, licences what LicenceGranted / LicenceRevoked say,
works registered by the platform get their block. From the licensing contract: offers become
active or closed, purchases (anyone's) are recorded, every credit and withdrawal joins the
earnings ledger (Payment), a remix's recorded source is kept. Running it again changes nothing.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from web3 import Web3
from web3.contract import Contract

from rights import metrics
from rights.chain.client import licensing, registry, web3
from rights.chain.contract import plain
from rights.chain.effects import owners_replace
from rights.chain.outbox import OFFLINE
from rights.chain.reads import registration_record
from rights.chain.sales import ZERO, offer_id_hex, payment_record, purchase_settle
from rights.models import (
    ChainCursor,
    ChainEvent,
    Licence,
    LicenceStatus,
    Offer,
    OfferStatus,
    Work,
)

log = logging.getLogger(__name__)
EVENTS = ("WorkRegistered", "MetadataURISet", "OwnersChanged", "ShareTransferred", "LicenceGranted",
          "LicenceRevoked", "BatchAnchored")
SALES_EVENTS = ("OfferPublished", "OfferClosed", "ParentRecorded", "LicencePurchased", "Credited",
                "Withdrawn", "FeeChanged")
STEP = 5000  # blocks per eth_getLogs request


def _settled_head(w3: Web3) -> int:
    if settings.CHAIN_USE_FINALIZED:
        return int(w3.eth.get_block("finalized")["number"])
    return int(w3.eth.block_number) - settings.CHAIN_CONFIRMATIONS + 1


def _apply(event: ChainEvent) -> None:
    args = event.args
    if event.name == "OwnersChanged" or (event.name == "WorkRegistered" and "owners" in args):
        work = Work.objects.filter(sha256=event.content_hash).first()
        if work is not None:
            owners_replace(work.pk, args["owners"], args["shares"])
    elif event.name == "LicenceGranted":
        Licence.objects.filter(licence_id=args["licenceId"]).update(status=LicenceStatus.ACTIVE)
    elif event.name == "LicenceRevoked":
        Licence.objects.filter(licence_id=args["licenceId"]).update(status=LicenceStatus.REVOKED)
    else:
        _apply_sale(event)


def _apply_sale(event: ChainEvent) -> None:
    args = event.args
    if event.name == "OfferPublished":
        Offer.objects.filter(offer_id=offer_id_hex(args["offerId"]),
                             status__in=(OfferStatus.APPROVING, OfferStatus.PUBLISHING, OfferStatus.FAILED)
                             ).update(status=OfferStatus.ACTIVE, error="")
    elif event.name == "OfferClosed":
        Offer.objects.filter(offer_id=offer_id_hex(args["offerId"])).update(status=OfferStatus.CLOSED)
    elif event.name == "ParentRecorded":
        offer = Offer.objects.filter(offer_id=offer_id_hex(args["licenceId"])).first()
        Work.objects.filter(sha256=args["remix"][2:]).update(licensed_from=offer)
    elif event.name == "LicencePurchased":
        purchase_settle(offer_id=offer_id_hex(args["offerId"]), serial=args["serial"], tx_hash=event.tx_hash,
                        log_index=event.log_index, block=event.block_number, licensee=args["licensee"],
                        payer=args["payer"])
    elif event.name in ("Credited", "Withdrawn"):
        payment_record(event.name, args, tx_hash=event.tx_hash, log_index=event.log_index,
                       block_number=event.block_number)


def _read(contract: Contract, names: tuple[str, ...], start: int, end: int) -> list[ChainEvent]:
    found = []
    for name in names:
        for log_entry in getattr(contract.events, name).get_logs(from_block=start, to_block=end):
            args = {key: plain(value) for key, value in log_entry["args"].items()}
            if name == "WorkRegistered":  # the record is the registering transaction's input
                sent = registration_record(contract, log_entry["transactionHash"],
                                           bytes(log_entry["args"]["contentHash"]))
                args.update({key: plain(value) for key, value in (sent or {}).items() if key != "function"})
            content = args.get("contentHash", "") if args.get("contentHash") != ZERO else ""
            found.append(ChainEvent(block_number=log_entry["blockNumber"], log_index=log_entry["logIndex"],
                                    tx_hash=plain(log_entry["transactionHash"]), name=name, args=args,
                                    content_hash=content[2:] if content else ""))
    return sorted(found, key=lambda e: (e.block_number, e.log_index))


def _index(contract: Contract, names: tuple[str, ...], head: int) -> int:
    """Read `contract`'s events from its cursor up to `head`; returns how many were new."""
    cursor, _ = ChainCursor.objects.get_or_create(address=contract.address)
    stored = 0
    start = cursor.block + 1 if cursor.block else 0
    while start <= head:
        end = min(head, start + STEP - 1)
        events = _read(contract, names, start, end)
        with transaction.atomic():
            known = set(ChainEvent.objects.filter(block_number__gte=start, block_number__lte=end)
                        .values_list("tx_hash", "log_index"))
            for event in events:
                if (event.tx_hash, event.log_index) in known:
                    continue
                event.save()
                _apply(event)
                stored += 1
            ChainCursor.objects.filter(pk=cursor.pk).update(block=end)
        start = end + 1
    return stored


def index_events() -> int:
    """One pass over the registry, then the licensing contract (when one is configured: its events
    need the works the registry's have recorded); returns how many new events it stored (0 when
    the node is unreachable)."""
    try:
        w3 = web3()
        contract = registry(w3)
        head = _settled_head(w3)
        read = ChainCursor.objects.filter(address=contract.address).values_list("block", flat=True).first()
        lag = head - (read or 0)
        metrics.indexer_lag_blocks.set(max(0, lag))
        stored = _index(contract, EVENTS, head)
        try:
            sales = licensing(w3)
        except ImproperlyConfigured:
            return stored
        return stored + _index(sales, SALES_EVENTS, head)
    except OFFLINE as error:
        log.warning("chain node unreachable (%s): indexing later", type(error).__name__)
        return 0
