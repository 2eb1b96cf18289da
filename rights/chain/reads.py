"""Reading the registry live from the chain, for public verification and certificates.

Each read is a small function taking the registry contract (`chain_connect`) and raising
ChainUnavailable when the node fails: `chain_record` (a content hash's `stateOf`, its registration's
record read from the registering transaction's input, and its current owners and shares checked
against `stateOf`), `chain_transaction`
(the work a mined transaction names) and `chain_batch` (a batch root's anchoring and a proof).
`ChainReader` connects once per answer and skips every read after a failure.

Pages and public answers wait on these reads, so each node request has a short timeout
(CHAIN_READ_TIMEOUT_S) and is never retried, and a node that failed is remembered as down for
CHAIN_DOWN_MEMO_S: the pages in that time say "not live" at once instead of each waiting again.
"""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3Exception

from rights.chain import client as chain
from rights.chain.contract import registration_input, registry_at
from rights.merkle import state_hash
from rights.metadata import metadata_url

ZERO32 = b"\0" * 32
_SIGNATURES = {
    "WorkRegistered": "WorkRegistered(bytes32)",
    "MetadataURISet": "MetadataURISet(bytes32,string)",
    "OwnersChanged": "OwnersChanged(bytes32,address[],uint16[])",
    "ShareTransferred": "ShareTransferred(bytes32,address,address,uint16)",
    "LicenceGranted": "LicenceGranted(bytes32,bytes32,address,address,bytes32,uint64,bytes32)",
    "LicenceRevoked": "LicenceRevoked(bytes32,bytes32,address)",
    "BatchAnchored": "BatchAnchored(bytes32,address,uint32,string)",
}
TOPICS = {name: keccak(text=signature) for name, signature in _SIGNATURES.items()}
# Where an event's indexed content hash sits among its topics.
_CONTENT_TOPIC = {"WorkRegistered": 1, "MetadataURISet": 1, "OwnersChanged": 1, "ShareTransferred": 1,
                  "LicenceGranted": 2, "LicenceRevoked": 2}
_NODE_ERRORS = (OSError, Web3Exception, ValueError, TimeoutError)


@dataclass(frozen=True)
class OwnerShare:
    address: str
    bps: int

    @property
    def percent(self) -> float:
        return self.bps / 100


@dataclass
class ChainRecord:
    """A content hash's record as the node reports it now."""

    chain_id: int
    contract: str
    content_hash: str  # 0x-hex
    registered: bool  # stateOf is not zero
    state: str  # stateOf, 0x-hex
    # the latest OwnersChanged's, or the registration's
    owners: list[OwnerShare] = field(default_factory=list)
    consistent: bool | None = None  # keccak(abi.encode(owners, shares)) == stateOf
    registrant: str = ""  # the registering transaction's sender
    iscc: str = ""
    metadata_uri: str = ""
    terms_hash: str = ""  # 0x-hex: sha256 of the licence text the work was registered under
    block_number: int | None = None  # of the registration
    block_time: datetime | None = None
    transaction: str = ""
    changed_block: int | None = None  # of the latest OwnersChanged (None: never changed)
    changed_at: datetime | None = None
    changed_transaction: str = ""
    note: str = ""  # why the owners are unknown, when they are


@dataclass(frozen=True)
class TransactionFinding:
    found: bool  # the node knows a mined transaction with this hash
    succeeded: bool = False
    content_hash: str = ""  # hex (no 0x) of the work it registered or changed; "" when none
    event: str = ""  # the registry event that names it
    block_number: int | None = None
    anchored_root: str = ""  # 0x-hex, for a batch anchor


@dataclass(frozen=True)
class BatchCheck:
    anchored_at: datetime | None  # the root's anchoring block time; None when never anchored
    included: bool  # the contract's verifyInclusion(root, leaf, proof)


# --- reading the chain ---------------------------------------------------------------------------


class ChainUnavailable(Exception):
    """The node could not be reached, answered badly, or serves another chain."""


T = TypeVar("T")


@contextmanager
def node_errors() -> Iterator[None]:
    """Turn a node's failures (unreachable, timing out, answering nonsense) into ChainUnavailable."""
    try:
        yield
    except ChainUnavailable:
        raise
    except _NODE_ERRORS as error:
        raise ChainUnavailable(_("The chain node did not answer (%(error)s).") % {
            "error": type(error).__name__}) from error


def _down_key() -> str:
    return "rights:chain-down:" + hashlib.sha256(settings.CHAIN_RPC_URL.encode()).hexdigest()[:16]


def node_down_reason() -> str:
    """Why the node was found down in the last CHAIN_DOWN_MEMO_S ("" when it was not)."""
    try:
        return str(cache.get(_down_key()) or "")
    except Exception:  # the cache being down must not fail a page either
        return ""


def remember_node_down(reason: str) -> None:
    with suppress(Exception):
        cache.set(_down_key(), reason, settings.CHAIN_DOWN_MEMO_S)


def chain_connect(*, timeout: float | None = None) -> Contract:
    """The configured registry, on a node that answers and serves CHAIN_ID."""
    down = node_down_reason()
    if down:
        raise ChainUnavailable(down)
    try:
        address = chain.registry_address()
    except ImproperlyConfigured:
        raise ChainUnavailable(_("No registry contract is configured.")) from None
    w3 = chain.web3(timeout=settings.CHAIN_READ_TIMEOUT_S if timeout is None else timeout, retries=False)
    try:
        with node_errors():
            chain_id = w3.eth.chain_id
    except ChainUnavailable as error:
        remember_node_down(str(error))
        raise
    if chain_id != settings.CHAIN_ID:
        raise ChainUnavailable(_("The node serves chain %(found)s, not %(expected)s.") % {
            "found": chain_id, "expected": settings.CHAIN_ID})
    return registry_at(w3, address)


def licensing_connect() -> tuple[Contract, Contract]:
    """The configured licensing contract and stablecoin, on a node that answers and serves CHAIN_ID
    (the same checks, timeout and memo of a node found down as chain_connect's)."""
    w3 = chain_connect().w3
    try:
        return (registry_at(w3, chain.licensing_address(), "StoryloomLicensing"),
                registry_at(w3, chain.stablecoin_address(), "TestStablecoin"))
    except ImproperlyConfigured:
        raise ChainUnavailable(_("No licensing contract is configured.")) from None


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _block_time(w3: Web3, number: int) -> datetime:
    return datetime.fromtimestamp(int(w3.eth.get_block(number)["timestamp"]), tz=UTC)


def _content_logs(contract: Contract, content_hash: bytes, head: int) -> list[Any]:
    """The WorkRegistered, MetadataURISet and OwnersChanged logs of one content hash, oldest first.
    Reads back from the head in ranges of CHAIN_LOGS_MAX_BLOCKS (0: one range; public nodes cap
    eth_getLogs) and stops at the registration, which is always the first."""
    start = int(getattr(settings, "CHAIN_START_BLOCK", 0) or 0)
    span = int(getattr(settings, "CHAIN_LOGS_MAX_BLOCKS", 0) or 0) or head - start + 1
    names = ("WorkRegistered", "MetadataURISet", "OwnersChanged")
    topics = [[_hex(TOPICS[name]) for name in names], _hex(content_hash)]
    found: list[Any] = []
    to = head
    while to >= start:
        first = max(start, to - span + 1)
        logs = contract.w3.eth.get_logs({"address": contract.address, "fromBlock": first, "toBlock": to,
                                         "topics": topics})
        found.extend(logs)
        if any(bytes(log["topics"][0]) == TOPICS["WorkRegistered"] for log in logs):
            break
        to = first - 1
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def registration_record(contract: Contract, tx_hash: Any, content_hash: bytes) -> dict[str, Any] | None:
    """What the transaction that registered `content_hash` sent (`contract.registration_input`), or
    None when it did not call the registry directly to register that work."""
    sent = registration_input(contract, contract.w3.eth.get_transaction(tx_hash))
    if sent is None or bytes(sent["contentHash"]) != content_hash:
        return None
    return sent


def chain_record(contract: Contract, sha256: str) -> ChainRecord:
    """`stateOf(sha256)`; the registration's record, from the input of the transaction that
    emitted its WorkRegistered; its current owners and shares (the latest OwnersChanged's, or the
    registration's), checked against `stateOf`; the registration's block, time and transaction."""
    content_hash = bytes.fromhex(sha256)
    w3 = contract.w3
    with node_errors():
        state = bytes(contract.functions.stateOf(content_hash).call())
        record = ChainRecord(chain_id=int(w3.eth.chain_id), contract=contract.address,
                             content_hash=_hex(content_hash), registered=state != ZERO32, state=_hex(state))
        if not record.registered:
            return record
        logs = _content_logs(contract, content_hash, int(w3.eth.block_number))
        named = {name: [log for log in logs if bytes(log["topics"][0]) == TOPICS[name]] for name in
                 ("WorkRegistered", "MetadataURISet", "OwnersChanged")}
        sent = None
        if named["WorkRegistered"]:
            registered = named["WorkRegistered"][0]
            record.block_number = int(registered["blockNumber"])
            record.block_time = _block_time(w3, record.block_number)
            record.transaction = _hex(registered["transactionHash"])
            # (a registration without MetadataURISet was made with `register`: the template's)
            record.metadata_uri = next(
                (contract.events.MetadataURISet().process_log(log)["args"]["metadataURI"]
                 for log in named["MetadataURISet"]),
                metadata_url(contract.functions.metadataURITemplate().call(), sha256))
            sent = registration_record(contract, registered["transactionHash"], content_hash)
            if sent is not None:
                record.registrant, record.iscc = sent["sender"], sent["iscc"]
                record.terms_hash = _hex(sent["termsHash"])
        if named["OwnersChanged"]:
            latest = named["OwnersChanged"][-1]
            args = contract.events.OwnersChanged().process_log(latest)["args"]
            record.changed_block = int(latest["blockNumber"])
            record.changed_at = _block_time(w3, record.changed_block)
            record.changed_transaction = _hex(latest["transactionHash"])
        elif sent is not None:
            args = sent
        elif named["WorkRegistered"]:
            record.note = _("This work was registered through another contract: its owners are in that "
                            "contract's call, which its transaction's input does not show.")
            return record
        else:
            record.note = _("No registration event was found from block %(start)s on: the owners cannot be "
                            "shown.") % {"start": getattr(settings, "CHAIN_START_BLOCK", 0) or 0}
            return record
        owners, shares = list(args["owners"]), [int(s) for s in args["shares"]]
        record.owners = [OwnerShare(address=o, bps=s) for o, s in zip(owners, shares, strict=True)]
        record.consistent = state_hash(owners, shares) == state
    return record


def chain_transaction(contract: Contract, tx_hash: str) -> TransactionFinding:
    """The work a mined transaction registered (or whose owners or licences it changed), from the
    registry's events in its receipt."""
    with node_errors():
        try:
            receipt = contract.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        except TransactionNotFound:
            return TransactionFinding(found=False)
    names = {topic: name for name, topic in TOPICS.items()}
    ours = [log for log in receipt["logs"]
            if log["address"].lower() == contract.address.lower() and log["topics"]]
    for log in ours:  # a registration first, then whatever else names a work
        name = names.get(bytes(log["topics"][0]), "")
        if name == "WorkRegistered":
            return _finding(receipt, name, log)
    for log in ours:
        name = names.get(bytes(log["topics"][0]), "")
        if name in _CONTENT_TOPIC or name == "BatchAnchored":
            return _finding(receipt, name, log)
    return TransactionFinding(found=True, succeeded=receipt["status"] == 1,
                              block_number=int(receipt["blockNumber"]))


def _finding(receipt: Any, name: str, log: Any) -> TransactionFinding:
    base = {"found": True, "succeeded": receipt["status"] == 1, "event": name,
            "block_number": int(receipt["blockNumber"])}
    if name == "BatchAnchored":
        return TransactionFinding(**base, anchored_root=_hex(log["topics"][1]))
    return TransactionFinding(**base, content_hash=bytes(log["topics"][_CONTENT_TOPIC[name]]).hex())


def chain_batch(contract: Contract, *, root: bytes, leaf: bytes, proof: list[bytes]) -> BatchCheck:
    """`anchoredAt(root)` and `verifyInclusion(root, leaf, proof)`."""
    with node_errors():
        anchored = int(contract.functions.anchoredAt(root).call())
        included = bool(contract.functions.verifyInclusion(root, leaf, proof).call())
    return BatchCheck(anchored_at=datetime.fromtimestamp(anchored, tz=UTC) if anchored else None,
                      included=included)


class ChainReader:
    """The chain for one answer: connected once; after a failure, every later read is skipped."""

    def __init__(self) -> None:
        self.contract: Contract | None = None
        self.error = ""
        try:
            self.contract = chain_connect()
        except ChainUnavailable as error:
            self.error = str(error)

    @property
    def live(self) -> bool:
        return self.contract is not None

    def read(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        if self.contract is None:
            return None
        try:
            return function(self.contract, *args, **kwargs)
        except ChainUnavailable as error:
            self.contract, self.error = None, str(error)
            if not isinstance(error.__cause__, ContractLogicError):  # a revert says nothing of the node
                remember_node_down(self.error)
            return None


def configured_address() -> str:
    """The registry's configured address ("" when none is)."""
    try:
        return chain.registry_address()
    except ImproperlyConfigured:
        return ""
