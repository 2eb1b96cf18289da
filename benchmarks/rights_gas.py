"""Rights: gas per copyright registration, StoryloomRegistry against a naive registry.

Workload, on a local anvil started by this script (deterministic: gas does not depend on the machine):
- baseline: NaiveRegistry.register(contentHash, uri), which stores owner, URI and timestamp per work;
- ours, single: StoryloomRegistry.register(contentHash, iscc, termsHash, owners, shares), one storage
  slot per work; the record is the call's input and the event names only the work; the metadata URI
  is not sent (the registry's template gives it), with one owner and with two co-authors; and
  registerWithURI, which also sends and emits its own metadata URI (for registrants elsewhere);
- ours, batched: `anchor(root, count, uri)` of a Merkle root over 1, 16 and 256 works' leaves; the
  anchor transaction's gas divided by the batch size is the cost per work.
The same 80-character metadata URI (an IPFS CIDv1 path) and a 60-character ISCC code throughout.
Each figure is the gas of mined transactions (receipt gasUsed, the 21,000 base included); the
single registration is also split into base, calldata, storage, event and execution, and the sum
of all but execution shows the best ratio any code could reach with this record.

Aims: a single registration at most 50,000 gas (issue 18; 3.1x less than the baseline; issue 5
asked for 3x), at least 50x less per work in batches of 256.

    .venv/bin/python benchmarks/rights_gas.py [--runs 5]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.types import TxReceipt  # noqa: E402

from rights.chain.anvil import Anvil, anvil_binary, dev_keys  # noqa: E402
from rights.chain.contract import NAIVE, REGISTRY, artifact, deploy, transact  # noqa: E402
from rights.merkle import leaf_for, merkle_proof, merkle_root  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ISCC = "ISCC:KACYPXW445FTYNJ3CYSXHAFJMA2HUWULUNRFE3BLHRSCXYH2M5AEGQY"
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/metadata.json"
TERMS = sha256(b"https://creativecommons.org/licenses/by/4.0/").digest()
BATCH_URI = "ipfs://bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/batch.json"
BATCH_SIZES = (1, 16, 256)
AIM_SINGLE_GAS, AIM_BATCH_256 = 50_000, 50.0
TEMPLATE = "https://storyloom.example/registered/{id}/metadata.json"
COLD_SSTORE = 22_100  # a zero slot set non-zero, first touch (EIP-2929 + EIP-2200)


def digest(label: str) -> bytes:
    return sha256(label.encode()).digest()


def breakdown(w3: Web3, receipt: TxReceipt) -> dict[str, int]:
    """Where a registration's gas goes: base, calldata (4 per zero byte, 16 otherwise), one fresh
    storage slot per slot written, logs (375 + 375 per topic + 8 per data byte), and the rest."""
    data = bytes(w3.eth.get_transaction(receipt["transactionHash"])["input"])
    calldata = sum(4 if byte == 0 else 16 for byte in data)
    logs = sum(375 + 375 * len(log["topics"]) + 8 * len(log["data"]) for log in receipt["logs"])
    return {"total": receipt["gasUsed"], "base": 21_000, "calldata": calldata, "calldata_bytes": len(data),
            "logs": logs}


def median(values: list[int]) -> float:
    return float(statistics.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="registrations of each kind (gas is deterministic)")
    args = parser.parse_args()
    node = Anvil.start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        keys = dev_keys()
        platform_key, alice, bob = (Account.from_key(key) for key in keys[:3])
        naive = deploy(w3, platform_key, NAIVE)
        registry = deploy(w3, platform_key, REGISTRY, TEMPLATE)
        node_info = w3.provider.make_request("anvil_nodeInfo", [])["result"]  # type: ignore[arg-type]

        naive_gas, single_gas, coauthor_gas, with_uri_gas = [], [], [], []
        for run in range(args.runs):
            naive_receipt = transact(w3, platform_key, naive.functions.register(digest(f"naive-{run}"), URI))
            naive_gas.append(naive_receipt["gasUsed"])
            single = transact(w3, platform_key, registry.functions.register(
                digest(f"single-{run}"), ISCC, TERMS, [alice.address], [10_000]))
            single_gas.append(single["gasUsed"])
            coauthored = transact(w3, platform_key, registry.functions.register(
                digest(f"coauthored-{run}"), ISCC, TERMS, [alice.address, bob.address], [6_000, 4_000]))
            coauthor_gas.append(coauthored["gasUsed"])
            with_uri = transact(w3, platform_key, registry.functions.registerWithURI(
                digest(f"with-uri-{run}"), ISCC, URI, TERMS, [alice.address], [10_000]))
            with_uri_gas.append(with_uri["gasUsed"])
        naive_split = breakdown(w3, naive_receipt)
        ours_split = breakdown(w3, single)
        ours_split["storage"] = COLD_SSTORE
        # What the record costs before any code runs: base, its calldata, its slot and its event.
        ours_split["without_execution"] = sum(ours_split[k] for k in ("base", "calldata", "logs", "storage"))
        ours_split["execution"] = ours_split["total"] - ours_split["without_execution"]

        batches: dict[str, Any] = {}
        for size in BATCH_SIZES:
            leaves = [leaf_for(content_hash=digest(f"batch-{size}-{i}"), iscc=ISCC, metadata_uri=URI,
                               terms_hash=TERMS, owners=[alice.address], shares=[10_000])
                      for i in range(size)]
            root = merkle_root(leaves)
            receipt = transact(w3, platform_key, registry.functions.anchor(root, size, BATCH_URI))
            proof = merkle_proof(leaves, size - 1)
            verify_gas = registry.functions.verifyInclusion(root, leaves[-1], proof).estimate_gas()
            batches[str(size)] = {"anchor_gas": receipt["gasUsed"],
                                  "per_work_gas": round(receipt["gasUsed"] / size, 1),
                                  "proof_length": len(proof), "verify_inclusion_gas_if_sent": verify_gas}

        # Other operations, for reference (not part of the aims).
        work = (digest("single-0"), [alice.address], [10_000])
        transfer = transact(w3, alice, registry.functions.transferShare(*work, bob.address, 2_500))
        work = (digest("single-0"), [alice.address, bob.address], [7_500, 2_500])
        grant = transact(w3, alice, registry.functions.grantLicence(
            *work, bob.address, sha256(b"CC BY 4.0").digest(), 2**64 - 1, digest("licence-1")))
    finally:
        node.stop()

    baseline = median(naive_gas)
    ratios = {"single: naive / ours": round(baseline / median(single_gas), 3),
              "single, 2 co-authors: naive / ours": round(baseline / median(coauthor_gas), 3)}
    for label, batch in batches.items():
        ratios[f"batch {label}: naive / ours per work"] = round(baseline / batch["per_work_gas"], 1)
    aims = {"single <= 50,000 gas": median(single_gas) <= AIM_SINGLE_GAS,
            "batch 256 >= 50x per work": ratios["batch 256: naive / ours per work"] >= AIM_BATCH_256}
    metrics = {
        "register_single_gas": median(single_gas), "register_single_gas_runs": single_gas,
        "register_two_coauthors_gas": median(coauthor_gas),
        "register_with_uri_gas": median(with_uri_gas),
        "register_single_breakdown": ours_split,
        "batches": batches,
        "transfer_share_gas": transfer["gasUsed"], "grant_licence_gas": grant["gasUsed"],
    }
    anvil_version = subprocess.run([str(anvil_binary()), "--version"], capture_output=True, text=True,
                                   check=True).stdout.splitlines()[0]
    result = {
        "benchmark": "rights_gas",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform(),
                    "chain": f"{anvil_version}, hardfork {node_info['hardFork']}",
                    "compiler": artifact()["compiler"]["version"],
                    "compiler_settings": artifact()["settings"]},
        "workload": {"runs": args.runs, "iscc_chars": len(ISCC), "metadata_uri_chars": len(URI),
                     "batch_uri_chars": len(BATCH_URI), "batch_sizes": list(BATCH_SIZES),
                     "owners": "1 (also 2 co-authors for register)"},
        "metrics": metrics,
        "baseline": {"name": "NaiveRegistry: owner, URI and timestamp stored per work",
                     "metrics": {"register_gas": baseline, "register_gas_runs": naive_gas,
                                 "register_breakdown": naive_split}},
        "ratios": ratios,
        "aims": {name: "met" if met else "not met" for name, met in aims.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rights_gas.json").write_text(json.dumps(result, indent=2) + "\n")

    print(f"{'':34}{'gas':>10}{'naive / ours':>14}")
    print(f"{'naive register (baseline)':34}{baseline:>10,.0f}")
    print(f"{'ours: register, 1 owner':34}{median(single_gas):>10,.0f}"
          f"{ratios['single: naive / ours']:>13.2f}x")
    print(f"{'ours: register, 2 co-authors':34}{median(coauthor_gas):>10,.0f}"
          f"{ratios['single, 2 co-authors: naive / ours']:>13.2f}x")
    print(f"{'ours: registerWithURI, 1 owner':34}{median(with_uri_gas):>10,.0f}"
          f"{baseline / median(with_uri_gas):>13.2f}x")
    for label, batch in batches.items():
        print(f"{f'ours: anchor {label}, per work':34}{batch['per_work_gas']:>10,.1f}"
              f"{ratios[f'batch {label}: naive / ours per work']:>13.1f}x"
              f"   (anchor tx {batch['anchor_gas']:,})")
    print(f"single registration: {ours_split}")
    print(f"  with no execution at all it would still cost {ours_split['without_execution']:,} "
          f"({baseline / ours_split['without_execution']:.2f}x): the record's calldata and the event "
          f"cost {ours_split['calldata'] + ours_split['logs']:,}")
    print(f"transferShare {transfer['gasUsed']:,}, grantLicence {grant['gasUsed']:,}")
    for name, met in aims.items():
        print(f"aim {name}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
