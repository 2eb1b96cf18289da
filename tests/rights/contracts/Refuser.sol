// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice A test's co-owner that refuses every payment in the chain's currency: in a design that
/// pays owners during the purchase it blocks every sale of its work.
contract Refuser {
    error Refused();

    receive() external payable {
        revert Refused();
    }
}
