// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Storyloom copyright registry
/// @notice Records who owns a creative work (by the sha256 of its file), in which shares, under which
/// licence terms (their hash; the text is in the metadata), which further licences its owners
/// granted, and anchors batches of works in one transaction. Anyone may register (the platform does
/// so on behalf of its users); there is no admin, no allow-list and no owner-only function.
///
/// @dev Storage is one slot per work: `stateOf[contentHash]` = keccak256(abi.encode(owners, shares)),
/// zero while unregistered. A registration's record (ISCC, terms hash, owners, shares) is its
/// transaction's input, and `WorkRegistered` names only the work: logging the record again would cost
/// a third more than the rest of the call. A reader takes the record from the input of the
/// transaction that emitted the event when that transaction called this contract directly (then the
/// input is exactly what ran); a registration made through another contract has its record in that
/// contract's call, which a transaction's input does not show. The metadata URI is not sent at all:
/// it is `metadataURITemplate` with the content hash put in, or, for `registerWithURI`, the URI its
/// `MetadataURISet` event carries. Every `OwnersChanged` carries the full list of owners, so an
/// indexer rebuilds a work's current owners from its registration and latest such event, and anyone
/// can check them against `stateOf`. Calls that change ownership take
/// the current owners and shares as calldata and revert with `StateMismatch` unless they hash to the
/// stored state. Owner order is part of the state: a transfer to a new owner appends it, an owner
/// left with nothing is removed and the others keep their order.
///
/// Batch anchoring stores only `anchoredAt[root]`. A leaf of a batch tree is
///     leaf = keccak256(abi.encode(contentHash, keccak256(bytes(iscc)), keccak256(bytes(metadataURI)),
///                                 termsHash, keccak256(abi.encode(owners, shares))))
/// i.e. the keccak256 of five 32-byte words (160 bytes: never mistaken for an inner node, whose
/// preimage is 64 bytes). Inner nodes hash their two children in ascending order,
/// keccak256(abi.encodePacked(min(a, b), max(a, b))) (OpenZeppelin MerkleProof's convention), and an
/// unpaired last node of a level is carried up unchanged. `workLeaf` computes a leaf on chain;
/// `verifyInclusion` checks a proof (the sibling hashes from the leaf up). An anchored work is
/// attested (its record existed at `anchoredAt[root]`), not registered: it has no `stateOf` entry,
/// and transfers and licences need a registration.
///
/// The contract makes no external calls: every function checks, then writes, then emits.
contract StoryloomRegistry {
    /// @notice The basis points a work's shares add up to.
    uint256 public constant TOTAL_SHARES = 10_000;
    /// @notice The most owners a work may have.
    uint256 public constant MAX_OWNERS = 32;
    /// @notice A licence expiry that never comes.
    uint64 public constant NEVER_EXPIRES = type(uint64).max;

    /// @notice contentHash => keccak256(abi.encode(owners, shares)); zero while unregistered.
    mapping(bytes32 => bytes32) public stateOf;
    /// @notice licenceId => expiry (unix seconds; NEVER_EXPIRES for none); zero if unknown or revoked.
    mapping(bytes32 => uint64) public licenceExpiry;
    /// @notice licenceId => the work it licenses (kept after revocation).
    mapping(bytes32 => bytes32) public licenceWork;
    /// @notice Where a work registered with `register` has its metadata: "{id}" stands for its content
    /// hash in 64 lowercase hex digits (ERC-1155's substitution).
    string public metadataURITemplate;
    /// @notice Merkle root => block timestamp of its anchoring; zero if never anchored.
    mapping(bytes32 => uint256) public anchoredAt;

    event WorkRegistered(bytes32 indexed contentHash);
    event MetadataURISet(bytes32 indexed contentHash, string metadataURI);
    event ShareTransferred(bytes32 indexed contentHash, address indexed from, address indexed to, uint16 amount);
    event OwnersChanged(bytes32 indexed contentHash, address[] owners, uint16[] shares);
    event LicenceGranted(
        bytes32 indexed licenceId,
        bytes32 indexed contentHash,
        address indexed licensee,
        address grantor,
        bytes32 termsHash,
        uint64 expiry,
        bytes32 salt
    );
    event LicenceRevoked(bytes32 indexed licenceId, bytes32 indexed contentHash, address indexed revokedBy);
    event BatchAnchored(bytes32 indexed root, address indexed anchorer, uint32 count, string uri);

    error ZeroContentHash();
    error EmptyIscc();
    error AlreadyRegistered(bytes32 contentHash);
    error NotRegistered(bytes32 contentHash);
    error StateMismatch(bytes32 contentHash);
    error NoOwners();
    error TooManyOwners(uint256 count, uint256 max);
    error LengthMismatch(uint256 owners, uint256 shares);
    error ZeroAddress();
    error DuplicateOwner(address owner);
    error ZeroShare(address owner);
    error InvalidShareTotal(uint256 total);
    error NotOwner(address account);
    error ZeroAmount();
    error SelfTransfer();
    error InsufficientShare(address owner, uint16 share, uint16 amount);
    error ExpiryInPast(uint64 expiry);
    error LicenceExists(bytes32 licenceId);
    error LicenceNotActive(bytes32 licenceId);
    error LicenceOfOtherWork(bytes32 licenceId, bytes32 contentHash);
    error ZeroRoot();
    error EmptyBatch();
    error AlreadyAnchored(bytes32 root);

    constructor(string memory template) {
        metadataURITemplate = template;
    }

    // ---------------------------------------------------------------- registration

    /// @notice Registers a work once, its metadata at `metadataURITemplate`. Owners need not include
    /// the caller. The record is this call's input (see the contract's notes).
    /// @param contentHash sha256 of the work's file
    /// @param iscc the work's ISCC code (ISO 24138), e.g. "ISCC:KACY..."
    /// @param termsHash sha256 of the text of the licence the work is published under
    /// @param owners distinct non-zero addresses, at most MAX_OWNERS
    /// @param shares each owner's basis points, each > 0, adding up to TOTAL_SHARES
    function register(
        bytes32 contentHash,
        string calldata iscc,
        bytes32 termsHash,
        address[] calldata owners,
        uint16[] calldata shares
    ) external {
        termsHash; // part of the record (this input); the contract keeps no copy
        _register(contentHash, iscc, owners, shares);
    }

    /// @notice Registers a work once, its metadata at `metadataURI`, which is emitted: for a
    /// registrant whose metadata is not where this deployment's template points.
    function registerWithURI(
        bytes32 contentHash,
        string calldata iscc,
        string calldata metadataURI,
        bytes32 termsHash,
        address[] calldata owners,
        uint16[] calldata shares
    ) external {
        termsHash; // part of the record (this input); the contract keeps no copy
        _register(contentHash, iscc, owners, shares);
        emit MetadataURISet(contentHash, metadataURI);
    }

    /// @notice Moves `amount` basis points of the caller's share to `to` (an owner already, or a new
    /// one appended at the end). An owner left with none is removed.
    function transferShare(
        bytes32 contentHash,
        address[] calldata owners,
        uint16[] calldata shares,
        address to,
        uint16 amount
    ) external {
        _requireState(contentHash, owners, shares);
        uint256 from = _ownerIndex(owners, msg.sender);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        if (to == msg.sender) revert SelfTransfer();
        if (shares[from] < amount) revert InsufficientShare(msg.sender, shares[from], amount);

        (address[] memory newOwners, uint16[] memory newShares) = _moved(owners, shares, from, to, amount);
        stateOf[contentHash] = keccak256(abi.encode(newOwners, newShares));
        emit ShareTransferred(contentHash, msg.sender, to, amount);
        emit OwnersChanged(contentHash, newOwners, newShares);
    }

    // ---------------------------------------------------------------- licences

    /// @notice Any owner grants a licence. Its id is keccak256(abi.encode(contentHash, licensee,
    /// termsHash, salt)): the granter picks `salt` (the platform: its own record's id), so the id is
    /// known before the transaction is mined and a resubmitted grant is refused (`LicenceExists`)
    /// instead of granting twice. Ids are never reused, not even after revocation.
    /// @param expiry unix seconds from which the licence is no longer valid; NEVER_EXPIRES for none
    function grantLicence(
        bytes32 contentHash,
        address[] calldata owners,
        uint16[] calldata shares,
        address licensee,
        bytes32 termsHash,
        uint64 expiry,
        bytes32 salt
    ) external returns (bytes32 licenceId) {
        _requireState(contentHash, owners, shares);
        _ownerIndex(owners, msg.sender);
        if (licensee == address(0)) revert ZeroAddress();
        if (expiry <= block.timestamp) revert ExpiryInPast(expiry);
        licenceId = keccak256(abi.encode(contentHash, licensee, termsHash, salt));
        if (licenceWork[licenceId] != bytes32(0)) revert LicenceExists(licenceId);
        licenceExpiry[licenceId] = expiry;
        licenceWork[licenceId] = contentHash;
        emit LicenceGranted(licenceId, contentHash, licensee, msg.sender, termsHash, expiry, salt);
    }

    /// @notice Any owner of the licensed work revokes one of its licences (expired ones too).
    function revokeLicence(
        bytes32 contentHash,
        address[] calldata owners,
        uint16[] calldata shares,
        bytes32 licenceId
    ) external {
        _requireState(contentHash, owners, shares);
        _ownerIndex(owners, msg.sender);
        if (licenceExpiry[licenceId] == 0) revert LicenceNotActive(licenceId);
        if (licenceWork[licenceId] != contentHash) revert LicenceOfOtherWork(licenceId, contentHash);
        licenceExpiry[licenceId] = 0;
        emit LicenceRevoked(licenceId, contentHash, msg.sender);
    }

    /// @notice Whether a licence was granted, is not revoked and has not expired.
    function licenceValid(bytes32 licenceId) external view returns (bool) {
        return licenceExpiry[licenceId] > block.timestamp;
    }

    // ---------------------------------------------------------------- batch anchoring

    /// @notice Records the Merkle root of `count` works' leaves (see the contract's notes).
    /// @param uri where the batch's leaves and proofs are published
    function anchor(bytes32 root, uint32 count, string calldata uri) external {
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert EmptyBatch();
        if (anchoredAt[root] != 0) revert AlreadyAnchored(root);
        anchoredAt[root] = block.timestamp;
        emit BatchAnchored(root, msg.sender, count, uri);
    }

    /// @notice Whether `proof` (sibling hashes from the leaf up) leads from `leaf` to `root`, with
    /// sorted-pair keccak256 hashing. It does not say whether `root` is anchored: see `anchoredAt`.
    function verifyInclusion(bytes32 root, bytes32 leaf, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        bytes32 node = leaf;
        for (uint256 i; i < proof.length; ) {
            bytes32 sibling = proof[i];
            node = node < sibling
                ? keccak256(abi.encodePacked(node, sibling))
                : keccak256(abi.encodePacked(sibling, node));
            unchecked { ++i; }
        }
        return node == root;
    }

    /// @notice A work's leaf in a batch tree (see the contract's notes).
    function workLeaf(
        bytes32 contentHash,
        string calldata iscc,
        string calldata metadataURI,
        bytes32 termsHash,
        address[] calldata owners,
        uint16[] calldata shares
    ) external pure returns (bytes32) {
        return keccak256(
            abi.encode(
                contentHash,
                keccak256(bytes(iscc)),
                keccak256(bytes(metadataURI)),
                termsHash,
                keccak256(abi.encode(owners, shares))
            )
        );
    }

    /// @notice The state hash `stateOf` holds for these owners and shares.
    function stateHash(address[] calldata owners, uint16[] calldata shares) external pure returns (bytes32) {
        return keccak256(abi.encode(owners, shares));
    }

    // ---------------------------------------------------------------- internal

    function _register(bytes32 contentHash, string calldata iscc, address[] calldata owners,
                       uint16[] calldata shares) private {
        if (contentHash == bytes32(0)) revert ZeroContentHash();
        if (bytes(iscc).length == 0) revert EmptyIscc();
        if (stateOf[contentHash] != bytes32(0)) revert AlreadyRegistered(contentHash);
        _validate(owners, shares);
        stateOf[contentHash] = keccak256(abi.encode(owners, shares));
        emit WorkRegistered(contentHash);
    }

    function _validate(address[] calldata owners, uint16[] calldata shares) private pure {
        uint256 count = owners.length;
        if (count == 0) revert NoOwners();
        if (count > MAX_OWNERS) revert TooManyOwners(count, MAX_OWNERS);
        if (shares.length != count) revert LengthMismatch(count, shares.length);
        uint256 total;
        for (uint256 i; i < count; ) {
            address owner = owners[i];
            if (owner == address(0)) revert ZeroAddress();
            for (uint256 j; j < i; ) {
                if (owners[j] == owner) revert DuplicateOwner(owner);
                unchecked { ++j; }
            }
            uint16 share = shares[i];
            if (share == 0) revert ZeroShare(owner);
            unchecked {
                total += share; // at most 32 * 65535: cannot overflow
                ++i;
            }
        }
        if (total != TOTAL_SHARES) revert InvalidShareTotal(total);
    }

    function _requireState(bytes32 contentHash, address[] calldata owners, uint16[] calldata shares)
        private
        view
    {
        bytes32 stored = stateOf[contentHash];
        if (stored == bytes32(0)) revert NotRegistered(contentHash);
        if (keccak256(abi.encode(owners, shares)) != stored) revert StateMismatch(contentHash);
    }

    /// @dev The owners and shares after moving `amount` from owner `from` to `to`.
    function _moved(
        address[] calldata owners,
        uint16[] calldata shares,
        uint256 from,
        address to,
        uint16 amount
    ) private pure returns (address[] memory newOwners, uint16[] memory newShares) {
        uint256 count = owners.length;
        uint256 target = count;
        for (uint256 i; i < count; ) {
            if (owners[i] == to) {
                target = i;
                break;
            }
            unchecked { ++i; }
        }
        bool appends = target == count;
        bool removes = shares[from] == amount;
        uint256 newCount = count;
        if (appends) ++newCount;
        if (removes) --newCount;
        if (newCount > MAX_OWNERS) revert TooManyOwners(newCount, MAX_OWNERS);

        newOwners = new address[](newCount);
        newShares = new uint16[](newCount);
        uint256 k;
        for (uint256 i; i < count; ) {
            uint16 share = shares[i];
            if (i == from) share -= amount;
            else if (i == target) share += amount;
            if (share != 0) {
                newOwners[k] = owners[i];
                newShares[k] = share;
                unchecked { ++k; }
            }
            unchecked { ++i; }
        }
        if (appends) {
            newOwners[k] = to;
            newShares[k] = amount;
        }
    }

    function _ownerIndex(address[] calldata owners, address account) private pure returns (uint256) {
        for (uint256 i; i < owners.length; ) {
            if (owners[i] == account) return i;
            unchecked { ++i; }
        }
        revert NotOwner(account);
    }
}
