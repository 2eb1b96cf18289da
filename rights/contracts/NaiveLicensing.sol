// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @notice What the baseline reads of StoryloomRegistry.
interface IRegistryState {
    function stateOf(bytes32 contentHash) external view returns (bytes32);
}

/// @title Naive licence sales (the gas benchmark's baseline)
/// @notice The obvious design StoryloomLicensing is measured against: a purchase pays every co-owner
/// (and the platform's fee) at once, pushing the chain's currency to each address inside the
/// purchase. It checks owners and shares against the registry and mints the same ERC-1155 licence
/// token as StoryloomLicensing, so the two differ in how the money leaves: pushed here, credited and
/// withdrawn there. Any co-owner able to revert on receipt blocks every sale; a co-owner's contract
/// gets control in the middle of the purchase, and a payee's first payment creates its account
/// (25,000 gas more, when it held nothing). Not for use: anyone publishes offers, the chain's
/// currency only, no upstream shares.
contract NaiveLicensing is ERC1155 {
    uint256 private constant TOTAL_SHARES = 10_000;

    struct Offer {
        bytes32 contentHash;
        uint96 price;
        uint32 sold;
        uint32 maxQuantity;
    }

    IRegistryState public immutable registry;
    uint16 public immutable feeBps;
    address public immutable feeRecipient;
    mapping(uint256 => Offer) public offers;
    uint256 public offerCount;

    event OfferPublished(uint256 indexed offerId, bytes32 indexed contentHash, uint96 price, uint32 maxQuantity);
    event LicencePurchased(uint256 indexed offerId, address indexed licensee, bytes32 indexed contentHash,
                           address payer, uint32 serial);

    error StateMismatch(bytes32 contentHash);
    error UnknownOffer(uint256 offerId);
    error SoldOut(uint256 offerId);
    error WrongPayment(uint256 sent, uint256 expected);
    error PaymentFailed(address payee, uint256 amount);

    constructor(IRegistryState registry_, uint16 feeBps_, address feeRecipient_) ERC1155("") {
        registry = registry_;
        feeBps = feeBps_;
        feeRecipient = feeRecipient_;
    }

    function publishOffer(bytes32 contentHash, uint96 price, uint32 maxQuantity, address[] calldata owners,
                          uint16[] calldata shares) external returns (uint256 offerId) {
        _requireHolders(contentHash, owners, shares);
        offerId = ++offerCount;
        offers[offerId] = Offer(contentHash, price, 0, maxQuantity);
        emit OfferPublished(offerId, contentHash, price, maxQuantity);
    }

    function buy(uint256 offerId, address licensee, address[] calldata owners, uint16[] calldata shares)
        external
        payable
    {
        Offer storage offer = offers[offerId];
        bytes32 work = offer.contentHash;
        if (work == bytes32(0)) revert UnknownOffer(offerId);
        uint32 serial = offer.sold + 1;
        if (offer.maxQuantity != 0 && serial > offer.maxQuantity) revert SoldOut(offerId);
        uint256 price = offer.price;
        if (msg.value != price) revert WrongPayment(msg.value, price);
        _requireHolders(work, owners, shares);
        offer.sold = serial;
        emit LicencePurchased(offerId, licensee, work, msg.sender, serial);

        uint256 fee = price * feeBps / TOTAL_SHARES;
        if (fee != 0) _pay(feeRecipient, fee);
        uint256 amount = price - fee;
        uint256 given;
        uint256 largest;
        for (uint256 i; i < shares.length; ++i) {
            given += amount * shares[i] / TOTAL_SHARES;
            if (shares[i] > shares[largest]) largest = i;
        }
        for (uint256 i; i < owners.length; ++i) {
            uint256 payment = amount * shares[i] / TOTAL_SHARES;
            if (i == largest) payment += amount - given;
            if (payment != 0) _pay(owners[i], payment);
        }
        _mint(licensee, offerId, 1, "");
    }

    function _pay(address payee, uint256 amount) private {
        (bool ok,) = payable(payee).call{value: amount}("");
        if (!ok) revert PaymentFailed(payee, amount);
    }

    function _requireHolders(bytes32 contentHash, address[] calldata owners, uint16[] calldata shares)
        private
        view
    {
        if (keccak256(abi.encode(owners, shares)) != registry.stateOf(contentHash)) revert StateMismatch(contentHash);
    }
}
