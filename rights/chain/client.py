"""The configured chain: a web3 client for CHAIN_RPC_URL and the registry contract on it.

The registry's address is REGISTRY_ADDRESS, or the one `manage.py chain_setup` recorded in
CHAIN_DIR/registry.json when it deployed the contract (the embedded anvil, on first run).
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from web3 import Web3
from web3.contract import Contract

from rights.chain.contract import REGISTRY, artifact, deploy, registry_at
from rights.keys import platform_account
from rights.metadata import metadata_template

FUNDING_WEI = 10**21  # what a development key gets on anvil (1,000 ETH)


def web3(timeout: float = 10, *, retries: bool = True) -> Web3:
    """A client of the configured node. `retries=False` for reads a page waits on: web3 retries a
    timed-out read five times, so one stalled node would cost a page six timeouts."""
    if retries:
        return Web3(Web3.HTTPProvider(settings.CHAIN_RPC_URL, request_kwargs={"timeout": timeout}))
    return Web3(Web3.HTTPProvider(settings.CHAIN_RPC_URL, request_kwargs={"timeout": timeout},
                                  exception_retry_configuration=None))


def _deployment_file() -> Path:
    return Path(settings.CHAIN_DIR) / "registry.json"


def registry_address() -> str:
    if settings.REGISTRY_ADDRESS:
        return str(settings.REGISTRY_ADDRESS)
    path = _deployment_file()
    if path.exists():
        return str(json.loads(path.read_text())["address"])
    raise ImproperlyConfigured("No registry: set REGISTRY_ADDRESS, or run `manage.py chain_setup`.")


def registry(w3: Web3 | None = None) -> Contract:
    return registry_at(w3 or web3(), registry_address())


def chain_setup() -> dict[str, Any]:
    """Make the configured chain usable: on anvil, fund the platform key; deploy the registry when
    no address is configured and the last deployment's address holds no contract (anvil's state
    may have been reset) or another version of it (the committed artifact changed). Returns what
    it found or did."""
    w3 = web3()
    if w3.eth.chain_id != settings.CHAIN_ID:
        raise ImproperlyConfigured(f"{settings.CHAIN_RPC_URL} is chain {w3.eth.chain_id}, not CHAIN_ID "
                                   f"{settings.CHAIN_ID}.")
    account = platform_account()
    report: dict[str, Any] = {"signer": account.address, "funded": False, "deployed": False}
    if settings.EMBEDDED_CHAIN and w3.eth.get_balance(account.address) < FUNDING_WEI // 10:
        w3.provider.make_request("anvil_setBalance", [account.address, hex(FUNDING_WEI)])  # type: ignore[arg-type]
        report["funded"] = True
    if settings.REGISTRY_ADDRESS:
        address = str(settings.REGISTRY_ADDRESS)
        if not w3.eth.get_code(Web3.to_checksum_address(address)):
            raise ImproperlyConfigured(f"REGISTRY_ADDRESS {address} holds no contract on this chain.")
    else:
        path = _deployment_file()
        known = json.loads(path.read_text()) if path.exists() else None
        deployed = bytes(w3.eth.get_code(Web3.to_checksum_address(known["address"]))) if known else b""
        if deployed != bytes.fromhex(artifact()["deployedBytecode"][2:]):
            contract = deploy(w3, account, REGISTRY, metadata_template())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"address": contract.address, "chain_id": settings.CHAIN_ID,
                                        "compiler": artifact()["compiler"]}, indent=2))
            report["deployed"] = True
        address = registry_address()
    report["registry"] = address
    return report
