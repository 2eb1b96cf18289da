"""Licences for sale: offers the owners of a registered work approve together, purchases, and
withdrawals of what sales earned (StoryloomLicensing; its notes are the rules the chain enforces).

- An owner proposes an offer (terms, price, edition size); every owner approves it by signing its
  terms as EIP-712 typed data (the platform signs for custodial owners, with their derived keys,
  when they press Approve). Once those who approved hold more than half of the shares, the
  platform's key publishes it through the outbox. Closing an offer takes the same majority.
- A person buys from their custodial address, which pays the price (its own ETH or stablecoin,
  never the platform's) and receives the licence token, or their linked wallet receives it.
- Each co-owner's credits are withdrawn from their custodial address to itself, or to their
  linked wallet.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from web3 import Web3
from web3.contract import Contract

from accounts.selectors import linked_wallet
from kernel.errors import Conflict, NotFound, ValidationFailed
from rights.allowance import chain_allowance_use
from rights.chain import licensing as terms_code
from rights.chain.client import accounts_fund
from rights.chain.queue import enqueue
from rights.chain.reads import ChainUnavailable, licensing_connect, node_errors
from rights.chain.sales import APPROVAL_S
from rights.keys import platform_account, user_account, user_address
from rights.licences import LICENCE_URLS, LicenceKind
from rights.models import (
    ApprovalKind,
    ChainContract,
    ChainRequest,
    ChainTx,
    Currency,
    Offer,
    OfferApproval,
    OfferStatus,
    Purchase,
    PurchaseStatus,
    TxStatus,
    Work,
)
from rights.money import amount_display, decimals
from rights.services.onchain import _owned_registered
from rights.shares import TOTAL_SHARES

if TYPE_CHECKING:
    from accounts.models import User

MAX_QUANTITY = 1_000_000
MAX_PRICE_UNITS = 2**96 - 1  # the contract's uint96
NO_REFUNDS = "No refunds: a licence bought is final, and its price is not returned."


def _units(price: str, currency: str) -> int:
    try:
        value = Decimal(str(price).strip())
    except InvalidOperation:
        value = Decimal(-1)
    units = value.scaleb(decimals(currency)) if value.is_finite() else Decimal(-1)
    if units != units.to_integral_value() or not 0 < units <= MAX_PRICE_UNITS:
        raise ValidationFailed(_("The offer needs changing."), fields={"price": [
            _("A positive amount, with at most %(places)s decimal places.") % {
                "places": decimals(currency)}]})
    return int(units)


def _unavailable(error: ChainUnavailable) -> Conflict:
    return Conflict(_("The chain cannot be reached now; nothing was changed. Try again shortly. (%(why)s)")
                    % {"why": error}, code="chain_unavailable")


def _chain() -> tuple[Contract, Contract]:
    try:
        return licensing_connect()
    except ChainUnavailable as error:
        raise _unavailable(error) from None


@contextmanager
def _reading() -> Iterator[None]:
    """Reads of the chain a request waits on: a node that fails half-way refuses the request (409,
    nothing written), as one found down before does."""
    try:
        with node_errors():
            yield
    except ChainUnavailable as error:
        raise _unavailable(error) from None


def _token(currency: str, coin: Contract) -> str:
    """The payment token's address: zeros for the chain's currency."""
    return terms_code.NATIVE if currency == Currency.NATIVE else Web3.to_checksum_address(coin.address)


def terms_text(*, title: str, licence: str, custom: str, commercial: bool, remix_allowed: bool,
               upstream_bps: int, territory: str, duration_days: int | None) -> str:
    """The whole licence a buyer agrees to: its sha256 is what the chain records."""
    kind = LicenceKind(licence)
    link = f" ({LICENCE_URLS[kind]})" if kind in LICENCE_URLS else ""
    lines = [title, "", f"Licence: {kind.label}{link}"]
    if custom.strip():
        lines += ["", custom.strip(), ""]
    lines += [f"Commercial use: {'allowed' if commercial else 'not allowed'}",
              f"Territory: {territory}",
              f"Duration: {f'{duration_days} days from purchase' if duration_days else 'perpetual'}",
              ("Remixes: allowed; " + f"{upstream_bps / 100:g} % of each remix's licence sales is paid to "
               "this work's owners" if remix_allowed else "Remixes: not allowed"),
              NO_REFUNDS]
    return "\n".join(lines)


@transaction.atomic
def offer_propose(*, work_id: str, user: User, title: str, licence: str, custom_terms: str = "",
                  commercial: bool = False, remix_allowed: bool = False, upstream_bps: int = 0,
                  territory: str = "Worldwide", duration_days: int | None = None,
                  currency: str = Currency.NATIVE, price: str, max_quantity: int = 0) -> Offer:
    """An owner proposes an offer; it is their approval too (published at once when they hold a
    majority)."""
    work, _owner = _owned_registered(work_id, user)
    fields: dict[str, list[str]] = {}
    title, territory = title.strip(), (territory or "").strip() or "Worldwide"
    if not 1 <= len(title) <= 120:
        fields["title"] = [_("A name for the offer, up to 120 characters.")]
    if licence not in LicenceKind.values:
        fields["licence"] = [_("Choose a licence.")]
    elif licence in (LicenceKind.CUSTOM, LicenceKind.ALL_RIGHTS_RESERVED) and not custom_terms.strip():
        fields["custom_terms"] = [_("Write what the buyer may do.")]
    if len(custom_terms) > 10_000:
        fields["custom_terms"] = [_("At most 10,000 characters.")]
    if len(territory) > 120:
        fields["territory"] = [_("At most 120 characters.")]
    if duration_days is not None and not 1 <= duration_days <= 36_500:
        fields["duration_days"] = [_("From 1 to 36,500 days, or none for a perpetual licence.")]
    if not 0 <= upstream_bps <= TOTAL_SHARES or (upstream_bps and not remix_allowed):
        fields["upstream_bps"] = [_("From 0 to 10,000 basis points, and only when remixes are allowed.")]
    if not 0 <= max_quantity <= MAX_QUANTITY:
        fields["max_quantity"] = [_("From 1 to 1,000,000, or 0 for unlimited.")]
    if currency not in Currency.values:
        fields["currency"] = [_("ETH or the stablecoin.")]
    if fields:
        raise ValidationFailed(_("The offer needs changing."), fields=fields)
    units = _units(price, currency)
    contract, coin = _chain()
    with _reading():
        fee_bps = int(contract.functions.feeBps().call())
    text = terms_text(title=title, licence=licence, custom=custom_terms, commercial=commercial,
                      remix_allowed=remix_allowed, upstream_bps=upstream_bps, territory=territory,
                      duration_days=duration_days)
    offer = Offer(work=work, salt="0x" + secrets.token_hex(32), title=title, licence=licence, terms=text,
                  terms_sha256=hashlib.sha256(text.encode()).hexdigest(), commercial=commercial,
                  remix_allowed=remix_allowed, upstream_bps=upstream_bps, territory=territory,
                  duration_days=duration_days, currency=currency,
                  token=_token(currency, coin),
                  price=units, max_quantity=max_quantity, fee_bps=fee_bps,
                  deadline=int(time.time()) + APPROVAL_S, proposed_by=user)
    offer.offer_id = "0x" + _terms(offer).offer_id.to_bytes(32, "big").hex()
    chain_allowance_use(user=user, key=f"offer:{offer.offer_id}", kind=ChainRequest.OFFER)
    offer.save()
    return _approve(offer, work, user, ApprovalKind.PUBLISH, contract.address)


def _terms(offer: Offer) -> terms_code.Terms:
    return terms_code.Terms(
        content_hash=bytes.fromhex(offer.work.sha256), terms_hash=bytes.fromhex(offer.terms_sha256),
        token=offer.token, price=int(offer.price), max_quantity=offer.max_quantity,
        upstream_bps=offer.upstream_bps, fee_bps=offer.fee_bps, commercial=offer.commercial,
        remix_allowed=offer.remix_allowed, salt=bytes.fromhex(offer.salt[2:]))


def _message(offer: Offer, kind: str, deadline: int, contract_address: str) -> dict:
    message = (terms_code.publish_message(_terms(offer), deadline) if kind == ApprovalKind.PUBLISH
               else terms_code.close_message(int(offer.offer_id, 16), deadline))
    return terms_code.typed_data(contract_address, settings.CHAIN_ID,
                                 "PublishOffer" if kind == ApprovalKind.PUBLISH else "CloseOffer", message)


def _approve(offer: Offer, work: Work, user: User, kind: str, contract_address: str) -> Offer:
    """The user's custodial signature of the offer's publication or closing; the call is queued
    once the signers hold a majority of the shares."""
    owner = work.owners.filter(user=user).first()
    if owner is None or owner.address.lower() != user_address(user.pk).lower():
        raise Conflict(_("Your share is held by your own wallet: sign with it."), code="sign_with_wallet")
    deadline = offer.deadline if kind == ApprovalKind.PUBLISH else int(time.time()) + APPROVAL_S
    existing = offer.approvals.filter(kind=kind).first()
    if kind == ApprovalKind.CLOSE and existing is not None:
        deadline = existing.deadline  # every owner signs the same message
    signature = terms_code.sign(user_account(user.pk), _message(offer, kind, deadline, contract_address))
    OfferApproval.objects.get_or_create(offer=offer, kind=kind, address=owner.address, defaults={
        "user": user, "deadline": deadline, "signature": "0x" + signature.hex()})
    approvers = {a.lower() for a in offer.approvals.filter(kind=kind).values_list("address", flat=True)}
    held = sum(o.bps for o in work.owners.all() if o.address.lower() in approvers)
    if held * 2 <= TOTAL_SHARES:
        return offer
    # One publication per offer; a closing each time a majority asks (one that failed is asked afresh).
    function = "publishOffer" if kind == ApprovalKind.PUBLISH else "closeOffer"
    attempt = "" if kind == ApprovalKind.PUBLISH else f":{uuid.uuid4().hex}"
    enqueue(key=f"{function}:{offer.offer_id}{attempt}", signer=platform_account().address,
            function=function, args=[None], work=work, meta={"offer": offer.pk, "deadline": deadline},
            contract=ChainContract.LICENSING)
    offer.status = OfferStatus.PUBLISHING if kind == ApprovalKind.PUBLISH else OfferStatus.CLOSING
    offer.save(update_fields=["status"])
    return offer


def _offer_of_owner(offer_id: str, user: User) -> tuple[Offer, Work]:
    offer = Offer.objects.select_for_update().filter(offer_id=offer_id).select_related("work").first()
    if offer is None or not offer.work.owners.filter(user=user).exists():
        raise NotFound(_("No such offer."))
    return offer, offer.work


@transaction.atomic
def offer_approve(*, offer_id: str, user: User) -> Offer:
    offer, work = _offer_of_owner(offer_id, user)
    if offer.status != OfferStatus.APPROVING:
        raise Conflict(_("The offer is %(status)s.") % {"status": offer.get_status_display()},
                       code="offer_not_approving")
    if offer.expired:
        raise Conflict(_("The owners did not approve this offer in time; propose it again."),
                       code="offer_expired")
    contract, _coin = _chain()
    return _approve(offer, work, user, ApprovalKind.PUBLISH, contract.address)


@transaction.atomic
def offer_close(*, offer_id: str, user: User) -> Offer:
    """An owner asks to close an offer: it closes once owners holding a majority asked."""
    offer, work = _offer_of_owner(offer_id, user)
    if offer.status == OfferStatus.APPROVING:  # never published: nothing on chain to close
        offer.status = OfferStatus.CLOSED
        offer.save(update_fields=["status"])
        return offer
    if offer.status not in (OfferStatus.ACTIVE, OfferStatus.SOLD_OUT):
        raise Conflict(_("The offer is %(status)s.") % {"status": offer.get_status_display()},
                       code="offer_not_active")
    contract, _coin = _chain()
    chain_allowance_use(user=user, key=f"close:{offer.offer_id}:{user.pk}", kind=ChainRequest.OFFER)
    return _approve(offer, work, user, ApprovalKind.CLOSE, contract.address)


def payout_address(user: User) -> str:
    """Where the user's licences and withdrawals go: their linked wallet, else their custodial address."""
    return linked_wallet(user.pk) or user_address(user.pk)


@transaction.atomic
def licence_buy(*, offer_id: str, user: User) -> Purchase:
    """Buy one licence of an offer on sale, paid from the user's custodial address. Asking again
    while a purchase of the same offer is paying returns that purchase."""
    offer = Offer.objects.select_for_update().filter(offer_id=offer_id).select_related("work").first()
    if offer is None or offer.status not in (OfferStatus.ACTIVE, OfferStatus.SOLD_OUT, OfferStatus.CLOSED):
        raise NotFound(_("No such offer."))
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict(_("This offer is %(status)s.") % {"status": offer.get_status_display()},
                       code="offer_not_on_sale")
    paying = offer.purchases.filter(buyer=user, status=PurchaseStatus.PENDING).first()
    if paying is not None:
        return paying
    if offer.work.owners.filter(user=user).exists():
        raise Conflict(_("You own a share of this work: you need no licence for it."), code="own_work")
    if offer.max_quantity and offer.sold + offer.purchases.filter(status=PurchaseStatus.PENDING).count() \
            >= offer.max_quantity:
        raise Conflict(_("This edition is sold out."), code="sold_out")
    payer = user_address(user.pk)
    if offer.currency == Currency.STABLECOIN and Purchase.objects.filter(
            buyer=user, status=PurchaseStatus.PENDING, offer__currency=Currency.STABLECOIN).exists():
        # (its allowance would replace the other's before that one is spent)
        raise Conflict(_("Another of your purchases in the stablecoin is paying: buy this one once it is "
                         "done."), code="purchase_in_flight")
    contract, coin = _chain()
    price = int(offer.price)
    with _reading():
        w3 = contract.w3
        balance = (w3.eth.get_balance(Web3.to_checksum_address(payer)) if offer.currency == Currency.NATIVE
                   else coin.functions.balanceOf(Web3.to_checksum_address(payer)).call())
    if balance < price:
        raise Conflict(_("Your balance (%(balance)s) is less than the price (%(price)s).") % {
            "balance": amount_display(balance, offer.currency),
            "price": amount_display(price, offer.currency)},
            code="insufficient_funds")
    key = uuid.uuid4().hex
    chain_allowance_use(user=user, key=f"buy:{key}", kind=ChainRequest.PURCHASE)
    licensee = payout_address(user)
    purchase = Purchase.objects.create(offer=offer, buyer=user, licensee=licensee, payer=payer, price=price)
    after = ""
    if offer.currency == Currency.STABLECOIN:
        after = f"allow:{key}"
        enqueue(key=after, signer=payer, function="approve", args=[contract.address, price],
                signer_user=user, meta={"purchase": purchase.pk}, contract=ChainContract.STABLECOIN)
    purchase.tx = enqueue(
        key=f"buy:{key}", signer=payer, function="buy", args=[int(offer.offer_id, 16), licensee, None],
        signer_user=user, meta={"offer": offer.pk, "purchase": purchase.pk, "after": after},
        contract=ChainContract.LICENSING, value=price if offer.currency == Currency.NATIVE else 0)
    purchase.save(update_fields=["tx"])
    return purchase


@transaction.atomic
def earnings_withdraw(*, user: User, currency: str) -> ChainTx:
    """Withdraw everything the user's custodial address is owed in a currency, to itself or to
    their linked wallet. One withdrawal per currency at a time."""
    if currency not in Currency.values:
        raise ValidationFailed(_("ETH or the stablecoin."),
                               fields={"currency": [_("ETH or the stablecoin.")]})
    payee = user_address(user.pk)
    contract, coin = _chain()
    token = _token(currency, coin)
    in_flight = ChainTx.objects.filter(signer=payee, function__in=("withdraw", "withdrawTo"), args__0=token,
                                       status__in=(TxStatus.PENDING, TxStatus.SUBMITTED)).first()
    if in_flight is not None:
        return in_flight
    with _reading():
        owed = int(contract.functions.owed(token, Web3.to_checksum_address(payee)).call())
    if not owed:
        raise Conflict(_("Nothing to withdraw in %(currency)s.") % {"currency": Currency(currency).label},
                       code="nothing_to_withdraw")
    key = f"withdraw:{uuid.uuid4().hex}"
    chain_allowance_use(user=user, key=key, kind=ChainRequest.WITHDRAWAL)
    wallet = linked_wallet(user.pk)
    return enqueue(key=key, signer=payee, function="withdrawTo" if wallet else "withdraw",
                   args=[token, wallet] if wallet else [token], signer_user=user,
                   meta={"amount": str(owed), "currency": currency}, contract=ChainContract.LICENSING)


def demo_accounts_fund(*, user_ids: list[int]) -> list[str]:
    """On the embedded development chain only: ETH and test stablecoin for these people's custodial
    addresses (what `up` gives the demo accounts, so they can buy licences). Returns those funded."""
    return accounts_fund([user_address(user_id) for user_id in user_ids])
