"""A verification's licences for sale: the published licence offers of each work matched (one query
for all of them), the licence token asked about (its work and terms read live with `licenceTerms`, and
its terms hash checked against Storyloom's offer), and whether a holder holds a licence of the work
(`balanceOfBatch`, read live, for each of its offers or the one asked about).

The licensing contract is read on the node `rights.chain.reads` checks (`licensing_connect`), once per
answer; when it cannot be read the answer says so ("could not be checked") and the rest of the
verification goes on, as it does when the registry cannot be read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from web3.contract import Contract

from rights.chain.reads import ChainReader, ChainUnavailable, licensing_connect, node_errors
from rights.licences import LicenceKind
from rights.models import Offer, OfferStatus
from rights.money import amount_display
from rights.selectors import PUBLIC_OFFER

ZERO32 = b"\0" * 32
T = TypeVar("T")


class HolderState:
    LICENSED = "licensed"  # holds at least one licence token of the work (or of the licence asked about)
    NOT_LICENSED = "not_licensed"
    NO_SUCH_LICENCE = "no_such_licence"  # the licence asked about does not exist
    OTHER_WORK = "other_work"  # the licence asked about is one of another work
    UNKNOWN = "unknown"  # the chain could not be read


@dataclass(frozen=True)
class OfferRef:
    """A published licence offer of a work, as verification shows it."""

    id: str  # the offer's id, which is its licence token's id (0x and 64 hexadecimal digits)
    token_id: str  # the same id in decimal, as wallets show ERC-1155 token ids
    title: str
    licence: str  # its LicenceKind
    licence_name: str
    commercial: bool
    remix_allowed: bool
    price: str  # for people: "0.3 ETH"
    price_units: str  # in the currency's smallest unit
    currency: str
    sold: int
    max_quantity: int  # the edition size; 0: unlimited
    status: str
    status_label: str
    url: str  # the offer's page
    terms_sha256: str


@dataclass(frozen=True)
class Holding:
    offer_id: str
    token_id: str
    title: str  # the offer's ("" when Storyloom does not know the offer)
    tokens: int


@dataclass
class LicenceToken:
    """The licence token asked about (`licence`): what the licensing contract says of it, read live,
    and Storyloom's offer of that id."""

    id: str  # 0x-hex
    token_id: str  # decimal
    live: bool  # the licensing contract was read
    exists: bool | None  # an offer with this id was published on the contract (None: unknown)
    content_hash: str  # the licensed work's SHA-256 (the chain's; else Storyloom's offer's; "" unknown)
    terms_hash: str  # 0x-hex, as the contract holds it ("" when not read)
    terms_match: bool | None  # the contract's terms hash is the offer's terms_sha256 (None: not both known)
    offer: OfferRef | None  # Storyloom's offer, once published
    message: str


@dataclass
class HolderCheck:
    holder: str  # EIP-55
    licence: str  # the licence asked about ("" : any of the work's)
    state: str  # HolderState
    message: str
    live: bool
    error: str  # why it could not be checked
    holdings: list[Holding] = field(default_factory=list)  # what the holder holds (tokens > 0)
    checked: list[str] = field(default_factory=list)  # the licence token ids read


# --- offers -----------------------------------------------------------------------------------------


def _token_id(offer_id: str) -> str:
    return str(int(offer_id, 16))


def offer_ref(offer: Offer) -> OfferRef:
    return OfferRef(
        id=offer.offer_id, token_id=_token_id(offer.offer_id), title=offer.title, licence=offer.licence,
        licence_name=str(LicenceKind(offer.licence).label), commercial=offer.commercial,
        remix_allowed=offer.remix_allowed, price=amount_display(offer.price, offer.currency),
        price_units=str(int(offer.price)), currency=offer.currency, sold=offer.sold,
        max_quantity=offer.max_quantity, status=offer.status,
        status_label=str(OfferStatus(offer.status).label), url=reverse("works:offer", args=[offer.offer_id]),
        terms_sha256=offer.terms_sha256)


def published_offers(work_ids: list[str]) -> dict[str, list[OfferRef]]:
    """The published offers (on sale, sold out, closing or closed: licences sold stay valid) of each
    of these works, by the work's public id, in one query; on sale first, then cheapest."""
    found: dict[str, list[OfferRef]] = defaultdict(list)
    if not work_ids:
        return {}
    offers = Offer.objects.filter(work__public_id__in=work_ids, status__in=PUBLIC_OFFER).select_related(
        "work")
    for offer in sorted(offers, key=lambda o: (o.status != OfferStatus.ACTIVE, o.price, o.pk)):
        found[offer.work.public_id].append(offer_ref(offer))
    return dict(found)


# --- the licensing contract, read live ----------------------------------------------------------------


class LicensingReader(ChainReader):
    """The licensing contract for one answer (ChainReader's reads): connected on first use; after a
    failure (or when the registry could not be read, `error`), every read is skipped."""

    def __init__(self, *, error: str = "") -> None:  # (not ChainReader's: no registry connection)
        self.contract: Contract | None = None
        self.error = error
        self._tried = bool(error)

    def read(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        if not self._tried:
            self._tried = True
            try:
                self.contract, _coin = licensing_connect()
            except ChainUnavailable as error:
                self.error = str(error)
        return super().read(function, *args, **kwargs)


def licence_terms(contract: Contract, licence: str) -> tuple[bytes, bytes]:
    """`licenceTerms(tokenId)`: the licensed work's content hash and the terms hash (zeros: no
    offer has this id)."""
    with node_errors():
        content, terms = contract.functions.licenceTerms(int(licence, 16)).call()
    return bytes(content), bytes(terms)


def licence_balances(contract: Contract, holder: str, licences: list[str]) -> list[int]:
    """`balanceOfBatch`: how many tokens of each licence the holder holds, in one call."""
    with node_errors():
        balances = contract.functions.balanceOfBatch([holder] * len(licences),
                                                     [int(licence, 16) for licence in licences]).call()
    return [int(balance) for balance in balances]


def licence_lookup(licence: str, reader: LicensingReader) -> LicenceToken:
    """The licence token `licence`: its work and terms from the contract, read live, and Storyloom's
    published offer of that id (which also answers, marked not live, when the chain cannot be read)."""
    offer = Offer.objects.filter(offer_id=licence, status__in=PUBLIC_OFFER).select_related("work").first()
    ref = offer_ref(offer) if offer is not None else None
    token = LicenceToken(id=licence, token_id=_token_id(licence), live=False, exists=None, content_hash="",
                         terms_hash="", terms_match=None, offer=ref, message="")
    terms = reader.read(licence_terms, licence)
    if terms is not None:
        content, terms_hash = terms
        token.live, token.exists = True, content != ZERO32
        if token.exists:
            token.content_hash, token.terms_hash = content.hex(), "0x" + terms_hash.hex()
            if offer is not None:
                token.terms_match = terms_hash.hex() == offer.terms_sha256
    elif offer is not None:
        token.content_hash = offer.work.sha256
    token.message = _licence_message(token, reader.error)
    return token


def _licence_message(token: LicenceToken, error: str) -> str:
    if token.exists is False:
        return _("No licence token has this id on the licensing contract.")
    if not token.live:
        if token.offer is None:
            return _("The licensing contract could not be read, and Storyloom knows no licence with this "
                     "id (%(error)s).") % {"error": error}
        return _("Licence “%(title)s”, as Storyloom records it; the licensing contract could not be read "
                 "to confirm it (%(error)s).") % {"title": token.offer.title, "error": error}
    if token.terms_match is False:
        return _("The licensing contract's terms for this licence are not the terms Storyloom shows for "
                 "it: the contract's are the ones that count.")
    if token.offer is None:
        return _("A licence token on the licensing contract; Storyloom shows no offer of it.")
    return _("Licence “%(title)s”, read live from the licensing contract.") % {"title": token.offer.title}


# --- does the holder hold a licence? ---------------------------------------------------------------------


def holder_check(*, holder: str, reader: LicensingReader, sha256: str, work_title: str,
                 offers: list[OfferRef], registered: bool, token: LicenceToken | None) -> HolderCheck:
    """Whether `holder` holds a licence of the content whose hash is `sha256` ("" when unknown;
    `registered`: it matched a registered work, titled `work_title` when Storyloom's): of the
    licence `token` asked about, or of any of the work's published `offers`."""
    check = HolderCheck(holder=holder, licence=token.id if token is not None else "", state="", message="",
                        live=False, error="")
    titles = {offer.id: offer.title for offer in offers}
    if token is not None:
        if token.offer is not None:
            titles[token.id] = token.offer.title
        if token.exists is False:
            check.live, check.state = True, HolderState.NO_SUCH_LICENCE
            check.message = _("%(holder)s holds no such licence: no licence token has the id "
                              "%(licence)s.") % {"holder": holder, "licence": token.id}
            return check
        if token.content_hash and sha256 and token.content_hash != sha256:
            check.live, check.state = token.live, HolderState.OTHER_WORK
            check.message = _("Licence %(licence)s is not a licence of this work, so it says nothing of "
                              "whether %(holder)s may use it.") % {"licence": token.id, "holder": holder}
            return check
        licences = [token.id]
    else:
        licences = [offer.id for offer in offers]
    if not licences:
        check.live, check.state = True, HolderState.NOT_LICENSED
        check.message = (_("%(holder)s holds no licence of this work: none is sold through Storyloom.")
                         if registered else
                         _("%(holder)s holds no licence of this: it is not a registered work."))
        check.message %= {"holder": holder}
        return check
    balances = reader.read(licence_balances, holder, licences)
    if balances is None:
        check.state, check.error = HolderState.UNKNOWN, reader.error
        check.message = _("Whether %(holder)s holds a licence of this work could not be checked: the chain "
                          "could not be read.") % {"holder": holder}
        return check
    check.live, check.checked = True, licences
    check.holdings = [Holding(offer_id=licence, token_id=_token_id(licence), title=titles.get(licence, ""),
                              tokens=tokens)
                      for licence, tokens in zip(licences, balances, strict=True) if tokens]
    if not check.holdings:
        check.state = HolderState.NOT_LICENSED
        check.message = (_("%(holder)s does not hold licence %(licence)s.") % {
            "holder": holder, "licence": _named(token.id, titles)} if token is not None else
            _("%(holder)s holds no licence of this work.") % {"holder": holder})
        return check
    check.state = HolderState.LICENSED
    held = ", ".join(ngettext("%(licence)s (%(n)s token)", "%(licence)s (%(n)s tokens)", h.tokens) % {
        "licence": _named(h.offer_id, titles), "n": h.tokens} for h in check.holdings)
    if work_title:
        check.message = ngettext("%(holder)s holds licence %(held)s of “%(work)s”.",
                                 "%(holder)s holds licences %(held)s of “%(work)s”.", len(check.holdings)) % {
            "holder": holder, "held": held, "work": work_title}
    else:
        check.message = ngettext("%(holder)s holds licence %(held)s of this work.",
                                 "%(holder)s holds licences %(held)s of this work.", len(check.holdings)) % {
            "holder": holder, "held": held}
    return check


def _named(licence: str, titles: dict[str, str]) -> str:
    title = titles.get(licence, "")
    return f"“{title}”" if title else licence
