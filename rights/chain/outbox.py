"""The outbox's signer: one at a time per key, it turns pending contract calls into transactions.

For each signing address, under a lock (a PostgreSQL advisory lock, or a file lock with SQLite):
1. confirm: submitted transactions whose receipt has CHAIN_CONFIRMATIONS blocks on top (and, on
   real networks, is at or below the `finalized` block) become confirmed, or failed if reverted;
2. unstick: a transaction the node no longer knows is broadcast again as it was signed; one still
   unmined after CHAIN_STUCK_AFTER_S is replaced (same nonce, fees raised by 12.5 % or to the
   market, never above CHAIN_MAX_FEE_GWEI);
3. send: pending calls in order, each with the next nonce, stored with its hash and raw bytes
   before it is broadcast. A call the contract would refuse (estimated gas reverts) fails with
   the contract's error name and takes no nonce. A call that pays (a licence bought with ETH)
   fails at once when its signer lacks the price: the platform pays custodial keys' gas, never
   what they buy.

Each row names the contract it calls (ChainTx.contract): the registry, the licensing contract or
the stablecoin.

An unreachable node stops the run and leaves everything where it was; the next run goes on.
"""

import fcntl
import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from requests.exceptions import RequestException
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from kernel.logs import request_id_bound
from rights import metrics
from rights.chain import effects
from rights.chain.client import licensing, registry, stablecoin, web3
from rights.chain.contract import REGISTRY, revert_error
from rights.chain.licensing import LICENSING, STABLECOIN
from rights.chain.queue import fund_submit
from rights.keys import platform_account, user_account
from rights.models import ChainContract, ChainTx, TxStatus

log = logging.getLogger(__name__)
GWEI = 10**9
BUMP = Decimal("1.125")  # the smallest raise nodes accept for a replacement
GAS_MARGIN = 1.25
SEND_PER_RUN = 256
FUND = "fund"  # a payment from the platform's key to a custodial one, for its gas
FUND_MULTIPLE = 5  # a payment covers this many calls like the one that needed it
OFFLINE = (RequestException, ConnectionError, TimeoutError, OSError)


_LOCK_SPACE = 0x5349474E  # "SIGN": the signers' advisory locks


@contextmanager
def _signer_lock(signer: str) -> Iterator[bool]:
    """True when this process holds the signer's lock (another run has it otherwise)."""
    if connection.vendor == "postgresql":
        key = _LOCK_SPACE << 32 | zlib.crc32(signer.lower().encode())  # one bigint per signer
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s::bigint)", [key])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s::bigint)", [key])
        return
    path = Path(settings.CHAIN_DIR) / f"signer-{signer.lower()}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_ARTIFACTS = {ChainContract.REGISTRY: REGISTRY, ChainContract.LICENSING: LICENSING,
              ChainContract.STABLECOIN: STABLECOIN}
_NAMES = {ChainContract.REGISTRY: "registry", ChainContract.LICENSING: "licensing contract",
          ChainContract.STABLECOIN: "stablecoin"}


class Contracts:
    """The contracts one pass calls, each bound once (the licensing ones only when a row needs them)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._bound: dict[str, Contract] = {}

    def __call__(self, tx: ChainTx) -> Contract:
        kind = tx.contract or ChainContract.REGISTRY
        if kind not in self._bound:
            bind = {ChainContract.REGISTRY: registry, ChainContract.LICENSING: licensing,
                    ChainContract.STABLECOIN: stablecoin}[ChainContract(kind)]
            self._bound[kind] = bind(self.w3)
        return self._bound[kind]


def _account(tx: ChainTx) -> LocalAccount:
    return user_account(tx.signer_user_id) if tx.signer_user_id else platform_account()


def _decode_args(args: list[Any]) -> list[Any]:
    """JSON back to ABI values: 0x-hex of 32 bytes is a bytes32; lists recurse."""
    def value(item: Any) -> Any:
        if isinstance(item, list):
            return [value(x) for x in item]
        if isinstance(item, str) and item.startswith("0x") and len(item) == 66:
            return HexBytes(item)
        return item
    return [value(arg) for arg in args]


def _call(contract: Contract, function: str, args: list[Any]) -> Any:
    return getattr(contract.functions, function)(*_decode_args(args))


def _fees(w3: Web3) -> tuple[int, int]:
    """(max fee, priority fee) per gas for a transaction now."""
    base = int(w3.eth.get_block("latest")["baseFeePerGas"])
    priority = int(w3.eth.max_priority_fee)
    return 2 * base + priority, priority


def _cap() -> int:
    return int(settings.CHAIN_MAX_FEE_GWEI * GWEI)


def _sign_and_store(w3: Web3, contract: Contract, tx: ChainTx, *, args: list[Any], nonce: int, gas: int,
                    max_fee: int, priority: int) -> bytes:
    # (`value`: the wei a purchase pays, part of what is signed)
    """Sign the call (or, for "fund", a plain payment) and store everything needed to send it
    again (nonce, fees, hash, raw bytes, final arguments) before it is sent at all."""
    account = _account(tx)
    params: dict[str, Any] = {"from": account.address, "chainId": settings.CHAIN_ID, "nonce": nonce,
                              "gas": gas, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority}
    if tx.function == FUND:
        built = {**params, "to": Web3.to_checksum_address(args[0]), "value": int(args[1]), "type": 2}
        del built["from"]
    else:
        if tx.value:
            params["value"] = int(tx.value)
        built = _call(contract, tx.function, args).build_transaction(params)
    signed = account.sign_transaction(cast(Any, built))
    tx_hash = signed.hash.to_0x_hex()
    ChainTx.objects.filter(pk=tx.pk).update(
        status=TxStatus.SUBMITTED, args=args, nonce=nonce, gas=gas, max_fee=max_fee, priority_fee=priority,
        tx_hash=tx_hash, hashes=[*tx.hashes, tx_hash], raw=signed.raw_transaction.to_0x_hex(),
        submitted_at=timezone.now())
    return bytes(signed.raw_transaction)


def _broadcast(w3: Web3, tx_id: int, raw: bytes) -> None:
    """Send signed bytes; a refusal is noted on the transaction, which waits to be replaced."""
    try:
        w3.eth.send_raw_transaction(raw)
    except Web3RPCError as error:
        message = str(error).lower()
        # Already in the pool or already mined: the receipt will tell.
        if not any(known in message for known in ("already known", "nonce too low", "already imported")):
            log.warning("the node refused transaction %s: %s", tx_id, error)
            ChainTx.objects.filter(pk=tx_id).update(error=f"the node refused it: {error}")


def _next_nonce(w3: Web3, signer: str) -> int:
    used = ChainTx.objects.filter(signer=signer, nonce__isnull=False).aggregate(top=Max("nonce"))["top"]
    return max(w3.eth.get_transaction_count(Web3.to_checksum_address(signer), "pending"),
               -1 if used is None else used + 1)


def _balance(w3: Web3, tx: ChainTx) -> int:
    """What the signer of a call that pays something itself (a custodial key's gas, a price) holds;
    0 for the platform's key, which is not asked (it pays its own gas and nothing else)."""
    if tx.signer_user_id is None and not tx.value:
        return 0
    return int(w3.eth.get_balance(Web3.to_checksum_address(tx.signer)))


def _affordable(tx: ChainTx, balance: int) -> bool:
    """A call that pays a price from its signer's own balance: refused (failed, no nonce taken)
    when the balance is short of it."""
    if balance >= int(tx.value):
        return True
    _fail(tx, f"Not enough funds: it costs {int(tx.value)} wei and the balance is {balance} wei.")
    return False


def _funded(tx: ChainTx, gas_cost: int, balance: int) -> bool:
    """A custodial signer pays its own gas: when it lacks it (beside what the call pays), the
    platform's key sends it some, for gas only (a "fund" payment through the outbox), and the call
    waits for it."""
    if tx.signer_user_id is None or balance >= gas_cost + int(tx.value):
        return True
    fund_submit(address=tx.signer, wei=gas_cost * FUND_MULTIPLE, reason=tx.key)
    return False


def _send_pending(w3: Web3, contracts: Contracts, signer: str) -> None:
    pending = list(ChainTx.objects.filter(signer=signer, status=TxStatus.PENDING)[:SEND_PER_RUN])
    if not pending:
        return
    nonce = _next_nonce(w3, signer)
    max_fee, priority = _fees(w3)
    if max_fee > _cap():
        log.warning("fees %s gwei above CHAIN_MAX_FEE_GWEI: %s transactions wait", max_fee / GWEI,
                    len(pending))
        return
    for tx in pending:
        contract = contracts(tx)
        try:
            args = effects.prepared_args(tx, contract)
        except effects.CannotSend as reason:
            _fail(tx, str(reason))
            continue
        if args is None:
            continue  # another change of the same work (or the call it follows) is unconfirmed
        balance = _balance(w3, tx)  # (read once for both checks)
        if not _affordable(tx, balance):
            continue
        if tx.function == FUND:
            gas = 21_000
        else:
            try:
                gas = int(_call(contract, tx.function, args).estimate_gas(
                    {"from": signer, "value": int(tx.value)}) * GAS_MARGIN)
            except ContractLogicError as refused:
                name, _args = revert_error(refused, _ARTIFACTS[ChainContract(tx.contract)])
                _fail(tx, f"The {_NAMES[ChainContract(tx.contract)]} refused it: {name or 'reverted'}")
                continue
        if not _funded(tx, gas * max_fee, balance):
            break  # in order: this signer's later calls wait too
        with request_id_bound(tx.request_id):
            with transaction.atomic():
                raw = _sign_and_store(w3, contract, tx, args=args, nonce=nonce, gas=gas, max_fee=max_fee,
                                      priority=priority)
            log.info("sending %s from %s with nonce %s", tx.key, signer, nonce)
            nonce += 1
            _broadcast(w3, tx.pk, raw)


def _fail(tx: ChainTx, error: str) -> None:
    with request_id_bound(tx.request_id):
        log.warning("%s failed: %s", tx.key, error)
    with transaction.atomic():
        ChainTx.objects.filter(pk=tx.pk).update(status=TxStatus.FAILED, error=error)
        effects.failed(tx, error)


def _confirm(w3: Web3, contracts: Contracts, signer: str) -> None:
    submitted = list(ChainTx.objects.filter(signer=signer, status=TxStatus.SUBMITTED))
    if not submitted:
        return
    head = w3.eth.block_number
    final = w3.eth.get_block("finalized")["number"] if settings.CHAIN_USE_FINALIZED else head
    block_times: dict[int, datetime] = {}
    for tx in submitted:
        receipt = None
        for tx_hash in reversed(tx.hashes):  # the latest replacement first
            try:
                receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
                break
            except TransactionNotFound:
                continue
        if receipt is None:
            continue
        block = receipt["blockNumber"]
        if head - block + 1 < settings.CHAIN_CONFIRMATIONS or block > final:
            continue
        if block not in block_times:
            block_times[block] = datetime.fromtimestamp(w3.eth.get_block(block)["timestamp"], tz=UTC)
        mined_at = block_times[block]
        with transaction.atomic():
            fields = {"block_number": block, "gas_used": receipt["gasUsed"],
                      "tx_hash": receipt["transactionHash"].to_0x_hex()}
            if receipt["status"] != 1:
                ChainTx.objects.filter(pk=tx.pk).update(**fields)
                _fail(tx, "reverted on chain")
                continue
            ChainTx.objects.filter(pk=tx.pk).update(status=TxStatus.CONFIRMED, confirmed_at=timezone.now(),
                                                    **fields)
            with request_id_bound(tx.request_id):
                effects.confirmed(tx, receipt, contracts(tx), block=block, mined_at=mined_at)
                metrics.confirmation_seconds.labels(tx.function).observe(
                    (timezone.now() - tx.created_at).total_seconds())
                log.info("confirmed %s in block %s (%s)", tx.key, block, fields["tx_hash"])


def _unstick(w3: Web3, contracts: Contracts, signer: str) -> None:
    """Broadcast again what the node lost; replace with higher fees what waits too long."""
    stale = timezone.now() - timedelta(seconds=settings.CHAIN_STUCK_AFTER_S)
    mined_count = w3.eth.get_transaction_count(Web3.to_checksum_address(signer), "latest")
    for tx in ChainTx.objects.filter(signer=signer, status=TxStatus.SUBMITTED).order_by("nonce"):
        assert tx.nonce is not None
        if tx.nonce < mined_count:
            continue  # one of its versions is mined: _confirm sees it
        if tx.submitted_at and tx.submitted_at < stale:
            market_fee, market_priority = _fees(w3)
            max_fee = min(_cap(), max(int(Decimal(tx.max_fee or 0) * BUMP) + 1, market_fee))
            priority = min(max_fee, max(int(Decimal(tx.priority_fee or 0) * BUMP) + 1, market_priority))
            if max_fee <= int(tx.max_fee or 0):
                continue  # at the cap already: wait
            with transaction.atomic():
                raw = _sign_and_store(w3, contracts(tx), tx, args=list(tx.args), nonce=tx.nonce,
                                      gas=int(tx.gas or 0), max_fee=max_fee, priority=priority)
                ChainTx.objects.filter(pk=tx.pk).update(replacements=tx.replacements + 1)
            log.info("replaced %s (nonce %s) at %s gwei", tx.key, tx.nonce, max_fee / GWEI)
            _broadcast(w3, tx.pk, raw)
            continue
        try:
            w3.eth.get_transaction(HexBytes(tx.tx_hash))
        except TransactionNotFound:
            _broadcast(w3, tx.pk, bytes(HexBytes(tx.raw)))  # the node lost it: the same bytes again


def signer_run(signer: str) -> int:
    """One pass for the signing address `signer`; returns how many of its transactions are
    still pending or submitted (-1 when another process holds its lock)."""
    with _signer_lock(signer) as held:
        if not held:
            return -1
        w3 = web3()
        try:
            contracts = Contracts(w3)
            _confirm(w3, contracts, signer)
            _unstick(w3, contracts, signer)
            _send_pending(w3, contracts, signer)
            _confirm(w3, contracts, signer)  # (a node that mines at once confirms in the same pass)
        except OFFLINE as error:
            log.warning("chain node unreachable (%s): %s will retry", type(error).__name__, signer)
        in_flight = [TxStatus.PENDING, TxStatus.SUBMITTED]
        return ChainTx.objects.filter(signer=signer, status__in=in_flight).count()


def signers_in_flight() -> list[str]:
    return list(ChainTx.objects.filter(status__in=[TxStatus.PENDING, TxStatus.SUBMITTED])
                .values_list("signer", flat=True).distinct())
