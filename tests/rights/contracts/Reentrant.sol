// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice A test's attacker for StoryloomLicensing: a payee (a co-owner) or a licence buyer that, each
/// time the contract hands it control (a payment in the chain's currency, the ERC-1155 receiver
/// check), calls the contract again with `again`, up to `rounds` times. It swallows a refused
/// re-entry, so an attack that the guard stops still lets the outer call finish: the test then sees
/// exactly what an honest caller would have got, and `succeeded` counts the re-entries that ran.
contract Reentrant {
    address public immutable target;
    bytes private again;
    uint256 private againValue;
    uint256 public rounds;
    uint256 public succeeded;
    uint256 public refused;

    constructor(address target_) payable {
        target = target_;
    }

    /// @notice Calls the target with `first` (and `firstValue` wei), re-entering with `again_` (and
    /// `againValue_` wei) from every callback, `rounds_` times in all. Reverts as `first` does.
    function attack(bytes calldata first, uint256 firstValue, bytes calldata again_, uint256 againValue_,
                    uint256 rounds_) external {
        again = again_;
        againValue = againValue_;
        rounds = rounds_;
        (bool ok, bytes memory reason) = target.call{value: firstValue}(first);
        if (!ok) {
            assembly {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    function _reenter() private {
        if (rounds == 0) return;
        rounds -= 1;
        (bool ok,) = target.call{value: againValue}(again);
        if (ok) succeeded += 1;
        else refused += 1;
    }

    receive() external payable {
        _reenter();
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _reenter();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        returns (bytes4)
    {
        return this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x4e2312e0 || interfaceId == 0x01ffc9a7; // ERC1155Receiver, ERC165
    }
}
