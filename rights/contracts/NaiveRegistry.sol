// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title The gas benchmark's baseline: a naive registry
/// @notice Stores owner, URI and timestamp per work in storage, as a first attempt would.
/// Used only by benchmarks/rights_gas.py; never deployed by the platform.
contract NaiveRegistry {
    struct Work {
        address owner;
        string uri;
        uint256 timestamp;
    }

    mapping(bytes32 => Work) public works;

    error AlreadyRegistered(bytes32 contentHash);

    function register(bytes32 contentHash, string calldata uri) external {
        if (works[contentHash].owner != address(0)) revert AlreadyRegistered(contentHash);
        works[contentHash] = Work(msg.sender, uri, block.timestamp);
    }
}
