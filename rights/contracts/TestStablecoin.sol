// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Storyloom test dollar
/// @notice A stablecoin for the development chain only (no value, no peg): 6 decimals as USDC has,
/// minted by its owner (the platform's account, which funds the demo users). Licence prices in an
/// ERC-20 are tried with it on anvil; on a real network the licensing contract takes whatever
/// stablecoin the platform is configured with.
contract TestStablecoin is ERC20, Ownable {
    constructor(address owner_) ERC20("Storyloom Test Dollar", "tUSD") Ownable(owner_) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
