// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

interface IStoryloomRegistry {
    function register(bytes32 contentHash, string calldata iscc, bytes32 termsHash, address[] calldata owners,
                      uint16[] calldata shares) external;
}

/// @notice A test's attacker: its `register` looks like the registry's, but registers the work as its
/// own whatever owners its input names. A reader that believed this transaction's input would show
/// owners the chain never recorded.
contract Disguise {
    IStoryloomRegistry private immutable registry;

    constructor(IStoryloomRegistry target) {
        registry = target;
    }

    function register(bytes32 contentHash, string calldata iscc, bytes32 termsHash, address[] calldata owners,
                      uint16[] calldata shares) external {
        owners; shares; // claimed, not used
        address[] memory itself = new address[](1);
        itself[0] = address(this);
        uint16[] memory whole = new uint16[](1);
        whole[0] = 10_000;
        registry.register(contentHash, iscc, termsHash, itself, whole);
    }
}
