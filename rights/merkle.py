"""Merkle trees for batch anchoring, computed exactly as StoryloomRegistry verifies them.

A batch of works goes on chain as one root (`anchor`); each work keeps its leaf and proof, and anyone
can check the proof against the anchored root (`verifyInclusion`, or `merkle_verify` here). The
encoding, as documented in the contract:

    state = keccak256(abi.encode(address[] owners, uint16[] shares))
    leaf  = keccak256(abi.encode(bytes32 contentHash, keccak256(iscc), keccak256(metadataURI),
                                 bytes32 termsHash, state))
    node  = keccak256(min(a, b) ++ max(a, b))        (sorted pair, as OpenZeppelin's MerkleProof)

Levels pair leaves in the given order; an unpaired last node is carried up unchanged. A proof lists
the sibling hashes from the leaf up (none for a carried node).
"""

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak


def state_hash(owners: Sequence[str], shares: Sequence[int]) -> bytes:
    """What the contract's `stateOf[contentHash]` holds for these owners and shares."""
    return keccak(encode(["address[]", "uint16[]"], [list(owners), list(shares)]))


def leaf_for(*, content_hash: bytes, iscc: str, metadata_uri: str, terms_hash: bytes, owners: Sequence[str],
             shares: Sequence[int]) -> bytes:
    """A work's leaf (the contract's `workLeaf`)."""
    if len(content_hash) != 32 or len(terms_hash) != 32:
        raise ValueError("content_hash and terms_hash must be 32 bytes (sha256 digests)")
    return keccak(encode(["bytes32", "bytes32", "bytes32", "bytes32", "bytes32"],
                         [content_hash, keccak(text=iscc), keccak(text=metadata_uri), terms_hash,
                          state_hash(owners, shares)]))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    if any(len(leaf) != 32 for leaf in leaves):
        raise ValueError("leaves must be 32 bytes")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                       for i in range(0, len(level), 2)])
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    return _levels(leaves)[-1][0]


def _proof(levels: list[list[bytes]], index: int) -> list[bytes]:
    proof = []
    for level in levels[:-1]:
        if index ^ 1 < len(level):
            proof.append(level[index ^ 1])
        index //= 2
    return proof


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf `index` up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    return _proof(_levels(leaves), index)


def merkle_proofs(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every leaf's proof, building the tree once (a batch stores one proof per work)."""
    levels = _levels(leaves)
    return [_proof(levels, index) for index in range(len(leaves))]


def merkle_verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """The contract's `verifyInclusion`."""
    node = leaf
    for sibling in proof:
        node = _pair(node, sibling)
    return node == root
