"""Helpers for the tests that use the chain and the works (rights, and the pages, browser and
health tests that need a chain). The fixtures built on them (`anvil`, `platform_chain`, `works_dirs`)
are in tests/plugins/."""

import io
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from rights import keys
from rights.chain.anvil import AnvilError
from rights.chain.client import chain_setup
from rights.chain.contract import deploy_compiled
from rights.chain.outbox import signer_run, signers_in_flight
from rights.models import ChainTx, TxStatus
from tests.servers import ROOT
from tests.waiting import wait_until


def require_node_tool(check: Callable[[], object]) -> None:
    """Skips (fails on CI) when a tool that `npm ci` installs is missing."""
    try:
        check()
    except (AnvilError, FileNotFoundError) as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))


TEMPLATE = "https://storyloom.test/registered/{id}/metadata.json"  # registries the tests deploy
CONTRACTS = Path(__file__).resolve().parent / "contracts"  # contracts only tests deploy (attackers)


@cache
def _compiled(name: str) -> dict[str, Any]:
    """tests/rights/contracts/<name>.sol compiled with the project's pinned solc (as
    rights/contracts/compile.mjs does): its ABI and bytecode."""
    script = (
        "const solc = require('solc'); const fs = require('fs');"
        f"const input = {{language: 'Solidity', sources: {{'{name}.sol': {{content: fs.readFileSync("
        f"{json.dumps(str(CONTRACTS / f'{name}.sol'))}, 'utf8')}}}}, settings: {{evmVersion: 'cancun', "
        "outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object']}}}};"
        "process.stdout.write(solc.compile(JSON.stringify(input)));")
    output = json.loads(subprocess.run(["node", "-e", script], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"], output["errors"]
    contract = output["contracts"][f"{name}.sol"][name]
    return {"abi": contract["abi"], "bytecode": "0x" + contract["evm"]["bytecode"]["object"]}


def deploy_test_contract(w3: Any, account: Any, name: str, *args: Any) -> Any:
    compiled = _compiled(name)
    return deploy_compiled(w3, account, compiled["abi"], compiled["bytecode"], *args)


@dataclass(frozen=True)
class DevChain:
    url: str
    keys: list[str]  # the private keys of the accounts anvil funds (from its default mnemonic)


def point_at_chain(settings: Any, tmp_path: Path, url: str) -> None:
    """Settings for the platform's chain code: the node at `url`, a signing key made in tmp_path."""
    keys._platform_key.cache_clear()
    settings.CHAIN_RPC_URL, settings.EMBEDDED_CHAIN, settings.CHAIN_ID = url, True, 31337
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.CHAIN_PRIVATE_KEY = settings.CHAIN_KEYSTORE_PASSWORD = settings.REGISTRY_ADDRESS = ""
    settings.CHAIN_USE_FINALIZED, settings.CHAIN_CONFIRMATIONS = False, 1


def platform_on_chain(settings: Any, tmp_path: Path, url: str) -> dict[str, str]:
    """The test process on the chain at `url` (registry deployed), with media and models in
    tmp_path; returns the environment a test server and worker need to share all of it."""
    point_at_chain(settings, tmp_path, url)
    chain_setup()  # the platform's key and the registry's address, in CHAIN_DIR
    settings.MEDIA_ROOT, settings.GENERATION_MODELS_DIR = tmp_path / "media", tmp_path / "models"
    return {"CHAIN_RPC_URL": url, "CHAIN_DIR": str(settings.CHAIN_DIR), "CHAIN_USE_FINALIZED": "false",
            "CHAIN_CONFIRMATIONS": "1", "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "GENERATION_MODELS_DIR": str(settings.GENERATION_MODELS_DIR)}


def settle(timeout: float = 60) -> None:
    """Run every signer with work in flight until none has any (what the `chain` worker does),
    fund payments included."""

    def one_pass() -> bool:
        signers = signers_in_flight()
        for signer in signers:
            signer_run(signer)
        return not signers

    wait_until(one_pass, timeout=timeout, message=lambda: "transactions still in flight: " + repr(
        list(ChainTx.objects.exclude(status=TxStatus.CONFIRMED).values())))


def png(seed: int = 0, *, reencoded: bool = False) -> io.BytesIO:
    """A picture (a PNG, or the same picture saved again as a JPEG: another file, the same work)."""
    rng = np.random.default_rng(seed)
    picture = Image.fromarray((rng.random((6, 6, 3)) * 255).astype(np.uint8)).resize(
        (192, 192), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG" if reencoded else "PNG")
    buffer.seek(0)
    return buffer
