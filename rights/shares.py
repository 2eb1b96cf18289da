"""Ownership shares as the registry contract sees them, computed in Python.

The contract stores only a hash of (owners, shares); every later call must pass the current lists.
The platform therefore computes the lists a transfer leaves (to send the next call, or to show them
before sending) and checks a registration before paying gas for a revert. These functions mirror
StoryloomRegistry's `_validate` and `_moved` rule for rule.
"""

from collections.abc import Sequence

TOTAL_SHARES = 10_000  # basis points
MAX_OWNERS = 32
ZERO_ADDRESS = "0x" + "0" * 40


class SharesError(ValueError):
    """What is wrong with a list of owners and shares; `code` is the contract's error name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def shares_validate(owners: Sequence[str], shares: Sequence[int]) -> None:
    """Raises SharesError unless the contract would accept these owners and shares."""
    if not owners:
        raise SharesError("NoOwners", "a work needs at least one owner")
    if len(owners) > MAX_OWNERS:
        raise SharesError("TooManyOwners", f"{len(owners)} owners; at most {MAX_OWNERS} are allowed")
    if len(shares) != len(owners):
        raise SharesError("LengthMismatch", f"{len(owners)} owners but {len(shares)} shares")
    seen = set()
    for owner, share in zip(owners, shares, strict=True):
        if int(owner, 16) == 0:
            raise SharesError("ZeroAddress", "the zero address cannot own a share")
        if owner.lower() in seen:
            raise SharesError("DuplicateOwner", f"{owner} is listed twice")
        seen.add(owner.lower())
        if not 0 < share < 2**16:
            raise SharesError("ZeroShare",
                              f"{owner}'s share must be between 1 and {TOTAL_SHARES} basis points")
    if sum(shares) != TOTAL_SHARES:
        raise SharesError("InvalidShareTotal",
                          f"shares add up to {sum(shares)}; they must add up to {TOTAL_SHARES}")


def shares_after_transfer(owners: Sequence[str], shares: Sequence[int], *, sender: str, to: str,
                          amount: int) -> tuple[list[str], list[int]]:
    """The owners and shares after `sender` moves `amount` basis points to `to`: an existing owner
    gains them, a new one is appended, an owner left with none is removed (the rest keep their
    order)."""
    index = {owner.lower(): i for i, owner in enumerate(owners)}
    source = index.get(sender.lower())
    if source is None:
        raise SharesError("NotOwner", f"{sender} owns no share of this work")
    if amount <= 0:
        raise SharesError("ZeroAmount", "the amount must be at least 1 basis point")
    if int(to, 16) == 0:
        raise SharesError("ZeroAddress", "shares cannot go to the zero address")
    if to.lower() == sender.lower():
        raise SharesError("SelfTransfer", "an owner cannot transfer to itself")
    if shares[source] < amount:
        raise SharesError("InsufficientShare", f"{sender} holds {shares[source]} basis points, not {amount}")
    target = index.get(to.lower())
    new_owners: list[str] = []
    new_shares: list[int] = []
    for i, (owner, share) in enumerate(zip(owners, shares, strict=True)):
        share = share - amount if i == source else share + amount if i == target else share
        if share:
            new_owners.append(owner)
            new_shares.append(share)
    if target is None:
        new_owners.append(to)
        new_shares.append(amount)
    if len(new_owners) > MAX_OWNERS:
        raise SharesError("TooManyOwners", f"{len(new_owners)} owners; at most {MAX_OWNERS} are allowed")
    return new_owners, new_shares
