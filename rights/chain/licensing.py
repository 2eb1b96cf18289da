"""StoryloomLicensing from Python: offers' terms and ids, the owners' EIP-712 approvals, and the
split of a sale as the contract computes it.

The contract (rights/contracts/StoryloomLicensing.sol, whose notes are the specification) takes an
offer, its closing and a remix's source only with the signatures of owners holding more than half
of the work's shares: `approvals` builds the list it wants (one entry per owner, in the registry's
order, empty for an owner who did not sign). The platform signs for custodial owners with their
derived keys (rights.keys.user_account) once each has approved; a wallet signs the same typed data
(`typed_data(...)` is what eth_signTypedData_v4 takes).

`sale_credits` is the contract's arithmetic in Python (fee, upstream shares, floors, the remainder
to the largest share): for the pages that show what a sale pays, and for the tests.
"""

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

LICENSING = "StoryloomLicensing"
NAIVE_LICENSING = "NaiveLicensing"
STABLECOIN = "TestStablecoin"
NATIVE = "0x" + "00" * 20  # the payment token that stands for the chain's currency
TOTAL_SHARES = 10_000
MAX_UPSTREAM_DEPTH = 4
NEVER = 2**64 - 1  # a deadline that never comes

_DOMAIN = {"name": "StoryloomLicensing", "version": "1"}
_TYPES: dict[str, list[dict[str, str]]] = {
    "PublishOffer": [
        {"name": "contentHash", "type": "bytes32"}, {"name": "termsHash", "type": "bytes32"},
        {"name": "token", "type": "address"}, {"name": "price", "type": "uint96"},
        {"name": "maxQuantity", "type": "uint32"}, {"name": "upstreamBps", "type": "uint16"},
        {"name": "feeBps", "type": "uint16"}, {"name": "commercial", "type": "bool"},
        {"name": "remixAllowed", "type": "bool"}, {"name": "salt", "type": "bytes32"},
        {"name": "deadline", "type": "uint64"}],
    "CloseOffer": [{"name": "offerId", "type": "uint256"}, {"name": "deadline", "type": "uint64"}],
    "RecordParent": [{"name": "remix", "type": "bytes32"}, {"name": "licenceId", "type": "uint256"},
                     {"name": "deadline", "type": "uint64"}],
}
_TERMS_ABI = ["bytes32", "bytes32", "address", "uint96", "uint32", "uint16", "uint16", "bool", "bool",
              "bytes32"]


@dataclass(frozen=True)
class Terms:
    """The contract's `Terms` struct, in its field order (the order `astuple` gives)."""

    content_hash: bytes
    terms_hash: bytes
    token: str
    price: int
    max_quantity: int
    upstream_bps: int
    fee_bps: int
    commercial: bool
    remix_allowed: bool
    salt: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        """The struct as web3 passes it."""
        return astuple(self)

    @property
    def offer_id(self) -> int:
        """The offer's id and its licence token's id: keccak256(abi.encode(terms))."""
        return int.from_bytes(keccak(encode(_TERMS_ABI, list(self.as_tuple()))))


def typed_data(contract: str, chain_id: int, kind: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """The EIP-712 message `kind` ("PublishOffer", "CloseOffer", "RecordParent") for the contract at
    `contract` on `chain_id`, as eth_signTypedData_v4 takes it."""
    return {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                   {"name": "chainId", "type": "uint256"},
                                   {"name": "verifyingContract", "type": "address"}],
                  kind: _TYPES[kind]},
        "primaryType": kind,
        "domain": {**_DOMAIN, "chainId": chain_id, "verifyingContract": contract},
        "message": dict(message),
    }


def publish_message(terms: Terms, deadline: int) -> dict[str, Any]:
    return {"contentHash": terms.content_hash, "termsHash": terms.terms_hash, "token": terms.token,
            "price": terms.price, "maxQuantity": terms.max_quantity, "upstreamBps": terms.upstream_bps,
            "feeBps": terms.fee_bps, "commercial": terms.commercial, "remixAllowed": terms.remix_allowed,
            "salt": terms.salt, "deadline": deadline}


def close_message(offer_id: int, deadline: int) -> dict[str, Any]:
    return {"offerId": offer_id, "deadline": deadline}


def parent_message(remix: bytes, licence_id: int, deadline: int) -> dict[str, Any]:
    return {"remix": remix, "licenceId": licence_id, "deadline": deadline}


def sign(account: LocalAccount, message: Mapping[str, Any]) -> bytes:
    """`account`'s signature of the typed data `message` (r, s, v: 65 bytes)."""
    return bytes(Account.sign_typed_data(account.key, full_message=dict(message)).signature)


def approvals(owners: Sequence[str], signers: Sequence[LocalAccount],
              message: Mapping[str, Any]) -> list[bytes]:
    """The signatures the contract wants: one per owner in `owners`' order, signed by that owner's
    account among `signers`, empty for the others."""
    by_address = {signer.address.lower(): signer for signer in signers}
    return [sign(by_address[owner.lower()], message) if owner.lower() in by_address else b""
            for owner in owners]


@dataclass(frozen=True)
class Level:
    """One work a sale credits: its owners and shares, and the upstream share (basis points) of the
    licence it was made under (0 for the last work credited)."""

    owners: Sequence[str]
    shares: Sequence[int]
    upstream_bps: int = 0


def split(amount: int, owners: Sequence[str], shares: Sequence[int]) -> dict[str, int]:
    """`amount` by shares: floors, the remainder to the largest share (the earliest among equals)."""
    credits = {owner: amount * share // TOTAL_SHARES for owner, share in zip(owners, shares, strict=True)}
    largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
    credits[owners[largest]] += amount - sum(credits.values())
    return credits


def sale_credits(price: int, fee_bps: int, lineage: Sequence[Level]) -> tuple[int, list[dict[str, int]]]:
    """The fee and, per work of `lineage` (the sold work first), what each owner is credited."""
    fee = price * fee_bps // TOTAL_SHARES
    amount, credited = price - fee, []
    for index, level in enumerate(lineage):
        last = index == len(lineage) - 1
        upstream = 0 if last else amount * level.upstream_bps // TOTAL_SHARES
        credited.append(split(amount - upstream, level.owners, level.shares))
        amount = upstream
    return fee, credited
