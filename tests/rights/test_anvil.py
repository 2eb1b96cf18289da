"""The local chain itself: the keys the fixtures sign with are the ones anvil funds, and anvil stopped
with SIGINT keeps its state for the next start (what `make up` relies on)."""

from pathlib import Path

from eth_account import Account
from web3 import Web3

from rights.chain.anvil import CHAIN_ID, Anvil, rpc
from tests.rights.helpers import DevChain

# anvil's documented first dev key (of the "test ... junk" mnemonic).
FIRST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_the_derived_keys_are_the_funded_accounts(anvil: DevChain, w3: Web3) -> None:
    assert anvil.keys[0] == FIRST_KEY
    assert w3.eth.chain_id == CHAIN_ID
    for key in anvil.keys:
        assert w3.eth.get_balance(Account.from_key(key).address) > Web3.to_wei(9_000, "ether")
    assert w3.eth.accounts == [Account.from_key(key).address for key in anvil.keys]  # the same ten


def test_sigint_saves_the_state_for_the_next_start(tmp_path: Path, anvil: DevChain) -> None:
    state = tmp_path / "anvil.json"
    node = Anvil.start(args=["--state", str(state)])
    try:
        for _ in range(3):
            rpc(node.url, "evm_mine")
    finally:
        assert node.stop() == 0
    assert state.exists()
    again = Anvil.start(args=["--state", str(state)])
    try:
        assert int(rpc(again.url, "eth_blockNumber"), 16) == 3
    finally:
        again.stop()
