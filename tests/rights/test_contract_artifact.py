"""The committed contract artifacts are what the pinned solc builds from the committed sources: the
platform deploys the artifact, so a stale one would put unreviewed bytecode on chain."""

import json
import shutil
import subprocess
from pathlib import Path

from rights.chain.contract import ARTIFACTS, artifact
from tests.rights.helpers import require_node_tool
from tests.servers import ROOT

NAMES = ["StoryloomRegistry", "NaiveRegistry", "StoryloomLicensing", "NaiveLicensing", "TestStablecoin"]
WITH_LIBRARY = ["StoryloomLicensing", "NaiveLicensing", "TestStablecoin"]  # import OpenZeppelin Contracts


def _node() -> str:
    def find() -> None:
        if shutil.which("node") is None:
            raise FileNotFoundError("node (Node 20+) is not installed: the contracts cannot be recompiled")
        for package in ("solc", "@openzeppelin/contracts"):
            if not (ROOT / "node_modules" / package / "package.json").exists():
                raise FileNotFoundError(f"the npm package {package} is not installed: run `npm ci`")

    require_node_tool(find)
    return shutil.which("node") or "node"


def test_committed_artifacts_match_a_fresh_compilation(tmp_path: Path) -> None:
    result = subprocess.run([_node(), "rights/contracts/compile.mjs", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"compile.mjs failed:\n{result.stdout}\n{result.stderr}"
    for name in NAMES:
        fresh = (tmp_path / f"{name}.json").read_bytes()
        assert fresh == (ARTIFACTS / f"{name}.json").read_bytes(), (
            f"rights/contracts/artifacts/{name}.json differs from a fresh build: "
            "run `node rights/contracts/compile.mjs` and commit the artifacts")


def test_artifacts_pin_the_compiler_and_carry_no_machine_specific_text() -> None:
    dependencies = json.loads((ROOT / "package.json").read_text())["dependencies"]
    pinned = dependencies["solc"]
    for name in NAMES:
        spec = artifact(name)
        assert spec["compiler"]["version"].startswith(f"{pinned}+commit.")
        assert spec["settings"]["optimizer"]["enabled"] and spec["settings"]["evmVersion"]
        assert spec["deployedBytecode"].startswith("0x") and len(spec["deployedBytecode"]) > 2
        assert str(ROOT) not in (ARTIFACTS / f"{name}.json").read_text()
        library = {"@openzeppelin/contracts": dependencies["@openzeppelin/contracts"]}
        assert spec.get("libraries") == (library if name in WITH_LIBRARY else None)
    errors = {entry["name"] for entry in artifact()["abi"] if entry["type"] == "error"}
    assert {"AlreadyRegistered", "StateMismatch", "InvalidShareTotal", "AlreadyAnchored"} <= errors
    errors = {entry["name"] for entry in artifact("StoryloomLicensing")["abi"] if entry["type"] == "error"}
    assert {"NoMajority", "SoldOut", "NothingToWithdraw", "ReentrancyGuardReentrantCall"} <= errors
