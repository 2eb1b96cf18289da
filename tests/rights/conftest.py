"""A real chain for the rights tests: one anvil process per run, a fresh registry per test.

anvil comes from node_modules (`npm ci`, which make runs); without it these tests are skipped
locally and fail on CI.
"""

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis.configuration import set_hypothesis_home_dir
from web3 import Web3
from web3.contract import Contract

from rights import keys
from rights.anvil import Anvil, AnvilError, anvil_binary, dev_keys
from rights.chain import chain_setup
from rights.contract import deploy
from rights.models import ChainTx, TxStatus
from rights.outbox import signer_run, signers_in_flight
from tests.servers import ROOT, free_port

# Hypothesis keeps its example database and caches out of the work tree (var/ is ignored by git).
set_hypothesis_home_dir(ROOT / "var" / "hypothesis")


def require_node_tool(check: Callable[[], object]) -> None:
    """Skips (fails on CI) when a tool that `npm ci` installs is missing."""
    try:
        check()
    except (AnvilError, FileNotFoundError) as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))


@dataclass(frozen=True)
class DevChain:
    url: str
    keys: list[str]  # the private keys of the accounts anvil funds (from its default mnemonic)


@pytest.fixture(scope="session")
def anvil() -> Iterator[DevChain]:
    require_node_tool(anvil_binary)
    node = Anvil.start(port=free_port())
    try:
        yield DevChain(node.url, dev_keys())
    finally:
        node.stop()  # SIGINT


@pytest.fixture(scope="session")
def w3(anvil: DevChain) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def accounts(anvil: DevChain) -> list[LocalAccount]:
    """Local signers (eth-account): the node holds no unlocked account we use."""
    return [Account.from_key(key) for key in anvil.keys]


@pytest.fixture
def registry(w3: Web3, accounts: list[LocalAccount]) -> Contract:
    """StoryloomRegistry freshly deployed by accounts[9] (a deployer with no role in the contract)."""
    return deploy(w3, accounts[9])


@pytest.fixture(scope="session")
def shared_registry(w3: Web3, accounts: list[LocalAccount]) -> Contract:
    """One deployment for all of a hypothesis test's examples (each registers fresh hashes, if any)."""
    return deploy(w3, accounts[9])


def point_at_chain(settings: Any, tmp_path: Path, url: str) -> None:
    """Settings for the platform's chain code: the node at `url`, a signing key made in tmp_path."""
    keys._platform_key.cache_clear()
    settings.CHAIN_RPC_URL, settings.EMBEDDED_CHAIN, settings.CHAIN_ID = url, True, 31337
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.CHAIN_PRIVATE_KEY = settings.CHAIN_KEYSTORE_PASSWORD = settings.REGISTRY_ADDRESS = ""
    settings.CHAIN_USE_FINALIZED, settings.CHAIN_CONFIRMATIONS = False, 1


@pytest.fixture
def platform_chain(settings: Any, tmp_path: Path, anvil: DevChain) -> Iterator[Any]:
    """The platform configured for the test chain, its key funded and a registry of its own
    deployed (chain_setup); yields the settings."""
    point_at_chain(settings, tmp_path, anvil.url)
    chain_setup()
    yield settings
    keys._platform_key.cache_clear()


def settle(timeout: float = 60) -> None:
    """Run every signer with work in flight until none has any (what the `chain` worker does),
    fund payments included."""
    deadline = time.monotonic() + timeout
    while signers := signers_in_flight():
        for signer in signers:
            signer_run(signer)
        assert time.monotonic() < deadline, list(ChainTx.objects.exclude(status=TxStatus.CONFIRMED).values())
        time.sleep(0.05)
