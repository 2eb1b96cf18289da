"""StoryloomLicensing on a real anvil node: offers published by a majority of owners by share, sales
that credit every co-owner exactly (and upstream, for remixes), pull-based withdrawals, and the
attacks a payment contract must survive.

Every call is signed locally (eth-account) and mined; reverts are decoded to the contract's custom
error by name. Owners who only sign approvals are fresh keys (as custodial owners are); those who
withdraw are anvil's funded accounts.
"""

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from rights.chain.contract import TransactionFailed, deploy, revert_error, send_value, transact
from rights.chain.licensing import (
    LICENSING,
    NAIVE_LICENSING,
    NATIVE,
    NEVER,
    STABLECOIN,
    Level,
    Terms,
    approvals,
    close_message,
    parent_message,
    publish_message,
    sale_credits,
    typed_data,
)
from tests.rights.helpers import deploy_test_contract

TERMS = hashlib.sha256(b"Storyloom licence: commercial, worldwide, 2 years, no refunds").digest()
URI = "https://storyloom.test/licences/{id}.json"
FEE_BPS = 250
ERC1155_INTERFACE = bytes.fromhex("d9b67a26")


def content_hash() -> bytes:
    return hashlib.sha256(os.urandom(16)).digest()


def keys(count: int) -> list[LocalAccount]:
    """Fresh signers (custodial owners: they sign approvals, they send nothing)."""
    return [Account.create() for _ in range(count)]


@dataclass
class Work:
    hash: bytes
    owners: list[str]
    shares: list[int]

    @property
    def holders(self) -> tuple[list[str], list[int]]:
        return self.owners, self.shares


@contextmanager
def reverts(name: str, contract: str = LICENSING, **expected: Any) -> Iterator[None]:
    """The block must revert with `contract`'s custom error `name` (and these arguments)."""
    with pytest.raises(ContractLogicError) as caught:
        yield
    error_name, args = revert_error(caught.value, contract)
    assert error_name == name, f"reverted with {error_name}{args}, not {name}"
    for key, value in expected.items():
        assert args[key] == value, (key, args)


class Market:
    """A registry, a licensing contract and the calls the tests make on them."""

    def __init__(self, w3: Web3, registry: Contract, licensing: Contract, relayer: LocalAccount) -> None:
        self.w3, self.registry, self.licensing, self.relayer = w3, registry, licensing, relayer

    def register(self, owners: Sequence[str], shares: Sequence[int]) -> Work:
        work = Work(content_hash(), list(owners), list(shares))
        transact(self.w3, self.relayer, self.registry.functions.register(
            work.hash, "ISCC:KACYPXW445FTYNJ3", TERMS, work.owners, work.shares))
        return work

    def typed(self, kind: str, message: dict[str, Any]) -> dict[str, Any]:
        return typed_data(self.licensing.address, self.w3.eth.chain_id, kind, message)

    def terms(self, work: Work, *, price: int, token: str = NATIVE, max_quantity: int = 0,
              upstream_bps: int = 0, remix: bool = False, fee_bps: int | None = None) -> Terms:
        fee = self.licensing.functions.feeBps().call() if fee_bps is None else fee_bps
        return Terms(work.hash, TERMS, token, price, max_quantity, upstream_bps, fee, True, remix,
                     os.urandom(32))

    def publish(self, work: Work, signers: Sequence[LocalAccount], terms: Terms | None = None,
                *, deadline: int = NEVER, **options: Any) -> int:
        terms = terms or self.terms(work, **options)
        message = self.typed("PublishOffer", publish_message(terms, deadline))
        signatures = approvals(work.owners, signers, message)
        receipt = transact(self.w3, self.relayer, self.licensing.functions.publishOffer(
            terms.as_tuple(), deadline, work.holders, signatures))
        (event,) = self.licensing.events.OfferPublished().process_receipt(receipt, errors=DISCARD)
        assert event.args.offerId == terms.offer_id
        return terms.offer_id

    def close(self, offer_id: int, work: Work, signers: Sequence[LocalAccount], deadline: int = NEVER) -> Any:
        message = self.typed("CloseOffer", close_message(offer_id, deadline))
        signatures = approvals(work.owners, signers, message)
        return transact(self.w3, self.relayer, self.licensing.functions.closeOffer(
            offer_id, deadline, work.holders, signatures))

    def record_parent(self, remix: Work, licence_id: int, holder: str,
                      signers: Sequence[LocalAccount]) -> Any:
        signatures = approvals(remix.owners, signers,
                               self.typed("RecordParent", parent_message(remix.hash, licence_id, NEVER)))
        return transact(self.w3, self.relayer, self.licensing.functions.recordParent(
            remix.hash, licence_id, remix.owners.index(holder), NEVER, remix.holders, signatures))

    def buy(self, buyer: LocalAccount, offer_id: int, lineage: Sequence[Work], *, value: int | None = None,
            licensee: str | None = None) -> Any:
        if value is None:
            offer = self.offer(offer_id)
            value = offer["price"] if offer["token"] == NATIVE else 0
        return transact(self.w3, buyer, self.licensing.functions.buy(
            offer_id, licensee or buyer.address, [work.holders for work in lineage]), value=value)

    def offer(self, offer_id: int) -> dict[str, Any]:
        names = [output["name"] for output in self.licensing.functions.offers(offer_id).abi["outputs"]]
        return dict(zip(names, self.licensing.functions.offers(offer_id).call(), strict=True))

    def owed(self, payee: str, token: str = NATIVE) -> int:
        return self.licensing.functions.owed(token, payee).call()

    def credited(self, receipt: Any) -> list[tuple[bytes, str, int]]:
        """(work, payee, amount) of every credit of a purchase, in order."""
        return [(event.args.contentHash, event.args.payee, event.args.amount)
                for event in self.licensing.events.Credited().process_receipt(receipt, errors=DISCARD)]


def deploy_licensing(w3: Web3, registry: Contract, admin: LocalAccount, fee_recipient: str,
                     fee_bps: int = FEE_BPS) -> Contract:
    return deploy(w3, admin, LICENSING, registry.address, URI, admin.address, fee_recipient, fee_bps)


@pytest.fixture
def market(w3, registry, accounts) -> Market:
    """A fresh licensing contract over the test's registry: accounts[8] its admin, accounts[7] the
    fee's recipient, accounts[9] the platform's relayer (it submits the owners' signatures)."""
    return Market(w3, registry, deploy_licensing(w3, registry, accounts[8], accounts[7].address), accounts[9])


@pytest.fixture
def stablecoin(w3, accounts) -> Contract:
    return deploy(w3, accounts[9], STABLECOIN, accounts[9].address)


# ------------------------------------------------------------------- the contract itself


def test_deployment_names_its_registry_fee_and_interfaces(w3, market, registry, accounts) -> None:
    licensing = market.licensing
    assert licensing.functions.registry().call() == registry.address
    assert (licensing.functions.feeBps().call(), licensing.functions.feeRecipient().call()) == (
        FEE_BPS, accounts[7].address)
    assert licensing.functions.owner().call() == accounts[8].address
    assert licensing.functions.supportsInterface(ERC1155_INTERFACE).call()
    assert licensing.functions.uri(1).call() == URI
    with reverts("FeeTooHigh", feeBps=1_001, max=1_000):
        deploy_licensing(w3, registry, accounts[8], accounts[7].address, fee_bps=1_001)


def test_the_owners_sign_the_digest_the_contract_computes(market) -> None:
    work = market.register([Account.create().address], [10_000])
    terms = market.terms(work, price=10**15)
    message = market.typed("PublishOffer", publish_message(terms, 1_900_000_000))
    encoded = encode_typed_data(full_message=message)
    expected = Web3.keccak(b"\x19\x01" + encoded.header + encoded.body)
    assert market.licensing.functions.publishDigest(terms.as_tuple(), 1_900_000_000).call() == expected
    close = market.typed("CloseOffer", close_message(terms.offer_id, NEVER))
    encoded = encode_typed_data(full_message=close)
    assert market.licensing.functions.closeDigest(terms.offer_id, NEVER).call() == Web3.keccak(
        b"\x19\x01" + encoded.header + encoded.body)


# ------------------------------------------------------------------- exact splits


@pytest.mark.parametrize("price", [1, 3, 9_999, 10_001, 1_000_003, 10**18 + 7])
def test_a_sale_with_three_co_owners_splits_to_the_wei(w3, market, accounts, price) -> None:
    signers = keys(3)
    work = market.register([s.address for s in signers], [3_333, 3_333, 3_334])
    offer_id = market.publish(work, signers, price=price)
    balance_before = w3.eth.get_balance(market.licensing.address)

    receipt = market.buy(accounts[0], offer_id, [work])

    fee, (credits,) = sale_credits(price, FEE_BPS, [Level(*work.holders)])
    credited = market.credited(receipt)
    assert sum(amount for _, _, amount in credited) == price  # nothing lost, nothing created
    assert market.owed(accounts[7].address) == fee
    assert {payee: market.owed(payee) for payee in work.owners} == credits
    assert sum(credits.values()) + fee == price
    assert w3.eth.get_balance(market.licensing.address) - balance_before == price
    (sold,) = market.licensing.events.LicencePurchased().process_receipt(receipt, errors=DISCARD)
    assert dict(sold.args) == {"offerId": offer_id, "licensee": accounts[0].address, "contentHash": work.hash,
                               "payer": accounts[0].address, "serial": 1}
    if fee:
        assert credited[0] == (bytes(32), accounts[7].address, fee)  # the fee first, then the owners
    assert market.licensing.functions.balanceOf(accounts[0].address, offer_id).call() == 1
    assert market.licensing.functions.licenceTerms(offer_id).call() == [work.hash, TERMS]


def test_the_remainder_goes_to_the_largest_share(market, accounts) -> None:
    """1,000,003 wei at 2.5 %: 25,000 fee, 975,003 to owners of 33.33 / 33.33 / 33.34 %; the floors
    give 324,968 + 324,968 + 325,066 = 975,002, and the one wei left goes to the 33.34 % owner."""
    signers = keys(3)
    work = market.register([s.address for s in signers], [3_333, 3_333, 3_334])
    offer_id = market.publish(work, signers, price=1_000_003)
    market.buy(accounts[0], offer_id, [work])
    assert [market.owed(owner) for owner in work.owners] == [324_968, 324_968, 325_067]
    assert market.owed(accounts[7].address) == 25_000

    # Equal largest shares: the earliest in the registry's order takes it.
    signers = keys(3)
    work = market.register([s.address for s in signers], [2_000, 4_000, 4_000])
    offer_id = market.publish(work, signers[1:], price=7)
    market.buy(accounts[0], offer_id, [work])
    # 7 wei: the floors of 1.4, 2.8 and 2.8 leave 2 wei, which go to the first 40 % owner.
    assert [market.owed(owner) for owner in work.owners] == [1, 4, 2]


def test_a_purchase_must_pay_the_price_and_name_the_current_owners(market, accounts) -> None:
    signers = keys(2)
    work = market.register([s.address for s in signers], [6_000, 4_000])
    offer_id = market.publish(work, signers[:1], price=1_000)
    with reverts("WrongPayment", sent=999, expected=1_000):
        market.buy(accounts[0], offer_id, [work], value=999)
    with reverts("WrongPayment", sent=1_001, expected=1_000):
        market.buy(accounts[0], offer_id, [work], value=1_001)
    stale = Work(work.hash, work.owners, [5_000, 5_000])
    with reverts("StateMismatch", contentHash=work.hash):
        market.buy(accounts[0], offer_id, [stale])
    with reverts("LineageMismatch", given=2, expected=1):
        market.buy(accounts[0], offer_id, [work, work])
    with reverts("UnknownOffer", offerId=12345):
        market.buy(accounts[0], 12345, [work], value=0)


# ------------------------------------------------------------------- limited editions


def test_a_limited_edition_sells_out(market, accounts) -> None:
    signers = keys(1)
    work = market.register([signers[0].address], [10_000])
    offer_id = market.publish(work, signers, price=10**15, max_quantity=2)
    first = market.buy(accounts[0], offer_id, [work])
    second = market.buy(accounts[1], offer_id, [work])
    serials = [market.licensing.events.LicencePurchased().process_receipt(r, errors=DISCARD)[0].args.serial
               for r in (first, second)]
    assert serials == [1, 2]
    with reverts("SoldOut", offerId=offer_id, maxQuantity=2):
        market.buy(accounts[2], offer_id, [work])
    assert market.offer(offer_id)["sold"] == 2
    assert market.licensing.functions.balanceOf(accounts[2].address, offer_id).call() == 0
    # Mined anyway (no estimate), it fails and changes nothing.
    with pytest.raises(TransactionFailed):
        transact(market.w3, accounts[2], market.licensing.functions.buy(offer_id, accounts[2].address,
                                                                        [work.holders]),
                 value=10**15, gas=300_000)
    assert market.owed(signers[0].address) == 2 * (10**15 - 10**15 * FEE_BPS // 10_000)


# ------------------------------------------------------------------- a stablecoin price


def test_an_erc20_price_with_the_test_stablecoin(w3, market, stablecoin, accounts) -> None:
    buyer, owner_a, owner_b = accounts[0], accounts[1], accounts[2]
    assert stablecoin.functions.decimals().call() == 6
    with reverts("OwnableUnauthorizedAccount", STABLECOIN):
        transact(w3, buyer, stablecoin.functions.mint(buyer.address, 1))
    transact(w3, accounts[9], stablecoin.functions.mint(buyer.address, 100_000_000))  # 100 tUSD
    work = market.register([owner_a.address, owner_b.address], [7_000, 3_000])
    price = 12_345_679  # 12.345679 tUSD
    offer_id = market.publish(work, [owner_a], price=price, token=stablecoin.address)

    with reverts("ERC20InsufficientAllowance", STABLECOIN):
        market.buy(buyer, offer_id, [work])
    transact(w3, buyer, stablecoin.functions.approve(market.licensing.address, price))
    with reverts("WrongPayment", sent=1, expected=0):
        market.buy(buyer, offer_id, [work], value=1)
    receipt = market.buy(buyer, offer_id, [work])

    fee, (credits,) = sale_credits(price, FEE_BPS, [Level(*work.holders)])
    assert stablecoin.functions.balanceOf(market.licensing.address).call() == price
    assert {o: market.owed(o, stablecoin.address) for o in work.owners} == credits
    assert market.owed(accounts[7].address, stablecoin.address) == fee
    assert market.owed(owner_a.address) == 0  # nothing in the chain's currency
    assert sum(amount for _, _, amount in market.credited(receipt)) == price

    withdrawn = transact(w3, owner_a, market.licensing.functions.withdraw(stablecoin.address))
    assert stablecoin.functions.balanceOf(owner_a.address).call() == credits[owner_a.address]
    (event,) = market.licensing.events.Withdrawn().process_receipt(withdrawn, errors=DISCARD)
    assert (event.args.payee, event.args.token, event.args.to, event.args.amount) == (
        owner_a.address, stablecoin.address, owner_a.address, credits[owner_a.address])
    elsewhere = Account.create().address  # e.g. the wallet a custodial owner linked
    transact(w3, owner_b, market.licensing.functions.withdrawTo(stablecoin.address, elsewhere))
    assert stablecoin.functions.balanceOf(elsewhere).call() == credits[owner_b.address]
    assert stablecoin.functions.balanceOf(market.licensing.address).call() == fee


# ------------------------------------------------------------------- remixes pay upstream


def test_a_remix_s_sale_pays_upstream_two_levels(w3, market, accounts) -> None:
    """A (the source) allows remixes at 20 %; B, a remix of A, allows them at 10 %; C remixes B.
    A sale of C's licence: C's owners keep 90 % of what is left after the fee, B's owners 90 % of
    the other 10 %, and A's owners the 20 % of that which B owes upstream."""
    a_keys, b_keys, c_keys = keys(2), keys(2), keys(1)
    b_buyer, c_buyer = accounts[3], accounts[4]
    a = market.register([k.address for k in a_keys], [6_000, 4_000])
    b = market.register([b_buyer.address, *[k.address for k in b_keys]], [5_000, 2_500, 2_500])
    c = market.register([c_buyer.address, c_keys[0].address], [5_000, 5_000])

    a_licence = market.publish(a, a_keys[:1], price=10**16, remix=True, upstream_bps=2_000)
    market.buy(b_buyer, a_licence, [a])
    b_majority = [b_buyer, b_keys[0]]  # 7,500 of 10,000
    market.record_parent(b, a_licence, b_buyer.address, b_majority)
    b_licence = market.publish(b, b_majority, price=10**16, remix=True, upstream_bps=1_000)
    market.buy(c_buyer, b_licence, [b, a])  # a sale of B pays A too
    c_signers = [c_keys[0], c_buyer]
    market.record_parent(c, b_licence, c_buyer.address, c_signers)
    c_offer = market.publish(c, c_signers, price=1_000_000_007)

    assert market.licensing.functions.lineageOf(c_offer).call() == [c.hash, b.hash, a.hash]
    with reverts("LineageMismatch", given=2, expected=3):
        market.buy(accounts[0], c_offer, [c, b])
    before = {owner: market.owed(owner) for owner in [*a.owners, *b.owners, *c.owners, accounts[7].address]}
    receipt = market.buy(accounts[0], c_offer, [c, b, a])

    fee, (c_credits, b_credits, a_credits) = sale_credits(
        1_000_000_007, FEE_BPS,
        [Level(c.owners, c.shares, 1_000), Level(b.owners, b.shares, 2_000), Level(a.owners, a.shares)])
    credited = market.credited(receipt)
    assert sum(amount for _, _, amount in credited) == 1_000_000_007
    for work, expected in [(c, c_credits), (b, b_credits), (a, a_credits)]:
        assert {payee: amount for h, payee, amount in credited if h == work.hash} == {
            p: v for p, v in expected.items() if v}
        assert {o: market.owed(o) - before[o] for o in work.owners} == expected
    after_fee = 1_000_000_007 - fee
    assert sum(c_credits.values()) == after_fee - after_fee // 10
    assert sum(a_credits.values()) == (after_fee // 10) // 5


def test_recording_a_remix_s_source_is_guarded(w3, market, accounts) -> None:
    holder = accounts[5]
    source_keys = keys(1)
    source = market.register([source_keys[0].address], [10_000])
    no_remix = market.publish(source, source_keys, price=1, remix=False)
    remixable = market.publish(source, source_keys, price=1, remix=True, upstream_bps=500)
    other = keys(1)[0]
    remix = market.register([holder.address, other.address], [5_000, 5_000])
    holder_key = holder

    with reverts("NotLicensed", holder=holder.address, licenceId=remixable):
        market.record_parent(remix, remixable, holder.address, [holder_key, other])
    market.buy(holder, no_remix, [source])
    with reverts("RemixNotAllowed", licenceId=no_remix):
        market.record_parent(remix, no_remix, holder.address, [holder_key, other])
    market.buy(holder, remixable, [source])
    with reverts("NoMajority", approvedShares=5_000):  # half is not a majority
        market.record_parent(remix, remixable, holder.address, [holder_key])
    market.record_parent(remix, remixable, holder.address, [holder_key, other])
    assert market.licensing.functions.parentOf(remix.hash).call() == remixable
    with reverts("ParentAlreadyRecorded", remix=remix.hash, licenceId=remixable):
        market.record_parent(remix, remixable, holder.address, [holder_key, other])

    # The source cannot in turn be recorded as a remix of its own remix: its owner buys the remix's
    # licence (so holds it) and signs, and the chain refuses the cycle.
    remix_licence = market.publish(remix, [holder_key, other], price=1, remix=True, upstream_bps=500)
    owner = source_keys[0]
    send_value(w3, accounts[6], owner.address, 10**17)
    market.buy(owner, remix_licence, [remix, source])
    with reverts("LineageCycle", remix=source.hash, source=remix.hash):
        market.record_parent(source, remix_licence, owner.address, source_keys)
    with reverts("ParentAlreadyRecorded", remix=remix.hash, licenceId=remixable):
        market.record_parent(remix, remix_licence, holder.address, [holder_key, other])
    solo = market.register([holder.address], [10_000])  # nor a work a remix of itself
    solo_licence = market.publish(solo, [holder_key], price=1, remix=True, upstream_bps=500)
    market.buy(holder, solo_licence, [solo])
    with reverts("LineageCycle", remix=solo.hash, source=solo.hash):
        market.record_parent(solo, solo_licence, holder.address, [holder_key])


# ------------------------------------------------------------------- attacks


def test_a_reentrant_payee_cannot_drain_or_withdraw_twice(w3, market, accounts) -> None:
    """A co-owner that is a contract re-enters `withdraw` from the payment it receives (five times
    over): the guard refuses the re-entry, the attacker gets exactly its credit, and what the others
    are owed stays in the contract."""
    attacker = deploy_test_contract(w3, accounts[6], "Reentrant", market.licensing.address)
    honest = keys(2)
    work = market.register([attacker.address, *[k.address for k in honest]], [2_000, 4_000, 4_000])
    offer_id = market.publish(work, honest, price=10**18)
    for buyer in accounts[:3]:
        market.buy(buyer, offer_id, [work])
    earned = market.owed(attacker.address)
    others = sum(market.owed(k.address) for k in honest) + market.owed(accounts[7].address)
    assert earned == 3 * (10**18 - 10**18 * FEE_BPS // 10_000) // 5
    assert w3.eth.get_balance(market.licensing.address) == earned + others

    withdraw = market.licensing.encode_abi("withdraw", args=[NATIVE])
    transact(w3, accounts[6], attacker.functions.attack(withdraw, 0, withdraw, 0, 5))

    assert w3.eth.get_balance(attacker.address) == earned
    assert (attacker.functions.succeeded().call(), attacker.functions.refused().call()) == (0, 1)
    assert market.owed(attacker.address) == 0
    assert w3.eth.get_balance(market.licensing.address) == others
    with reverts("NothingToWithdraw", payee=attacker.address, token=NATIVE):
        transact(w3, accounts[6], attacker.functions.attack(withdraw, 0, withdraw, 0, 0))
    for key in honest:  # the others are paid in full
        owed = market.owed(key.address)
        send_value(w3, accounts[6], key.address, 10**16)
        before = w3.eth.get_balance(key.address)
        receipt = transact(w3, key, market.licensing.functions.withdraw(NATIVE))
        spent = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        assert w3.eth.get_balance(key.address) == before + owed - spent
    assert w3.eth.get_balance(market.licensing.address) == market.owed(accounts[7].address)


def test_a_reentrant_buyer_cannot_oversell_a_limited_edition(w3, market, accounts) -> None:
    """A buyer contract re-enters `buy` from the ERC-1155 receiver check of its first licence, on an
    edition of one: the re-entry is refused and it holds one licence, having paid once."""
    attacker = deploy_test_contract(w3, accounts[6], "Reentrant", market.licensing.address)
    send_value(w3, accounts[6], attacker.address, 3 * 10**17)
    signers = keys(1)
    work = market.register([signers[0].address], [10_000])
    offer_id = market.publish(work, signers, price=10**17, max_quantity=1)
    buy = market.licensing.encode_abi("buy", args=[offer_id, attacker.address, [work.holders]])
    withdraw = market.licensing.encode_abi("withdraw", args=[NATIVE])

    transact(w3, accounts[6], attacker.functions.attack(buy, 10**17, buy, 10**17, 1))
    assert market.licensing.functions.balanceOf(attacker.address, offer_id).call() == 1
    assert market.offer(offer_id)["sold"] == 1
    assert (attacker.functions.succeeded().call(), attacker.functions.refused().call()) == (0, 1)
    assert w3.eth.get_balance(attacker.address) == 2 * 10**17
    assert w3.eth.get_balance(market.licensing.address) == 10**17

    # Nor can a buyer reach a withdrawal from inside its purchase.
    second = market.publish(work, signers, price=10**17)
    buy = market.licensing.encode_abi("buy", args=[second, attacker.address, [work.holders]])
    transact(w3, accounts[6], attacker.functions.attack(buy, 10**17, withdraw, 0, 1))
    assert (attacker.functions.succeeded().call(), attacker.functions.refused().call()) == (0, 2)


def test_a_payee_refusing_payment_blocks_no_sale_where_a_push_design_is_blocked(w3, market, registry,
                                                                                 accounts) -> None:
    refuser = deploy_test_contract(w3, accounts[6], "Refuser")
    signers = keys(1)
    work = market.register([refuser.address, signers[0].address], [4_000, 6_000])
    offer_id = market.publish(work, signers, price=10**15)
    market.buy(accounts[0], offer_id, [work])
    market.buy(accounts[1], offer_id, [work])
    assert market.owed(refuser.address) == 2 * (10**15 - 10**15 * FEE_BPS // 10_000) * 4 // 10

    naive = deploy(w3, accounts[9], NAIVE_LICENSING, registry.address, FEE_BPS, accounts[7].address)
    owner = accounts[2]
    pushed = market.register([refuser.address, owner.address], [4_000, 6_000])
    transact(w3, owner, naive.functions.publishOffer(pushed.hash, 10**15, 0, *pushed.holders))
    with pytest.raises(ContractLogicError):  # the baseline pays during the purchase: the refuser blocks it
        transact(w3, accounts[0], naive.functions.buy(1, accounts[0].address, *pushed.holders), value=10**15)


def test_a_share_transfer_after_a_sale_moves_no_earned_balance(w3, market, accounts) -> None:
    alice, bob, carol = accounts[0], accounts[1], accounts[2]
    work = market.register([alice.address, bob.address], [6_000, 4_000])
    offer_id = market.publish(work, [alice], price=1_000_000)
    market.buy(accounts[5], offer_id, [work])
    earned = {person.address: market.owed(person.address) for person in (alice, bob, carol)}
    assert earned == {alice.address: 585_000, bob.address: 390_000, carol.address: 0}

    receipt = transact(w3, alice, market.registry.functions.transferShare(work.hash, *work.holders,
                                                                          carol.address, 6_000))
    (changed,) = market.registry.events.OwnersChanged().process_receipt(receipt, errors=DISCARD)
    assert {person.address: market.owed(person.address) for person in (alice, bob, carol)} == earned
    with reverts("StateMismatch", contentHash=work.hash):  # the old owners are no longer paid
        market.buy(accounts[5], offer_id, [work])
    work.owners, work.shares = list(changed.args.owners), list(changed.args.shares)
    market.buy(accounts[5], offer_id, [work])
    assert market.owed(alice.address) == 585_000  # earned before the transfer, still hers
    assert market.owed(carol.address) == 585_000  # the next sale's share is carol's
    assert market.owed(bob.address) == 780_000
    transact(w3, alice, market.licensing.functions.withdraw(NATIVE))
    assert market.owed(alice.address) == 0


# ------------------------------------------------------------------- who may publish and close


def test_only_a_majority_by_share_publishes(w3, market, accounts) -> None:
    a, b, c = keys(3)
    work = market.register([a.address, b.address, c.address], [5_000, 2_500, 2_500])
    with reverts("NoMajority", approvedShares=5_000):  # exactly half is not enough
        market.publish(work, [a], price=1)
    with reverts("NoMajority", approvedShares=5_000):
        market.publish(work, [b, c], price=1)
    with reverts("NoMajority", approvedShares=0):
        market.publish(work, [], price=1)

    terms = market.terms(work, price=1)
    message = market.typed("PublishOffer", publish_message(terms, NEVER))
    outsider = Account.create()
    forged = approvals(work.owners, [a], message)
    forged[1] = approvals([outsider.address], [outsider], message)[0]  # signed by someone else
    with reverts("BadSignature", owner=b.address):
        transact(w3, market.relayer, market.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, work.holders, forged))
    other_terms = market.terms(work, price=2)  # signatures of other terms do not count
    other = market.typed("PublishOffer", publish_message(other_terms, NEVER))
    signatures = approvals(work.owners, [a, b], other)
    with reverts("BadSignature", owner=a.address):
        transact(w3, market.relayer, market.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, work.holders, signatures))
    with reverts("LengthMismatch", owners=3, signatures=2):
        transact(w3, market.relayer, market.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, work.holders, approvals(work.owners, [a, b], message)[:2]))
    now = w3.eth.get_block("latest")["timestamp"]
    with reverts("SignaturesExpired", deadline=now - 1):
        market.publish(work, [a, b], deadline=now - 1, price=1)
    with reverts("FeeMismatch", offered=0, current=FEE_BPS):
        market.publish(work, [a, b], price=1, fee_bps=0)
    with reverts("StateMismatch", contentHash=work.hash):
        market.publish(Work(work.hash, work.owners, [4_000, 3_000, 3_000]), [a, b], price=1)

    offer_id = market.publish(work, [a, b], terms)
    assert market.offer(offer_id)["active"]
    with reverts("OfferExists", offerId=offer_id):  # a resubmitted publication
        market.publish(work, [a, b], terms)

    # Signed by a contract that did not sign in another deployment (domain: chain and contract).
    elsewhere = deploy_licensing(w3, market.registry, accounts[8], accounts[7].address)
    replay = approvals(work.owners, [a, b], message)
    with reverts("BadSignature", owner=a.address):
        transact(w3, market.relayer, elsewhere.functions.publishOffer(terms.as_tuple(), NEVER, work.holders,
                                                                      replay))


def test_only_a_majority_by_share_now_closes(w3, market, accounts) -> None:
    a, b, c = [*keys(2), accounts[2]]
    work = market.register([a.address, b.address, c.address], [4_000, 4_000, 2_000])
    offer_id = market.publish(work, [a, b], price=1_000)
    market.buy(accounts[0], offer_id, [work])
    with reverts("NoMajority", approvedShares=4_000):
        market.close(offer_id, work, [a])
    receipt = market.close(offer_id, work, [a, c])
    (closed,) = market.licensing.events.OfferClosed().process_receipt(receipt, errors=DISCARD)
    assert (closed.args.offerId, closed.args.contentHash) == (offer_id, work.hash)
    assert not market.offer(offer_id)["active"]
    with reverts("OfferNotActive", offerId=offer_id):
        market.buy(accounts[0], offer_id, [work])
    with reverts("OfferNotActive", offerId=offer_id):  # closed for good
        market.close(offer_id, work, [a, b, c])
    assert market.licensing.functions.balanceOf(accounts[0].address, offer_id).call() == 1  # sold stays
    with reverts("UnknownOffer", offerId=7):
        market.close(7, work, [a, b])


def test_a_signer_who_sold_their_share_no_longer_counts(w3, market, accounts) -> None:
    seller, buyer_of_share = accounts[3], accounts[4]
    other = keys(1)[0]
    work = market.register([seller.address, other.address], [6_000, 4_000])
    terms = market.terms(work, price=1)
    signatures = approvals(work.owners, [seller],
                           market.typed("PublishOffer", publish_message(terms, NEVER)))
    receipt = transact(w3, seller, market.registry.functions.transferShare(
        work.hash, *work.holders, buyer_of_share.address, 6_000))
    (changed,) = market.registry.events.OwnersChanged().process_receipt(receipt, errors=DISCARD)
    now = Work(work.hash, list(changed.args.owners), list(changed.args.shares))
    assert now.owners == [other.address, buyer_of_share.address]
    with reverts("NoMajority", approvedShares=0):  # the old signature, placed where it could count
        transact(w3, market.relayer, market.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, now.holders, [b"", b""]))
    with reverts("BadSignature", owner=buyer_of_share.address):
        transact(w3, market.relayer, market.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, now.holders, [b"", signatures[0]]))
    market.publish(now, [buyer_of_share], terms)


def test_the_admin_sets_the_fee_within_its_cap_and_published_offers_keep_theirs(w3, market, accounts) -> None:
    admin, recipient = accounts[8], accounts[6]
    signers = keys(1)
    work = market.register([signers[0].address], [10_000])
    old_offer = market.publish(work, signers, price=10_000)
    with reverts("OwnableUnauthorizedAccount", account=accounts[0].address):
        transact(w3, accounts[0], market.licensing.functions.setFee(0, accounts[0].address))
    with reverts("FeeTooHigh", feeBps=1_001, max=1_000):
        transact(w3, admin, market.licensing.functions.setFee(1_001, recipient.address))
    with reverts("ZeroAddress"):
        transact(w3, admin, market.licensing.functions.setFee(100, NATIVE))
    receipt = transact(w3, admin, market.licensing.functions.setFee(1_000, recipient.address))
    (changed,) = market.licensing.events.FeeChanged().process_receipt(receipt, errors=DISCARD)
    assert (changed.args.feeBps, changed.args.recipient) == (1_000, recipient.address)

    market.buy(accounts[0], old_offer, [work])  # published at 2.5 %: still 2.5 %, to the new recipient
    assert market.owed(recipient.address) == 250
    new_offer = market.publish(work, signers, price=10_000)
    market.buy(accounts[0], new_offer, [work])
    assert market.owed(recipient.address) == 250 + 1_000
    assert market.owed(accounts[7].address) == 0
    assert market.owed(signers[0].address) == 9_750 + 9_000


# ------------------------------------------------------------------- the property


@pytest.fixture(scope="session")
def shared_market(w3, shared_registry, accounts) -> Market:
    """One deployment for every example of the property (each registers a fresh work)."""
    licensing = deploy_licensing(w3, shared_registry, accounts[8], accounts[7].address)
    return Market(w3, shared_registry, licensing, accounts[9])


@pytest.fixture(scope="session")
def shared_stablecoin(w3, accounts) -> Contract:
    return deploy(w3, accounts[9], STABLECOIN, accounts[9].address)


SIGNERS = [Account.from_key(Web3.keccak(text=f"storyloom licensing owner {i}")) for i in range(12)]
NATIVE_UP_TO = 10**20  # dearer prices are paid in the stablecoin (anvil's accounts hold 10**22 wei)


@st.composite
def share_tables(draw: st.DrawFn) -> tuple[list[LocalAccount], list[int]]:
    """1 to 12 distinct owners and positive shares adding up to 10,000."""
    count = draw(st.integers(1, len(SIGNERS)))
    owners = draw(st.permutations(SIGNERS))[:count]
    cuts = sorted(draw(st.sets(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 10_000]
    return owners, [bounds[i + 1] - bounds[i] for i in range(count)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(share_tables(), st.integers(0, 2**96 - 1), st.integers(0, 1_000))
def test_credits_add_up_to_the_price_less_the_fee(shared_market, shared_stablecoin, accounts, table, price,
                                                   fee_bps) -> None:
    """Random share tables, prices (up to the largest a uint96 holds) and fees: the owners' credits
    add up to the price less the fee, each as the Python model says."""
    market, coin, buyer = shared_market, shared_stablecoin, accounts[0]
    signers, shares = table
    if market.licensing.functions.feeBps().call() != fee_bps:
        transact(market.w3, accounts[8], market.licensing.functions.setFee(fee_bps, accounts[7].address))
    token = NATIVE if price <= NATIVE_UP_TO else coin.address
    if token != NATIVE:
        transact(market.w3, accounts[9], coin.functions.mint(buyer.address, price))
        transact(market.w3, buyer, coin.functions.approve(market.licensing.address, price))
    work = market.register([s.address for s in signers], shares)
    offer_id = market.publish(work, signers, price=price, token=token)
    before = {owner: market.owed(owner, token) for owner in [*work.owners, accounts[7].address]}

    receipt = market.buy(buyer, offer_id, [work])

    credits = {owner: market.owed(owner, token) - before[owner] for owner in work.owners}
    fee = market.owed(accounts[7].address, token) - before[accounts[7].address]
    assert fee == price * fee_bps // 10_000
    assert sum(credits.values()) == price - fee
    assert credits == sale_credits(price, fee_bps, [Level(*work.holders)])[1][0]
    assert sum(amount for _, _, amount in market.credited(receipt)) == price
