// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @notice What the licensing contract reads of StoryloomRegistry: a work's state hash,
/// keccak256(abi.encode(owners, shares)), zero while unregistered.
interface IStoryloomRegistry {
    function stateOf(bytes32 contentHash) external view returns (bytes32);
}

/// @title Storyloom licence sales
/// @notice Licence offers for works registered in StoryloomRegistry, their purchase as ERC-1155
/// licence tokens, and the payment credited to every co-owner by their registered share, to the
/// owners of the works a remix was made from, and to the platform as its fee. Payees withdraw.
///
/// @dev **Who may publish, close and record a remix's source: a strict majority by share.** The
/// registry keeps each work's owners and shares (as the hash `stateOf`); the caller passes them as
/// calldata and they are checked against it, as the registry's own functions do. An offer binds the
/// revenue of every co-owner, so one co-owner alone may not publish, close or re-route it: the
/// owners holding more than half of the shares (more than 5,000 of 10,000 basis points; a 50/50
/// work needs both) sign the action as EIP-712 typed data, and anyone submits the signatures in one
/// transaction (the platform's operator does, through its outbox). Custodial owners' keys are the
/// platform's (rights.keys.user_account): it signs for a person after that person approved on the
/// platform; an owner holding their own key signs in their wallet (eth_signTypedData_v4), and an
/// owner that is a contract (a multisig) approves by ERC-1271. The alternative, an operator account
/// trusted to publish after the platform checked the majority off chain, would let whoever holds the
/// operator key sell any work's licences to itself at any price; here the chain checks the majority
/// against the registry, and the operator only relays. Signatures carry a deadline and are counted
/// against the owners and shares current when the transaction runs: an owner who sold their share
/// since signing no longer counts. Signatures are ordered as the owners are; an owner who did not
/// sign has an empty entry.
///
/// **Offers.** An offer's id is keccak256(abi.encode(terms)) (the `Terms` struct, its salt
/// included: the platform's own record's id), known before the transaction is mined, published
/// once: a resubmitted publication is refused (`OfferExists`). The licence token's ERC-1155 id is
/// the offer's id: a holder's balance of it is how many licences of that offer they hold. The
/// terms' text (CC-style or custom; territory, duration, refunds: none) is off chain, its sha256 is
/// `termsHash`; whether the use is commercial, whether remixes are allowed and at what upstream
/// share are stored too, as the contract acts on them. The platform's fee is part of what the owners
/// sign (`feeBps`, which must equal the fee at publication) and is kept with the offer: the admin
/// changing the fee later changes no published offer. An offer closed stays closed.
///
/// **Purchase.** `buy` takes the price (exactly `msg.value` in the chain's currency, or the ERC-20
/// `token` by transferFrom, whose received amount must be the price: fee-on-transfer tokens are
/// refused), mints one licence token to the licensee, and credits, pull-based, in this order:
///   fee       = floor(price * feeBps / 10,000) to the fee recipient (the admin's setting at the sale);
///   amount    = price - fee, entering the sold work;
///   upstream  = floor(amount * upstreamBps / 10,000) of the licence the work was made under, if one
///               was recorded, entering that source work the same way (recursively, at most
///               MAX_UPSTREAM_DEPTH sources above the sold work; the last one keeps all it gets);
///   the rest  (amount - upstream) to the work's owners by their shares at the time of sale.
/// **Rounding**: each owner gets floor(rest * share / 10,000); what the floors leave (less than one
/// wei per owner) goes to the owner with the largest share, the earliest in the registry's order
/// among equals. So every wei of the price is credited to someone: the fee, and each level's
/// owners, add up to the price exactly. The caller passes each level's owners and shares (`lineage`:
/// the sold work's first, then each source's, as `lineageOf` lists the works); each is checked
/// against the registry, so a transfer of shares changes who is paid from the next sale on, and
/// nothing already credited moves.
///
/// **Derivatives.** `recordParent` records, once and for good, the licence a remix was made under:
/// a majority of the remix's owners sign it, one of them holds that licence's token, and the offer
/// allowed remixes. The chain cannot know a work's derivation: the platform records it when it
/// registers a remix; from then on every sale of the remix's licences pays upstream.
///
/// **Money out.** Nothing is paid during a purchase: balances are `owed[token][payee]` and each payee
/// withdraws its own (`withdraw`, or `withdrawTo` another address of theirs, e.g. the wallet a
/// custodial user linked). Each function checks, then writes, then calls out (the ERC-20 payment and
/// the ERC-1155 receiver check come last in `buy`); `buy` and the withdrawals share one reentrancy
/// guard (transient storage, EIP-1153). The admin sets the fee (at most MAX_FEE_BPS) and its
/// recipient and nothing else: it cannot close offers or move balances.
///
/// Events: every change of `owed` is a `Credited` (contentHash zero for the platform's fee) or a
/// `Withdrawn`, so an indexer's sum of credits less withdrawals per payee and token is `owed`.
contract StoryloomLicensing is ERC1155, Ownable2Step, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The basis points a work's shares add up to (the registry's).
    uint256 public constant TOTAL_SHARES = 10_000;
    /// @notice The highest fee the admin may set: 10 %.
    uint16 public constant MAX_FEE_BPS = 1_000;
    /// @notice How many sources above a sold work are paid (a remix of a remix of ...).
    uint256 public constant MAX_UPSTREAM_DEPTH = 4;

    bytes32 public constant PUBLISH_TYPEHASH = keccak256(
        "PublishOffer(bytes32 contentHash,bytes32 termsHash,address token,uint96 price,uint32 maxQuantity,"
        "uint16 upstreamBps,uint16 feeBps,bool commercial,bool remixAllowed,bytes32 salt,uint64 deadline)"
    );
    bytes32 public constant CLOSE_TYPEHASH = keccak256("CloseOffer(uint256 offerId,uint64 deadline)");
    bytes32 public constant PARENT_TYPEHASH =
        keccak256("RecordParent(bytes32 remix,uint256 licenceId,uint64 deadline)");

    /// @notice What the owners sign to publish an offer (with a deadline), and what its id hashes.
    struct Terms {
        bytes32 contentHash; // the work, as registered
        bytes32 termsHash; // sha256 of the licence's text (territory and duration included)
        address token; // address(0): the chain's currency; else an ERC-20
        uint96 price; // in the token's smallest unit (wei)
        uint32 maxQuantity; // 0: unlimited
        uint16 upstreamBps; // of a remix's sales, paid to this work's owners, if remixes are allowed
        uint16 feeBps; // the platform's fee the owners agree to: the contract's at publication
        bool commercial;
        bool remixAllowed;
        bytes32 salt; // the publisher's record id: makes the offer id unique and known in advance
    }

    /// @notice A work's owners and shares as the registry holds them (checked against `stateOf`).
    struct Holders {
        address[] owners;
        uint16[] shares;
    }

    struct Offer {
        bytes32 contentHash; // zero: no such offer
        bytes32 termsHash;
        address token;
        uint96 price;
        uint32 maxQuantity;
        uint32 sold;
        uint16 upstreamBps;
        uint16 feeBps;
        bool commercial;
        bool remixAllowed;
        bool active;
    }

    /// @notice The registry whose owners and shares this contract pays.
    IStoryloomRegistry public immutable registry;
    /// @notice offerId (= licence token id) => the offer.
    mapping(uint256 => Offer) public offers;
    /// @notice A remix's content hash => the licence (offer id) it was made under; zero if none.
    mapping(bytes32 => uint256) public parentOf;
    /// @notice payment token (address(0): the chain's currency) => payee => withdrawable balance.
    mapping(address => mapping(address => uint256)) public owed;
    /// @notice The fee new offers agree to, in basis points of the price.
    uint16 public feeBps;
    /// @notice Who is credited the fee of each sale.
    address public feeRecipient;

    event OfferPublished(
        uint256 indexed offerId,
        bytes32 indexed contentHash,
        bytes32 indexed termsHash,
        address token,
        uint96 price,
        uint32 maxQuantity,
        uint16 upstreamBps,
        uint16 feeBps,
        bool commercial,
        bool remixAllowed,
        bytes32 salt
    );
    event OfferClosed(uint256 indexed offerId, bytes32 indexed contentHash);
    event ParentRecorded(bytes32 indexed remix, uint256 indexed licenceId, bytes32 indexed source, address holder);
    /// @notice One licence sold (its token's id is `offerId`; the price and token are the offer's,
    /// the fee's credit is a `Credited` of contentHash zero in the same transaction).
    /// @param serial how many of the offer's licences are sold, this one included (edition number)
    event LicencePurchased(
        uint256 indexed offerId, address indexed licensee, bytes32 indexed contentHash, address payer, uint32 serial
    );
    /// @param contentHash the work whose owner is credited; zero for the platform's fee
    event Credited(
        bytes32 indexed contentHash, address indexed payee, address indexed token, uint256 offerId, uint256 amount
    );
    event Withdrawn(address indexed payee, address indexed token, address indexed to, uint256 amount);
    event FeeChanged(uint16 feeBps, address indexed recipient);

    error NotRegistered(bytes32 contentHash);
    error StateMismatch(bytes32 contentHash);
    error LengthMismatch(uint256 owners, uint256 signatures);
    error BadSignature(address owner);
    error NoMajority(uint256 approvedShares);
    error SignaturesExpired(uint64 deadline);
    error OfferExists(uint256 offerId);
    error UnknownOffer(uint256 offerId);
    error OfferNotActive(uint256 offerId);
    error SoldOut(uint256 offerId, uint32 maxQuantity);
    error WrongPayment(uint256 sent, uint256 expected);
    error PaymentShortfall(uint256 received, uint256 expected);
    error FeeMismatch(uint16 offered, uint16 current);
    error FeeTooHigh(uint16 feeBps, uint16 max);
    error InvalidBps(uint16 bps);
    error ZeroAddress();
    error ZeroContentHash();
    error LineageMismatch(uint256 given, uint256 expected);
    error RemixNotAllowed(uint256 licenceId);
    error NotLicensed(address holder, uint256 licenceId);
    error ParentAlreadyRecorded(bytes32 remix, uint256 licenceId);
    error LineageCycle(bytes32 remix, bytes32 source);
    error NothingToWithdraw(address payee, address token);

    /// @param uri_ the licence tokens' metadata URI, "{id}" standing for the token id (ERC-1155)
    constructor(IStoryloomRegistry registry_, string memory uri_, address admin, address feeRecipient_,
                uint16 feeBps_)
        ERC1155(uri_)
        Ownable(admin)
        EIP712("StoryloomLicensing", "1")
    {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
        _setFee(feeBps_, feeRecipient_);
    }

    // ---------------------------------------------------------------- offers

    /// @notice Publishes an offer signed by owners holding more than half of the work's shares.
    /// @param signatures one per owner, in the owners' order: an EIP-712 `PublishOffer` signature
    /// (or an ERC-1271 one), or empty for an owner who did not sign
    function publishOffer(Terms calldata terms, uint64 deadline, Holders calldata holders,
                          bytes[] calldata signatures) external returns (uint256 offerId) {
        if (terms.contentHash == bytes32(0)) revert ZeroContentHash();
        if (terms.upstreamBps > TOTAL_SHARES) revert InvalidBps(terms.upstreamBps);
        if (terms.feeBps != feeBps) revert FeeMismatch(terms.feeBps, feeBps);
        offerId = uint256(keccak256(abi.encode(terms)));
        if (offers[offerId].contentHash != bytes32(0)) revert OfferExists(offerId);
        _requireMajority(terms.contentHash, holders, signatures, publishDigest(terms, deadline), deadline);

        offers[offerId] = Offer({
            contentHash: terms.contentHash,
            termsHash: terms.termsHash,
            token: terms.token,
            price: terms.price,
            maxQuantity: terms.maxQuantity,
            sold: 0,
            upstreamBps: terms.upstreamBps,
            feeBps: terms.feeBps,
            commercial: terms.commercial,
            remixAllowed: terms.remixAllowed,
            active: true
        });
        emit OfferPublished(offerId, terms.contentHash, terms.termsHash, terms.token, terms.price,
                            terms.maxQuantity, terms.upstreamBps, terms.feeBps, terms.commercial,
                            terms.remixAllowed, terms.salt);
    }

    /// @notice Closes an offer for good, signed by owners holding more than half of the work's
    /// shares now. Licences sold stay valid and a closed offer's upstream share is still paid.
    function closeOffer(uint256 offerId, uint64 deadline, Holders calldata holders, bytes[] calldata signatures)
        external
    {
        Offer storage offer = offers[offerId];
        bytes32 work = offer.contentHash;
        if (work == bytes32(0)) revert UnknownOffer(offerId);
        if (!offer.active) revert OfferNotActive(offerId);
        _requireMajority(work, holders, signatures, closeDigest(offerId, deadline), deadline);
        offer.active = false;
        emit OfferClosed(offerId, work);
    }

    /// @notice Records, once, the licence `remix` was made under: its sales pay that offer's upstream
    /// share to the source's owners from then on. Signed by owners holding more than half of the
    /// remix's shares; `holders.owners[holderIndex]` holds the licence token.
    function recordParent(bytes32 remix, uint256 licenceId, uint256 holderIndex, uint64 deadline,
                          Holders calldata holders, bytes[] calldata signatures) external {
        Offer storage licence = offers[licenceId];
        bytes32 source = licence.contentHash;
        if (source == bytes32(0)) revert UnknownOffer(licenceId);
        if (!licence.remixAllowed) revert RemixNotAllowed(licenceId);
        if (parentOf[remix] != 0) revert ParentAlreadyRecorded(remix, parentOf[remix]);
        _requireMajority(remix, holders, signatures, parentDigest(remix, licenceId, deadline), deadline);
        address holder = holders.owners[holderIndex];
        if (balanceOf(holder, licenceId) == 0) revert NotLicensed(holder, licenceId);
        // A source that is the remix itself or descends from it (as far as payments go) is refused.
        bytes32 ancestor = source;
        for (uint256 depth; ; ) {
            if (ancestor == remix) revert LineageCycle(remix, source);
            if (++depth > MAX_UPSTREAM_DEPTH) break;
            uint256 parent = parentOf[ancestor];
            if (parent == 0) break;
            ancestor = offers[parent].contentHash;
        }
        parentOf[remix] = licenceId;
        emit ParentRecorded(remix, licenceId, source, holder);
    }

    // ---------------------------------------------------------------- purchase

    /// @notice Buys one licence of `offerId` for `licensee` (often the caller), paying its price.
    /// @param lineage the owners and shares of the sold work, then of each source `lineageOf` lists
    function buy(uint256 offerId, address licensee, Holders[] calldata lineage)
        external
        payable
        nonReentrant
        returns (uint32 serial)
    {
        Offer storage offer = offers[offerId];
        bytes32 work = offer.contentHash;
        if (work == bytes32(0)) revert UnknownOffer(offerId);
        if (!offer.active) revert OfferNotActive(offerId);
        if (licensee == address(0)) revert ZeroAddress();
        uint32 maxQuantity = offer.maxQuantity;
        serial = offer.sold + 1;
        if (maxQuantity != 0 && serial > maxQuantity) revert SoldOut(offerId, maxQuantity);
        address token = offer.token;
        uint256 price = offer.price;
        if (msg.value != (token == address(0) ? price : 0)) {
            revert WrongPayment(msg.value, token == address(0) ? price : 0);
        }

        // Effects: the count, then every credit.
        offer.sold = serial;
        uint256 fee = price * offer.feeBps / TOTAL_SHARES;
        if (fee != 0) {
            address recipient = feeRecipient;
            owed[token][recipient] += fee;
            emit Credited(bytes32(0), recipient, token, offerId, fee);
        }
        _creditLineage(offerId, work, token, price - fee, lineage);
        emit LicencePurchased(offerId, licensee, work, msg.sender, serial);

        // Interactions: the ERC-20 payment, then the licence (which calls a contract licensee back).
        if (token != address(0) && price != 0) _collect(IERC20(token), price);
        _mint(licensee, offerId, 1, "");
    }

    // ---------------------------------------------------------------- withdrawals

    /// @notice Pays the caller everything it is owed in `token` (address(0): the chain's currency).
    function withdraw(address token) external nonReentrant returns (uint256) {
        return _withdraw(token, payable(msg.sender));
    }

    /// @notice Pays everything the caller is owed in `token` to `to` (another address of theirs).
    function withdrawTo(address token, address payable to) external nonReentrant returns (uint256) {
        if (to == address(0)) revert ZeroAddress();
        return _withdraw(token, to);
    }

    // ---------------------------------------------------------------- admin

    /// @notice The fee offers published from now on agree to, and who is credited every sale's fee.
    function setFee(uint16 feeBps_, address recipient) external onlyOwner {
        _setFee(feeBps_, recipient);
    }

    // ---------------------------------------------------------------- views

    /// @notice The works a purchase of `offerId`'s licence credits, in the order `buy` wants their
    /// owners: the offer's work, then each source paid upstream.
    function lineageOf(uint256 offerId) external view returns (bytes32[] memory works) {
        bytes32[] memory found = new bytes32[](MAX_UPSTREAM_DEPTH + 1);
        bytes32 work = offers[offerId].contentHash;
        if (work == bytes32(0)) revert UnknownOffer(offerId);
        uint256 count;
        while (true) {
            found[count++] = work;
            uint256 parent = parentOf[work];
            if (parent == 0 || count > MAX_UPSTREAM_DEPTH || offers[parent].upstreamBps == 0) break;
            work = offers[parent].contentHash;
        }
        works = new bytes32[](count);
        for (uint256 i; i < count; ++i) works[i] = found[i];
    }

    /// @notice The work and the terms' hash a licence token (an offer's id) stands for.
    function licenceTerms(uint256 tokenId) external view returns (bytes32 contentHash, bytes32 termsHash) {
        Offer storage offer = offers[tokenId];
        return (offer.contentHash, offer.termsHash);
    }

    /// @notice The EIP-712 digest owners sign to publish `terms` until `deadline`.
    function publishDigest(Terms calldata terms, uint64 deadline) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PUBLISH_TYPEHASH, terms, deadline)));
    }

    /// @notice The EIP-712 digest owners sign to close `offerId` until `deadline`.
    function closeDigest(uint256 offerId, uint64 deadline) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CLOSE_TYPEHASH, offerId, deadline)));
    }

    /// @notice The EIP-712 digest a remix's owners sign to record the licence it was made under.
    function parentDigest(bytes32 remix, uint256 licenceId, uint64 deadline) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PARENT_TYPEHASH, remix, licenceId, deadline)));
    }

    // ---------------------------------------------------------------- internal

    function _setFee(uint16 feeBps_, address recipient) private {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        if (recipient == address(0)) revert ZeroAddress();
        feeBps = feeBps_;
        feeRecipient = recipient;
        emit FeeChanged(feeBps_, recipient);
    }

    function _requireHolders(bytes32 contentHash, Holders calldata holders) private view {
        bytes32 stored = registry.stateOf(contentHash);
        if (stored == bytes32(0)) revert NotRegistered(contentHash);
        if (keccak256(abi.encode(holders.owners, holders.shares)) != stored) revert StateMismatch(contentHash);
    }

    /// @dev The holders are the work's current ones, and those who signed `digest` hold more than
    /// half of its shares.
    function _requireMajority(bytes32 contentHash, Holders calldata holders, bytes[] calldata signatures,
                              bytes32 digest, uint64 deadline) private view {
        if (block.timestamp > deadline) revert SignaturesExpired(deadline);
        _requireHolders(contentHash, holders);
        uint256 count = holders.owners.length;
        if (signatures.length != count) revert LengthMismatch(count, signatures.length);
        uint256 approved;
        for (uint256 i; i < count; ++i) {
            if (signatures[i].length == 0) continue;
            address owner = holders.owners[i];
            if (!SignatureChecker.isValidSignatureNowCalldata(owner, digest, signatures[i])) {
                revert BadSignature(owner);
            }
            approved += holders.shares[i];
        }
        if (approved * 2 <= TOTAL_SHARES) revert NoMajority(approved);
    }

    /// @dev Credits `amount` entering `work`: its upstream share to its source (recursively), the
    /// rest to its owners. `lineage` holds one entry per work credited, no more.
    function _creditLineage(uint256 offerId, bytes32 work, address token, uint256 amount,
                            Holders[] calldata lineage) private {
        uint256 levels = lineage.length;
        for (uint256 level; ; ++level) {
            if (level >= levels) revert LineageMismatch(levels, level + 1);
            uint256 upstream;
            bytes32 source;
            uint256 parent = parentOf[work];
            if (parent != 0 && level < MAX_UPSTREAM_DEPTH) {
                Offer storage licence = offers[parent];
                uint256 bps = licence.upstreamBps;
                if (bps != 0) {
                    upstream = amount * bps / TOTAL_SHARES;
                    source = licence.contentHash;
                }
            }
            _credit(work, offerId, token, amount - upstream, lineage[level]);
            if (source == bytes32(0)) {
                if (level + 1 != levels) revert LineageMismatch(levels, level + 1);
                return;
            }
            work = source;
            amount = upstream;
        }
    }

    /// @dev Takes `price` of `token` from the caller; what arrives must be the price.
    function _collect(IERC20 token, uint256 price) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), price);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != price) revert PaymentShortfall(received, price);
    }

    /// @dev Credits `amount` to the work's owners by share; the floors' remainder to the largest share
    /// (the earliest among equals). The registry guarantees the shares add up to TOTAL_SHARES.
    function _credit(bytes32 work, uint256 offerId, address token, uint256 amount, Holders calldata holders)
        private
    {
        _requireHolders(work, holders);
        if (amount == 0) return;
        uint16[] calldata shares = holders.shares;
        uint256 count = shares.length;
        uint256 given;
        uint256 largest;
        uint256 largestShare;
        for (uint256 i; i < count; ++i) {
            uint256 share = shares[i];
            given += amount * share / TOTAL_SHARES;
            if (share > largestShare) {
                largestShare = share;
                largest = i;
            }
        }
        uint256 remainder = amount - given;
        for (uint256 i; i < count; ++i) {
            uint256 credit = amount * shares[i] / TOTAL_SHARES;
            if (i == largest) credit += remainder;
            if (credit == 0) continue;
            address payee = holders.owners[i];
            owed[token][payee] += credit;
            emit Credited(work, payee, token, offerId, credit);
        }
    }

    function _withdraw(address token, address payable to) private returns (uint256 amount) {
        amount = owed[token][msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        owed[token][msg.sender] = 0;
        emit Withdrawn(msg.sender, token, to, amount);
        if (token == address(0)) Address.sendValue(to, amount);
        else IERC20(token).safeTransfer(to, amount);
    }
}
