"""rights.merkle, the batch trees the platform anchors: properties in Python, and agreement with the
contract's verifyInclusion and workLeaf on a few random trees."""

import hashlib

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from rights.merkle import leaf_for, merkle_proof, merkle_proofs, merkle_root, merkle_verify

hash32 = st.binary(min_size=32, max_size=32)
trees = st.lists(hash32, min_size=1, max_size=80)
# The chain fixtures are session-scoped; the function-scoped one is the suite's cache cleaner.
chain_settings = settings(max_examples=8, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])


def flip(value: bytes, bit: int) -> bytes:
    index, mask = divmod(bit % (len(value) * 8), 8)
    return value[:index] + bytes([value[index] ^ (1 << mask)]) + value[index + 1:]


@settings(deadline=None)
@given(trees)
def test_every_proof_verifies_and_has_at_most_log2_siblings(leaves: list[bytes]) -> None:
    root = merkle_root(leaves)
    proofs = merkle_proofs(leaves)
    for index, (leaf, proof) in enumerate(zip(leaves, proofs, strict=True)):
        assert proof == merkle_proof(leaves, index)
        assert len(proof) <= (len(leaves) - 1).bit_length()
        assert merkle_verify(root, leaf, proof)


@settings(deadline=None)
@given(trees, st.data())
def test_a_tampered_proof_or_leaf_fails(leaves: list[bytes], data: st.DataObject) -> None:
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle_proof(leaves, index)
    bit = data.draw(st.integers(0, 255))
    assert not merkle_verify(root, flip(leaves[index], bit), proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        assert not merkle_verify(root, leaves[index], [*proof[:at], flip(proof[at], bit), *proof[at + 1:]])
        assert not merkle_verify(root, leaves[index], proof[:-1])
    outsider = data.draw(hash32.filter(lambda leaf: leaf not in leaves))
    assert not merkle_verify(root, outsider, proof)


def test_small_trees_by_hand() -> None:
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))
    assert merkle_root([a]) == a and merkle_proof([a], 0) == []
    ab = keccak(min(a, b) + max(a, b))
    assert merkle_root([a, b]) == merkle_root([b, a]) == ab  # sorted pairs: order within a pair is free
    assert merkle_root([a, b, c]) == keccak(min(ab, c) + max(ab, c))  # c is carried up unpaired
    assert merkle_proof([a, b, c], 2) == [ab]
    with pytest.raises(ValueError):
        merkle_root([])
    with pytest.raises(IndexError):
        merkle_proof([a], 1)


@chain_settings
@given(st.lists(hash32, min_size=1, max_size=300), st.data())
def test_the_contract_verifies_what_python_builds(shared_registry, leaves: list[bytes],
                                                  data: st.DataObject) -> None:
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle_proof(leaves, index)
    verify = shared_registry.functions.verifyInclusion
    assert verify(root, leaves[index], proof).call()
    bit = data.draw(st.integers(0, 255))
    assert not verify(root, flip(leaves[index], bit), proof).call()
    if proof:
        assert not verify(root, leaves[index], [flip(proof[0], bit), *proof[1:]]).call()


addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())


@chain_settings
@given(hash32, st.text(max_size=80), st.text(max_size=120), hash32,
       st.lists(st.tuples(addresses, st.integers(0, 2**16 - 1)), max_size=5))
def test_leaf_for_matches_the_contracts_work_leaf(shared_registry, digest: bytes, iscc: str, uri: str,
                                                  terms: bytes, holders: list[tuple[str, int]]) -> None:
    owners = [Web3.to_checksum_address(owner) for owner, _ in holders]
    shares = [share for _, share in holders]
    expected = leaf_for(content_hash=digest, iscc=iscc, metadata_uri=uri, terms_hash=terms, owners=owners,
                        shares=shares)
    assert shared_registry.functions.workLeaf(digest, iscc, uri, terms, owners, shares).call() == expected
