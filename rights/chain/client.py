"""The configured chain: a web3 client for CHAIN_RPC_URL and the platform's contracts on it.

The registry's address is REGISTRY_ADDRESS, or the one `manage.py chain_setup` recorded in
CHAIN_DIR/registry.json when it deployed the contract (the embedded anvil, on first run). The
licensing contract and the stablecoin are LICENSING_ADDRESS and STABLECOIN_ADDRESS, or the ones
chain_setup deployed beside the registry (CHAIN_DIR/licensing.json).
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from web3 import Web3
from web3.contract import Contract

from rights.chain.contract import REGISTRY, artifact, deploy, registry_at, transact
from rights.chain.licensing import LICENSING, STABLECOIN
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


def _licensing_file() -> Path:
    return Path(settings.CHAIN_DIR) / "licensing.json"


def _licensing_deployment() -> dict[str, Any]:
    path = _licensing_file()
    return dict(json.loads(path.read_text())) if path.exists() else {}


def licensing_address() -> str:
    address = settings.LICENSING_ADDRESS or _licensing_deployment().get("licensing", "")
    if not address:
        raise ImproperlyConfigured(
            "No licensing contract: set LICENSING_ADDRESS, or run `manage.py chain_setup`.")
    return str(address)


def stablecoin_address() -> str:
    address = settings.STABLECOIN_ADDRESS or _licensing_deployment().get("stablecoin", "")
    if not address:
        raise ImproperlyConfigured("No stablecoin: set STABLECOIN_ADDRESS, or run `manage.py chain_setup`.")
    return str(address)


def licensing(w3: Web3 | None = None) -> Contract:
    return registry_at(w3 or web3(), licensing_address(), LICENSING)


def stablecoin(w3: Web3 | None = None) -> Contract:
    return registry_at(w3 or web3(), stablecoin_address(), STABLECOIN)


def _artifact_digest(name: str) -> str:
    return hashlib.sha256(artifact(name)["bytecode"].encode()).hexdigest()


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
    report.update(_licensing_setup(w3, account, address))
    return report


def _licensing_setup(w3: Web3, account: Any, registry_addr: str) -> dict[str, Any]:
    """Deploy the stablecoin and the licensing contract (bound to the registry at `registry_addr`)
    unless configured, or when the recorded ones are gone (a reset anvil), bound to another
    registry, or built from another artifact."""
    if settings.LICENSING_ADDRESS:
        for name, value in (("LICENSING_ADDRESS", settings.LICENSING_ADDRESS),
                            ("STABLECOIN_ADDRESS", settings.STABLECOIN_ADDRESS)):
            if not value or not w3.eth.get_code(Web3.to_checksum_address(value)):
                raise ImproperlyConfigured(f"{name} {value or '(unset)'} holds no contract on this chain.")
        return {"licensing": settings.LICENSING_ADDRESS, "stablecoin": settings.STABLECOIN_ADDRESS,
                "licensing_deployed": False}
    known = _licensing_deployment()
    wanted = {"registry": registry_addr, "licensing_artifact": _artifact_digest(LICENSING),
              "stablecoin_artifact": _artifact_digest(STABLECOIN)}
    current = (all(known.get(key) == value for key, value in wanted.items())
               and all(known.get(name) and w3.eth.get_code(Web3.to_checksum_address(known[name]))
                       for name in ("licensing", "stablecoin")))
    if current:
        return {"licensing": known["licensing"], "stablecoin": known["stablecoin"],
                "licensing_deployed": False}
    coin = deploy(w3, account, STABLECOIN, account.address)
    uri = settings.SITE_URL.rstrip("/") + "/licences/tokens/{id}.json"
    licensing_contract = deploy(w3, account, LICENSING, Web3.to_checksum_address(registry_addr), uri,
                                account.address, account.address, settings.LICENSING_FEE_BPS)
    record = {**wanted, "licensing": licensing_contract.address, "stablecoin": coin.address,
              "chain_id": settings.CHAIN_ID}
    _licensing_file().write_text(json.dumps(record, indent=2))
    return {"licensing": licensing_contract.address, "stablecoin": coin.address, "licensing_deployed": True}


def accounts_fund(addresses: list[str]) -> list[str]:
    """On the embedded chain only: give each address DEMO_FUNDS_WEI of ETH and DEMO_FUNDS_STABLECOIN
    of the stablecoin where it has less than half of either (the demo's buyers). Returns those
    it funded."""
    if not settings.EMBEDDED_CHAIN:
        return []
    w3 = web3()
    coin = stablecoin(w3)
    account = platform_account()
    funded: list[str] = []
    for address in addresses:
        checksum = Web3.to_checksum_address(address)
        topped = False
        if w3.eth.get_balance(checksum) < settings.DEMO_FUNDS_WEI // 2:
            w3.provider.make_request("anvil_setBalance", [checksum, hex(settings.DEMO_FUNDS_WEI)])  # type: ignore[arg-type]
            topped = True
        held = coin.functions.balanceOf(checksum).call()
        if held < settings.DEMO_FUNDS_STABLECOIN // 2:
            transact(w3, account, coin.functions.mint(checksum, settings.DEMO_FUNDS_STABLECOIN - held))
            topped = True
        if topped:
            funded.append(checksum)
    return funded
