"""The registry contract from Python: its committed artifact, deployment, and revert decoding.

The artifacts are what `node rights/contracts/compile.mjs` writes (committed, checked by a test).
`transact` signs locally with eth-account and waits for the receipt: it is for one sender doing one
thing at a time (tests, the benchmark, the first deployment); the platform's outbox signer owns
nonces when many registrations are in flight.
"""

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from eth_abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxReceipt

ARTIFACTS = Path(__file__).resolve().parents[1] / "contracts" / "artifacts"
REGISTRY = "StoryloomRegistry"
NAIVE = "NaiveRegistry"
# Solidity's built-in revert reasons, beside the contracts' custom errors.
_BUILTIN_ERRORS = [{"type": "error", "name": "Error", "inputs": [{"type": "string", "name": "message"}]},
                   {"type": "error", "name": "Panic", "inputs": [{"type": "uint256", "name": "code"}]}]


class TransactionFailed(RuntimeError):
    def __init__(self, receipt: TxReceipt) -> None:
        super().__init__(f"transaction {receipt['transactionHash'].to_0x_hex()} reverted")
        self.receipt = receipt


@cache
def artifact(name: str = REGISTRY) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def registry_at(w3: Web3, address: str, name: str = REGISTRY) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact(name)["abi"])


def transact(w3: Web3, account: LocalAccount, call: ContractFunction | ContractConstructor,
             *, gas: int | None = None, value: int = 0) -> TxReceipt:
    """Signs `call` with `account`, sends it (with `value` wei) and waits for its receipt; raises
    ContractLogicError (decode it with `revert_error`) if it would revert, TransactionFailed if it
    did on chain."""
    params: dict[str, Any] = {"from": account.address, "chainId": w3.eth.chain_id,
                              "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    if gas is not None:
        params["gas"] = gas  # skips estimation (a reverting call is then mined and fails)
    if value:
        params["value"] = value
    tx = call.build_transaction(params)  # type: ignore[arg-type]
    return _send(w3, account, tx)


def send_value(w3: Web3, account: LocalAccount, to: str, value: int) -> TxReceipt:
    """Sends `value` wei from `account` to `to` and waits for the receipt (funding an account)."""
    tx: dict[str, Any] = {"from": account.address, "to": Web3.to_checksum_address(to), "value": value,
                          "chainId": w3.eth.chain_id,
                          "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                          "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 1,
                          "maxPriorityFeePerGas": 1}
    tx["gas"] = w3.eth.estimate_gas(cast(Any, tx))  # 21,000 to an account; more to a contract
    return _send(w3, account, tx)


def _send(w3: Web3, account: LocalAccount, tx: Any) -> TxReceipt:
    signed = account.sign_transaction(cast(Any, tx))
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction),
                                                  timeout=30)
    if receipt["status"] != 1:
        raise TransactionFailed(receipt)
    return receipt


def plain(value: Any) -> Any:
    """An event's argument as the platform keeps it (JSON): bytes as 0x-hex, lists recursed."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def deploy(w3: Web3, account: LocalAccount, name: str = REGISTRY, *args: Any) -> Contract:
    """Deploys the committed contract `name` with constructor arguments `args` (the registry's: its
    metadata URI template)."""
    spec = artifact(name)
    return deploy_compiled(w3, account, spec["abi"], spec["bytecode"], *args)


def deploy_compiled(w3: Web3, account: LocalAccount, abi: list[dict[str, Any]], bytecode: str,
                    *args: Any) -> Contract:
    """Deploys any compiled contract and returns it bound to its address."""
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    address = transact(w3, account, factory.constructor(*args))["contractAddress"]
    assert address is not None
    return w3.eth.contract(address=address, abi=abi)


REGISTERING = ("register", "registerWithURI")


def registration_input(contract: Contract, tx: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record a registration transaction sent, decoded from its input: contentHash, iscc,
    termsHash, owners, shares (and metadataURI for registerWithURI), with `function` and `sender`.
    None unless the transaction called this contract's registering functions directly: only then
    is its input exactly what the contract ran (a call made through another contract has its own
    input, which may say anything)."""
    if str(tx.get("to") or "").lower() != contract.address.lower():
        return None
    try:
        function, args = contract.decode_function_input(tx["input"])
    except (ValueError, Web3Exception):  # another selector, or input that does not decode
        return None
    if function.fn_name not in REGISTERING:
        return None
    return {**args, "function": function.fn_name, "sender": tx["from"]}


@cache
def _error_selectors(name: str) -> dict[bytes, tuple[str, list[str], list[str]]]:
    selectors = {}
    for entry in [*artifact(name)["abi"], *_BUILTIN_ERRORS]:
        if entry["type"] == "error":
            types = [arg["type"] for arg in entry["inputs"]]
            signature = f"{entry['name']}({','.join(types)})"
            names = [arg["name"] for arg in entry["inputs"]]
            selectors[keccak(text=signature)[:4]] = (entry["name"], types, names)
    return selectors


def revert_error(error: ContractLogicError | bytes | str, name: str = REGISTRY) -> tuple[str, dict[str, Any]]:
    """The custom error (name and arguments) a revert carries, e.g.
    ("AlreadyRegistered", {"contentHash": b"..."}); ("", {}) for a revert without data."""
    data: Any = error.data if isinstance(error, ContractLogicError) else error
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data or b"")
    if len(raw) < 4:
        return "", {}
    found = _error_selectors(name).get(raw[:4])
    if found is None:
        raise ValueError(f"unknown revert selector 0x{raw[:4].hex()}")
    error_name, types, names = found
    values = [Web3.to_checksum_address(value) if kind == "address" else value
              for kind, value in zip(types, decode(types, raw[4:]), strict=True)]
    return error_name, dict(zip(names, values, strict=True))
