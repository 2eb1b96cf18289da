"""rights.shares, the Python mirror of the contract's share rules: properties of transfers, and the
contract's verdicts (accepted, or the same error) on random inputs."""

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.exceptions import ContractLogicError

from rights.chain.contract import revert_error, transact
from rights.merkle import state_hash
from rights.shares import MAX_OWNERS, TOTAL_SHARES, SharesError, shares_after_transfer, shares_validate

chain_settings = settings(max_examples=12, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
POOL = [Web3.to_checksum_address(f"0x{i:040x}") for i in range(1, 40)]


@st.composite
def holdings(draw: st.DrawFn, pool: list[str] = POOL,
             max_owners: int = MAX_OWNERS) -> tuple[list[str], list[int]]:
    """Valid owners and shares: distinct owners, positive shares adding up to 10,000."""
    count = draw(st.integers(1, min(max_owners, len(pool))))
    owners = draw(st.permutations(pool).map(lambda p: list(p[:count])))
    cuts = sorted(draw(st.sets(st.integers(1, TOTAL_SHARES - 1), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, TOTAL_SHARES]
    return owners, [bounds[i + 1] - bounds[i] for i in range(count)]


@settings(deadline=None)
@given(holdings(), st.data())
def test_a_transfer_keeps_the_total_and_a_valid_state(holding: tuple[list[str], list[int]],
                                                      data: st.DataObject) -> None:
    owners, shares = holding
    sender = data.draw(st.sampled_from(owners))
    to = data.draw(st.sampled_from([p for p in POOL if p != sender]))
    amount = data.draw(st.integers(1, shares[owners.index(sender)]))
    try:
        new_owners, new_shares = shares_after_transfer(owners, shares, sender=sender, to=to, amount=amount)
    except SharesError as error:
        assert error.code == "TooManyOwners" and to not in owners and len(owners) == MAX_OWNERS
        return
    shares_validate(new_owners, new_shares)
    assert sum(new_shares) == TOTAL_SHARES
    assert dict(zip(new_owners, new_shares, strict=True)).get(to) == dict(
        zip(owners, shares, strict=True)).get(to, 0) + amount
    kept = [o for o in owners if o in new_owners]
    assert new_owners[:len(kept)] == kept  # survivors keep their order; a newcomer comes last
    assert (sender in new_owners) == (amount < shares[owners.index(sender)])


@settings(deadline=None)
@given(holdings(), st.integers(1, TOTAL_SHARES))
def test_a_non_owner_or_too_large_amount_is_refused(holding: tuple[list[str], list[int]],
                                                    amount: int) -> None:
    owners, shares = holding
    outsider = next((p for p in POOL if p not in owners), None)
    if outsider:
        with pytest.raises(SharesError) as refused:
            shares_after_transfer(owners, shares, sender=outsider, to=owners[0], amount=1)
        assert refused.value.code == "NotOwner"
    assume(amount > shares[0])
    with pytest.raises(SharesError) as refused:
        shares_after_transfer(owners, shares, sender=owners[0], to=POOL[-1], amount=amount)
    assert refused.value.code in {"InsufficientShare", "SelfTransfer"}


def contract_verdict(call: Any) -> str:
    try:
        call.call()
    except ContractLogicError as error:
        return revert_error(error)[0]
    return "ok"


RAW_POOL = [*POOL[:4], "0x" + "00" * 20]


@chain_settings
@given(st.lists(st.sampled_from(RAW_POOL), max_size=5), st.lists(st.integers(0, 10_000), max_size=5))
def test_the_contract_and_the_mirror_agree_on_registrations(registry, owners: list[str],
                                                            shares: list[int]) -> None:
    """(Calls, not transactions: one deployment serves every example.)"""
    owners = [Web3.to_checksum_address(o) for o in owners]
    try:
        shares_validate(owners, shares)
        expected = "ok"
    except SharesError as error:
        expected = error.code
    call = registry.functions.register(b"\x01" * 32, "ISCC:X", bytes(32), owners, shares)
    assert contract_verdict(call) == expected


@chain_settings
@given(st.data())
def test_the_contract_and_the_mirror_agree_on_transfers(w3, shared_registry, accounts, data) -> None:
    """Random holdings among the funded accounts, a random transfer signed by one of its owners."""
    people = [account.address for account in accounts[:6]]
    owners, shares = data.draw(holdings(pool=people, max_owners=6))
    sender = data.draw(st.sampled_from(owners))
    to = data.draw(st.sampled_from([p for p in people if p != sender]))
    amount = data.draw(st.integers(1, shares[owners.index(sender)]))
    digest = data.draw(st.binary(min_size=32, max_size=32).filter(any))
    assume(shared_registry.functions.stateOf(digest).call() == bytes(32))
    transact(w3, accounts[9], shared_registry.functions.register(digest, "ISCC:X", bytes(32), owners, shares))
    signer = accounts[people.index(sender)]
    transact(w3, signer, shared_registry.functions.transferShare(digest, owners, shares, to, amount))
    expected = shares_after_transfer(owners, shares, sender=sender, to=to, amount=amount)
    assert shared_registry.functions.stateOf(digest).call() == state_hash(*expected)
