"""StoryloomRegistry's behaviour on a real anvil node: registration, shares, licences, batch anchors.

Every call is signed locally (eth-account) and mined; reverts are decoded to the contract's custom
error by name.
"""

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from rights.chain.contract import TransactionFailed, registration_input, revert_error, transact
from rights.merkle import leaf_for, merkle_proof, merkle_root, merkle_verify, state_hash
from rights.shares import shares_after_transfer
from tests.rights.helpers import TEMPLATE, deploy_test_contract

ISCC = "ISCC:KACYPXW445FTYNJ3CYSXHAFJMA2HUWULUNRFE3BLHRSCXYH2M5AEGQY"
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/metadata.json"
TERMS = hashlib.sha256(b"https://creativecommons.org/licenses/by/4.0/").digest()
NEVER = 2**64 - 1


def content_hash(label: str | None = None) -> bytes:
    return hashlib.sha256((label or os.urandom(16).hex()).encode()).digest()


@dataclass
class Work:
    """A registered work as the platform tracks it: the lists every later call passes."""

    hash: bytes
    owners: list[str]
    shares: list[int]
    iscc: str = ISCC
    events: list[Any] = field(default_factory=list)
    transaction: bytes = b""

    @property
    def state(self) -> tuple[bytes, list[str], list[int]]:
        return self.hash, self.owners, self.shares


@contextmanager
def reverts(name: str, **expected: Any) -> Iterator[None]:
    """The block must revert with the custom error `name` (and these arguments)."""
    with pytest.raises(ContractLogicError) as caught:
        yield
    error_name, args = revert_error(caught.value)
    assert error_name == name, f"reverted with {error_name}{args}, not {name}"
    for key, value in expected.items():
        assert args[key] == value, (key, args)


def register(w3: Web3, registry: Contract, sender: LocalAccount, owners: Sequence[str],
             shares: Sequence[int], *, digest: bytes | None = None) -> Work:
    work = Work(digest or content_hash(), list(owners), list(shares))
    receipt = transact(w3, sender, registry.functions.register(work.hash, work.iscc, TERMS, work.owners,
                                                               work.shares))
    work.events = list(registry.events.WorkRegistered().process_receipt(receipt, errors=DISCARD))
    work.transaction = bytes(receipt["transactionHash"])
    return work


def transfer(w3: Web3, registry: Contract, work: Work, sender: LocalAccount, to: str, amount: int) -> Any:
    receipt = transact(w3, sender, registry.functions.transferShare(*work.state, to, amount))
    changed = registry.events.OwnersChanged().process_receipt(receipt, errors=DISCARD)
    assert len(changed) == 1
    work.owners, work.shares = list(changed[0].args.owners), list(changed[0].args.shares)
    return receipt


def now(w3: Web3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


# ------------------------------------------------------------------- registration


def test_register_stores_the_state_hash_and_its_input_holds_the_record(w3, registry, accounts) -> None:
    alice, bob, platform = accounts[0], accounts[1], accounts[2]
    work = register(w3, registry, platform, [alice.address, bob.address], [7_000, 3_000])

    expected = state_hash(work.owners, work.shares)
    assert registry.functions.stateOf(work.hash).call() == expected
    assert registry.functions.stateHash(work.owners, work.shares).call() == expected
    (event,) = work.events
    assert dict(event.args) == {"contentHash": work.hash}  # the event names the work, nothing more
    sent = registration_input(registry, w3.eth.get_transaction(work.transaction))
    assert sent is not None
    assert (sent["function"], sent["contentHash"], sent["iscc"], sent["termsHash"]) == (
        "register", work.hash, ISCC, TERMS)
    assert (sent["owners"], sent["shares"]) == ([alice.address, bob.address], [7_000, 3_000])
    assert sent["sender"] == platform.address  # the platform registered on its users' behalf
    assert registry.functions.metadataURITemplate().call() == TEMPLATE
    assert registry.functions.stateOf(content_hash()).call() == bytes(32)  # unregistered


def test_register_with_its_own_metadata_uri(w3, registry, accounts) -> None:
    me, digest = accounts[0], content_hash()
    receipt = transact(w3, me, registry.functions.registerWithURI(digest, ISCC, URI, TERMS, [me.address],
                                                                  [10_000]))
    (event,) = registry.events.MetadataURISet().process_receipt(receipt, errors=DISCARD)
    assert (event.args.contentHash, event.args.metadataURI) == (digest, URI)
    (registered,) = registry.events.WorkRegistered().process_receipt(receipt, errors=DISCARD)
    assert registered.args.contentHash == digest
    sent = registration_input(registry, w3.eth.get_transaction(receipt["transactionHash"]))
    assert sent is not None and (sent["function"], sent["metadataURI"]) == ("registerWithURI", URI)
    with reverts("AlreadyRegistered", contentHash=digest):
        transact(w3, me, registry.functions.register(digest, ISCC, TERMS, [me.address], [10_000]))


def test_only_a_direct_call_s_input_counts_as_the_record(w3, registry, accounts) -> None:
    """A contract that registers with other owners than its own input names: the transaction's input
    is not the record, and reading it is refused rather than believed."""
    me = accounts[0]
    disguise = deploy_test_contract(w3, me, "Disguise", registry.address)
    digest = content_hash()
    receipt = transact(w3, me, disguise.functions.register(digest, ISCC, TERMS, [me.address], [10_000]))
    (event,) = registry.events.WorkRegistered().process_receipt(receipt, errors=DISCARD)
    assert event.args.contentHash == digest
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert disguise.decode_function_input(tx["input"])[1]["owners"] == [me.address]  # what it claims
    assert registry.functions.stateOf(digest).call() == state_hash([disguise.address], [10_000])  # what ran
    assert registration_input(registry, tx) is None
    assert registration_input(registry, {**tx, "to": registry.address, "input": b"\x12\x34"}) is None


def test_a_content_hash_registers_once(w3, registry, accounts) -> None:
    work = register(w3, registry, accounts[0], [accounts[0].address], [10_000])
    with reverts("AlreadyRegistered", contentHash=work.hash):
        register(w3, registry, accounts[1], [accounts[1].address], [10_000], digest=work.hash)
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)


def test_a_refused_registration_reverts_on_chain_too(w3, registry, accounts) -> None:
    """With estimation skipped the transaction is mined, fails, and changes nothing."""
    work = register(w3, registry, accounts[0], [accounts[0].address], [10_000])
    call = registry.functions.register(work.hash, ISCC, TERMS, [accounts[1].address], [10_000])
    with pytest.raises(TransactionFailed):
        transact(w3, accounts[1], call, gas=200_000)
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)


A, B = Web3.to_checksum_address("0x" + "a1" * 20), Web3.to_checksum_address("0x" + "b2" * 20)


@pytest.mark.parametrize(("owners", "shares", "error", "args"), [
    ([A, B], [6_000, 3_000], "InvalidShareTotal", {"total": 9_000}),
    ([A, B], [6_000, 5_000], "InvalidShareTotal", {"total": 11_000}),
    ([A, A], [5_000, 5_000], "DuplicateOwner", {"owner": A}),
    ([A, "0x" + "00" * 20], [5_000, 5_000], "ZeroAddress", {}),
    ([A, B], [10_000], "LengthMismatch", {"owners": 2, "shares": 1}),
    ([A, B], [10_000, 0], "ZeroShare", {"owner": B}),
    ([], [], "NoOwners", {}),
    ([f"0x{i + 1:040x}" for i in range(33)], [300] * 32 + [400], "TooManyOwners", {"count": 33, "max": 32}),
], ids=["under-10000", "over-10000", "duplicate-owner", "zero-address", "length-mismatch", "zero-share",
        "no-owners", "33-owners"])
def test_registration_validation(w3, registry, accounts, owners, shares, error, args) -> None:
    owners = [Web3.to_checksum_address(owner) for owner in owners]
    with reverts(error, **args):
        register(w3, registry, accounts[0], owners, shares)


def test_registration_needs_a_content_hash_and_an_iscc(w3, registry, accounts) -> None:
    me = accounts[0]
    with reverts("ZeroContentHash"):
        transact(w3, me, registry.functions.register(bytes(32), ISCC, TERMS, [me.address], [10_000]))
    with reverts("EmptyIscc"):
        transact(w3, me, registry.functions.register(content_hash(), "", TERMS, [me.address], [10_000]))


def test_thirty_two_owners_register(w3, registry, accounts) -> None:
    owners = [Web3.to_checksum_address(f"0x{i + 1:040x}") for i in range(32)]
    work = register(w3, registry, accounts[0], owners, [312] * 31 + [10_000 - 312 * 31])
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)


# ------------------------------------------------------------------- shares


def test_partial_transfer_to_an_existing_owner(w3, registry, accounts) -> None:
    alice, bob = accounts[0], accounts[1]
    work = register(w3, registry, alice, [alice.address, bob.address], [7_000, 3_000])
    receipt = transfer(w3, registry, work, alice, bob.address, 2_500)

    assert (work.owners, work.shares) == ([alice.address, bob.address], [4_500, 5_500])
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)
    (moved,) = registry.events.ShareTransferred().process_receipt(receipt, errors=DISCARD)
    assert (moved.args.contentHash, moved.args["from"], moved.args.to, moved.args.amount) == (
        work.hash, alice.address, bob.address, 2_500)


def test_whole_share_transfer_removes_the_owner(w3, registry, accounts) -> None:
    alice, bob, carol = accounts[0], accounts[1], accounts[2]
    work = register(w3, registry, alice, [alice.address, bob.address, carol.address], [2_000, 5_000, 3_000])
    transfer(w3, registry, work, alice, carol.address, 2_000)
    assert (work.owners, work.shares) == ([bob.address, carol.address], [5_000, 5_000])
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)
    with reverts("NotOwner", account=alice.address):  # alice has no share left
        transact(w3, alice, registry.functions.transferShare(*work.state, bob.address, 1))


def test_transfer_to_a_new_owner_appends_it(w3, registry, accounts) -> None:
    alice, bob, dave = accounts[0], accounts[1], accounts[3]
    work = register(w3, registry, alice, [alice.address, bob.address], [5_000, 5_000])
    transfer(w3, registry, work, bob, dave.address, 5_000)  # bob's whole share to a newcomer
    assert (work.owners, work.shares) == ([alice.address, dave.address], [5_000, 5_000])
    transfer(w3, registry, work, dave, bob.address, 1)
    assert (work.owners, work.shares) == ([alice.address, dave.address, bob.address], [5_000, 4_999, 1])
    assert registry.functions.stateOf(work.hash).call() == state_hash(work.owners, work.shares)


def test_transfers_match_the_python_mirror_and_the_latest_event_rebuilds_the_owners(w3, registry,
                                                                                    accounts) -> None:
    """An indexer that keeps only the latest OwnersChanged has the owners `stateOf` commits to."""
    people = accounts[:5]
    work = register(w3, registry, people[0], [people[0].address], [10_000])
    moves = [(0, 1, 4_000), (1, 2, 1_000), (0, 3, 6_000), (3, 1, 2_500), (2, 4, 1_000), (1, 0, 5_500)]
    for source, target, amount in moves:
        expected = shares_after_transfer(work.owners, work.shares, sender=people[source].address,
                                         to=people[target].address, amount=amount)
        transfer(w3, registry, work, people[source], people[target].address, amount)
        assert (work.owners, work.shares) == expected
    latest = registry.events.OwnersChanged().get_logs(from_block=0,
                                                      argument_filters={"contentHash": work.hash})
    owners, shares = list(latest[-1].args.owners), list(latest[-1].args.shares)
    assert sum(shares) == 10_000
    assert registry.functions.stateOf(work.hash).call() == state_hash(owners, shares)


def test_a_non_owner_cannot_transfer(w3, registry, accounts) -> None:
    alice, mallory = accounts[0], accounts[5]
    work = register(w3, registry, alice, [alice.address], [10_000])
    with reverts("NotOwner", account=mallory.address):
        transact(w3, mallory, registry.functions.transferShare(*work.state, mallory.address, 10_000))


def test_a_stale_state_is_refused(w3, registry, accounts) -> None:
    alice, bob = accounts[0], accounts[1]
    work = register(w3, registry, alice, [alice.address, bob.address], [5_000, 5_000])
    stale = work.state
    transfer(w3, registry, work, bob, alice.address, 1_000)
    with reverts("StateMismatch", contentHash=work.hash):
        transact(w3, bob, registry.functions.transferShare(*stale, alice.address, 5_000))
    forged = (work.hash, [bob.address], [10_000])  # a claimed state that was never stored
    with reverts("StateMismatch"):
        transact(w3, bob, registry.functions.transferShare(*forged, alice.address, 1))
    with reverts("NotRegistered"):
        transact(w3, bob, registry.functions.transferShare(content_hash(), [bob.address], [10_000], A, 1))


def test_transfer_amount_checks(w3, registry, accounts) -> None:
    alice, bob = accounts[0], accounts[1]
    work = register(w3, registry, alice, [alice.address, bob.address], [4_000, 6_000])
    with reverts("InsufficientShare", owner=alice.address, share=4_000, amount=4_001):
        transact(w3, alice, registry.functions.transferShare(*work.state, bob.address, 4_001))
    with reverts("ZeroAmount"):
        transact(w3, alice, registry.functions.transferShare(*work.state, bob.address, 0))
    with reverts("SelfTransfer"):
        transact(w3, alice, registry.functions.transferShare(*work.state, alice.address, 1))
    with reverts("ZeroAddress"):
        transact(w3, alice, registry.functions.transferShare(*work.state, "0x" + "00" * 20, 1))


def test_a_transfer_cannot_exceed_thirty_two_owners(w3, registry, accounts) -> None:
    me = accounts[0]
    owners = [me.address] + [Web3.to_checksum_address(f"0x{i + 1:040x}") for i in range(31)]
    work = register(w3, registry, me, owners, [10_000 - 31 * 300] + [300] * 31)
    with reverts("TooManyOwners", count=33):
        transact(w3, me, registry.functions.transferShare(*work.state, accounts[1].address, 1))


# ------------------------------------------------------------------- licences


def grant(w3: Web3, registry: Contract, work: Work, grantor: LocalAccount, licensee: str, terms: bytes,
          expiry: int, salt: bytes | None = None) -> Any:
    call = registry.functions.grantLicence(*work.state, licensee, terms, expiry, salt or os.urandom(32))
    receipt = transact(w3, grantor, call)
    (event,) = registry.events.LicenceGranted().process_receipt(receipt, errors=DISCARD)
    return event.args


def test_licence_grant_valid_and_revoke(w3, registry, accounts) -> None:
    alice, bob, licensee = accounts[0], accounts[1], accounts[6]
    work = register(w3, registry, alice, [alice.address, bob.address], [5_000, 5_000])
    terms, salt = keccak(text="CC BY 4.0"), keccak(text="licence row 1")
    licence = grant(w3, registry, work, bob, licensee.address, terms, NEVER, salt)  # any owner may grant

    # The id is known before mining: the platform stores it with the outbox entry.
    assert licence.licenceId == keccak(encode(["bytes32", "address", "bytes32", "bytes32"],
                                              [work.hash, licensee.address, terms, salt]))
    assert (licence.contentHash, licence.licensee, licence.grantor, licence.termsHash, licence.expiry,
            licence.salt) == (work.hash, licensee.address, bob.address, terms, NEVER, salt)
    assert registry.functions.licenceValid(licence.licenceId).call()
    assert registry.functions.licenceWork(licence.licenceId).call() == work.hash

    with reverts("LicenceExists", licenceId=licence.licenceId):  # a resubmitted grant grants nothing
        grant(w3, registry, work, alice, licensee.address, terms, NEVER, salt)
    again = grant(w3, registry, work, alice, licensee.address, terms, NEVER)  # another salt: a new licence
    assert again.licenceId != licence.licenceId

    receipt = transact(w3, alice, registry.functions.revokeLicence(*work.state, licence.licenceId))
    (revoked,) = registry.events.LicenceRevoked().process_receipt(receipt, errors=DISCARD)
    assert (revoked.args.licenceId, revoked.args.contentHash, revoked.args.revokedBy) == (
        licence.licenceId, work.hash, alice.address)
    assert not registry.functions.licenceValid(licence.licenceId).call()
    assert registry.functions.licenceValid(again.licenceId).call()
    with reverts("LicenceNotActive", licenceId=licence.licenceId):
        transact(w3, alice, registry.functions.revokeLicence(*work.state, licence.licenceId))
    with reverts("LicenceExists"):  # a revoked id is not granted again
        grant(w3, registry, work, alice, licensee.address, terms, NEVER, salt)


def test_licence_expiry(w3, registry, accounts) -> None:
    alice, licensee = accounts[0], accounts[6]
    work = register(w3, registry, alice, [alice.address], [10_000])
    with reverts("ExpiryInPast"):
        grant(w3, registry, work, alice, licensee.address, keccak(text="terms"), now(w3))
    licence = grant(w3, registry, work, alice, licensee.address, keccak(text="terms"), now(w3) + 3_600)
    assert registry.functions.licenceValid(licence.licenceId).call()
    w3.provider.make_request("evm_increaseTime", [3_601])
    w3.provider.make_request("evm_mine", [])
    assert not registry.functions.licenceValid(licence.licenceId).call()
    # Expired, not revoked:
    assert registry.functions.licenceExpiry(licence.licenceId).call() == licence.expiry
    transact(w3, alice, registry.functions.revokeLicence(*work.state, licence.licenceId))  # still revocable


def test_licence_permissions(w3, registry, accounts) -> None:
    alice, bob, mallory, licensee = accounts[0], accounts[1], accounts[5], accounts[6]
    work = register(w3, registry, alice, [alice.address], [10_000])
    other = register(w3, registry, bob, [bob.address, alice.address], [5_000, 5_000])
    terms = keccak(text="all rights reserved")
    with reverts("NotOwner", account=mallory.address):
        grant(w3, registry, work, mallory, licensee.address, terms, NEVER)
    with reverts("ZeroAddress"):
        grant(w3, registry, work, alice, "0x" + "00" * 20, terms, NEVER)
    licence = grant(w3, registry, work, alice, licensee.address, terms, NEVER)
    with reverts("NotOwner", account=mallory.address):
        transact(w3, mallory, registry.functions.revokeLicence(*work.state, licence.licenceId))
    # alice co-owns `other`, but this licence is of `work`: it cannot be revoked through `other`.
    with reverts("LicenceOfOtherWork", licenceId=licence.licenceId, contentHash=other.hash):
        transact(w3, alice, registry.functions.revokeLicence(*other.state, licence.licenceId))
    with reverts("LicenceNotActive"):
        transact(w3, alice, registry.functions.revokeLicence(*work.state, keccak(text="no such licence")))
    assert registry.functions.licenceValid(licence.licenceId).call()


def test_a_licence_outlives_its_grantors_ownership(w3, registry, accounts) -> None:
    alice, bob, licensee = accounts[0], accounts[1], accounts[6]
    work = register(w3, registry, alice, [alice.address], [10_000])
    licence = grant(w3, registry, work, alice, licensee.address, keccak(text="CC BY-NC 4.0"), NEVER)
    transfer(w3, registry, work, alice, bob.address, 10_000)
    assert registry.functions.licenceValid(licence.licenceId).call()
    transact(w3, bob, registry.functions.revokeLicence(*work.state, licence.licenceId))  # the new owner may
    assert not registry.functions.licenceValid(licence.licenceId).call()


# ------------------------------------------------------------------- batch anchoring


def batch(size: int, accounts: Sequence[LocalAccount]) -> list[bytes]:
    leaves = []
    for i in range(size):
        owners = [accounts[i % 4].address, accounts[4 + i % 3].address]
        leaves.append(leaf_for(content_hash=content_hash(f"batch-{i}"), iscc=f"{ISCC}{i}",
                               metadata_uri=f"{URI}?work={i}", terms_hash=TERMS, owners=owners,
                               shares=[6_000 + i, 4_000 - i]))
    return leaves


def test_anchor_a_256_work_batch_and_verify_every_proof_on_chain(w3, registry, accounts) -> None:
    leaves = batch(256, accounts)
    root = merkle_root(leaves)
    receipt = transact(w3, accounts[2], registry.functions.anchor(root, 256, "ipfs://batch-0001"))
    (event,) = registry.events.BatchAnchored().process_receipt(receipt, errors=DISCARD)
    assert (event.args.root, event.args.anchorer, event.args.count, event.args.uri) == (
        root, accounts[2].address, 256, "ipfs://batch-0001")
    block_time = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert registry.functions.anchoredAt(root).call() == block_time

    for index, leaf in enumerate(leaves):
        proof = merkle_proof(leaves, index)
        assert len(proof) == 8
        assert registry.functions.verifyInclusion(root, leaf, proof).call(), index

    proof = merkle_proof(leaves, 77)
    tampered = [proof[0], bytes([proof[1][0] ^ 1]) + proof[1][1:], *proof[2:]]
    assert not registry.functions.verifyInclusion(root, leaves[77], tampered).call()
    assert not merkle_verify(root, leaves[77], tampered)
    assert not registry.functions.verifyInclusion(root, leaves[78], proof).call()  # another leaf's proof
    assert not registry.functions.verifyInclusion(root, leaves[77], proof[:-1]).call()  # cut short


def test_anchor_refusals(w3, registry, accounts) -> None:
    me = accounts[0]
    root = merkle_root(batch(3, accounts))
    transact(w3, me, registry.functions.anchor(root, 3, ""))
    with reverts("AlreadyAnchored", root=root):
        transact(w3, accounts[1], registry.functions.anchor(root, 3, "ipfs://again"))
    with reverts("ZeroRoot"):
        transact(w3, me, registry.functions.anchor(bytes(32), 1, ""))
    with reverts("EmptyBatch"):
        transact(w3, me, registry.functions.anchor(keccak(text="x"), 0, ""))
    assert registry.functions.anchoredAt(keccak(text="never anchored")).call() == 0


def test_the_contract_computes_the_same_leaf_and_state_hash(w3, registry, accounts) -> None:
    owners, shares = [accounts[0].address, accounts[1].address], [1, 9_999]
    digest = content_hash("leaf")
    expected = leaf_for(content_hash=digest, iscc=ISCC, metadata_uri=URI, terms_hash=TERMS, owners=owners,
                        shares=shares)
    assert registry.functions.workLeaf(digest, ISCC, URI, TERMS, owners, shares).call() == expected
    assert registry.functions.stateHash(owners, shares).call() == state_hash(owners, shares)
