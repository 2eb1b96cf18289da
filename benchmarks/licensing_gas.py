"""Rights: gas of a licence purchase in `StoryloomLicensing` (credits every co-owner, who withdraws
later) against `NaiveLicensing` (pushes the chain's currency to every co-owner inside the purchase),
in the same run on anvil.

Workload, on a local anvil started by this script (deterministic: gas does not depend on the machine):
- a work with 1, 3 and 10 co-owners (shares as equal as basis points allow), registered in
  StoryloomRegistry; one offer in each contract at 0.01 of the chain's currency, a 2.5 % fee;
- purchases by one buyer, each minting one ERC-1155 licence token to a fresh licensee (so both
  designs pay for a new token balance every time). The co-owners are fresh addresses, as the
  platform's custodial ones are until they are first paid: the first purchase of a work pays for
  every co-owner's balance slot from zero (ours) or creates every co-owner's account (naive: 25,000
  gas more per payee); the median of the later purchases is the steady state;
- a withdrawal of the chain's currency and of the test stablecoin by one co-owner (ours; the naive
  design has none), and what a purchase costs in all when every co-owner withdraws after every
  k-th sale: purchase + co-owners * withdrawal / k; the k from which that is below the naive
  purchase;
- for reference: a purchase priced in the test stablecoin, and a remix's purchase that also pays
  its source's 3 co-owners upstream.
Each figure is the gas of mined transactions (receipt gasUsed, the 21,000 base included).

    .venv/bin/python benchmarks/licensing_gas.py [--sales 5]
"""

import argparse
import json
import math
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
from eth_account.signers.local import LocalAccount  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.contract import Contract  # noqa: E402

from rights.chain.anvil import Anvil, anvil_binary, dev_keys  # noqa: E402
from rights.chain.contract import REGISTRY, artifact, deploy, send_value, transact  # noqa: E402
from rights.chain.licensing import (  # noqa: E402
    LICENSING,
    NAIVE_LICENSING,
    NATIVE,
    NEVER,
    STABLECOIN,
    Terms,
    approvals,
    publish_message,
    typed_data,
)

RESULTS = ROOT / "benchmarks" / "results"
CO_OWNERS = (1, 3, 10)
PRICE = 10**16
FEE_BPS = 250
TERMS = sha256(b"Storyloom licence: commercial, worldwide, 2 years, no refunds").digest()
TEMPLATE = "https://storyloom.example/registered/{id}/metadata.json"
URI = "https://storyloom.example/licences/{id}.json"


def digest(label: str) -> bytes:
    return sha256(label.encode()).digest()


def people(label: str, count: int) -> list[LocalAccount]:
    return [Account.from_key(Web3.keccak(text=f"licensing gas {label} {i}")) for i in range(count)]


def even_shares(count: int) -> list[int]:
    shares = [10_000 // count] * count
    shares[0] += 10_000 - sum(shares)
    return shares


class Ours:
    def __init__(self, w3: Web3, registry: Contract, licensing: Contract, relayer: LocalAccount) -> None:
        self.w3, self.registry, self.licensing, self.relayer = w3, registry, licensing, relayer

    def register(self, label: str, owners: list[LocalAccount],
                 shares: list[int]) -> tuple[bytes, list[str]]:
        work = digest(label)
        addresses: list[str] = [owner.address for owner in owners]
        transact(self.w3, self.relayer, self.registry.functions.register(work, "ISCC:KACYPXW445FTYNJ3", TERMS,
                                                                         addresses, shares))
        return work, addresses

    def publish(self, work: bytes, owners: list[LocalAccount], shares: list[int], *, token: str = NATIVE,
                remix: bool = False, upstream_bps: int = 0, price: int = PRICE) -> int:
        salt = digest(f"salt {work.hex()}")
        terms = Terms(work, TERMS, token, price, 0, upstream_bps, FEE_BPS, True, remix, salt)
        message = typed_data(self.licensing.address, self.w3.eth.chain_id, "PublishOffer",
                             publish_message(terms, NEVER))
        addresses = [owner.address for owner in owners]
        transact(self.w3, self.relayer, self.licensing.functions.publishOffer(
            terms.as_tuple(), NEVER, (addresses, shares), approvals(addresses, owners, message)))
        return terms.offer_id


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=5, help="purchases of each offer (gas is deterministic)")
    args = parser.parse_args()
    node = Anvil.start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        relayer, buyer, admin, fee_recipient, funder = (Account.from_key(key) for key in dev_keys()[:5])
        registry = deploy(w3, relayer, REGISTRY, TEMPLATE)
        licensing = deploy(w3, relayer, LICENSING, registry.address, URI, admin.address,
                           fee_recipient.address, FEE_BPS)
        naive = deploy(w3, relayer, NAIVE_LICENSING, registry.address, FEE_BPS, fee_recipient.address)
        coin = deploy(w3, relayer, STABLECOIN, relayer.address)
        ours = Ours(w3, registry, licensing, relayer)
        node_info = w3.provider.make_request("anvil_nodeInfo", [])["result"]  # type: ignore[arg-type]

        purchases: dict[str, Any] = {}
        for count in CO_OWNERS:
            owners, shares = people(f"owners of {count}", count), even_shares(count)
            work, addresses = ours.register(f"work of {count}", owners, shares)
            offer_id = ours.publish(work, owners, shares)
            transact(w3, relayer, naive.functions.publishOffer(work, PRICE, 0, addresses, shares))
            naive_offer = naive.functions.offerCount().call()
            ours_gas, naive_gas = [], []
            for sale in range(args.sales):
                licensee = people(f"licensee {count} {sale}", 1)[0].address
                ours_gas.append(transact(w3, buyer, licensing.functions.buy(
                    offer_id, licensee, [(addresses, shares)]), value=PRICE)["gasUsed"])
                naive_gas.append(transact(w3, buyer, naive.functions.buy(
                    naive_offer, licensee, addresses, shares), value=PRICE)["gasUsed"])
            send_value(w3, funder, owners[-1].address, 10**17)  # gas for its withdrawal
            withdrawal = transact(w3, owners[-1], licensing.functions.withdraw(NATIVE))["gasUsed"]
            steady, naive_steady = statistics.median(ours_gas[1:]), statistics.median(naive_gas[1:])
            per_k = {str(k): round(steady + count * withdrawal / k) for k in (1, 10, 100)}
            saved = naive_steady - steady
            purchases[str(count)] = {
                "ours_first_sale_gas": ours_gas[0], "ours_steady_sale_gas": steady, "ours_gas_runs": ours_gas,
                "naive_first_sale_gas": naive_gas[0], "naive_steady_sale_gas": naive_steady,
                "naive_gas_runs": naive_gas,
                "withdrawal_gas": withdrawal,
                "ours_with_withdrawals_every_k_sales_gas": per_k,
                "break_even_k": math.ceil(count * withdrawal / saved) if saved > 0 else None,
            }

        # A stablecoin price (3 co-owners), and a remix of a 3-owner source (3 owners each).
        owners, shares = people("stablecoin owners", 3), even_shares(3)
        for owner in owners:
            send_value(w3, funder, owner.address, 10**17)
        work, addresses = ours.register("stablecoin work", owners, shares)
        coin_offer = ours.publish(work, owners, shares, token=coin.address, price=12_500_000)
        transact(w3, relayer, coin.functions.mint(buyer.address, 10**12))
        transact(w3, buyer, coin.functions.approve(licensing.address, 2**256 - 1))
        coin_gas = [transact(w3, buyer, licensing.functions.buy(
            coin_offer, people(f"coin licensee {sale}", 1)[0].address, [(addresses, shares)]))["gasUsed"]
            for sale in range(args.sales)]
        coin_withdrawal = transact(w3, owners[0], licensing.functions.withdraw(coin.address))["gasUsed"]

        source_owners, remix_owners = people("source owners", 3), people("remix owners", 3)
        source, source_addresses = ours.register("source", source_owners, even_shares(3))
        remix, remix_addresses = ours.register("remix", remix_owners, even_shares(3))
        source_licence = ours.publish(source, source_owners, even_shares(3), remix=True, upstream_bps=1_000)
        transact(w3, buyer, licensing.functions.buy(source_licence, remix_addresses[0],
                                                    [(source_addresses, even_shares(3))]), value=PRICE)
        parent = typed_data(licensing.address, w3.eth.chain_id, "RecordParent",
                            {"remix": remix, "licenceId": source_licence, "deadline": NEVER})
        transact(w3, relayer, licensing.functions.recordParent(
            remix, source_licence, 0, NEVER, (remix_addresses, even_shares(3)),
            approvals(remix_addresses, remix_owners, parent)))
        remix_offer = ours.publish(remix, remix_owners, even_shares(3))
        lineage = [(remix_addresses, even_shares(3)), (source_addresses, even_shares(3))]
        remix_gas = [transact(w3, buyer, licensing.functions.buy(
            remix_offer, people(f"remix licensee {sale}", 1)[0].address, lineage), value=PRICE)["gasUsed"]
            for sale in range(args.sales)]
    finally:
        node.stop()

    ratios = {f"{count} co-owners, steady: naive / ours": round(
        purchases[str(count)]["naive_steady_sale_gas"] / purchases[str(count)]["ours_steady_sale_gas"], 3)
        for count in CO_OWNERS}
    ratios.update({f"{count} co-owners, first sale: naive / ours": round(
        purchases[str(count)]["naive_first_sale_gas"] / purchases[str(count)]["ours_first_sale_gas"], 3)
        for count in CO_OWNERS})
    anvil_version = subprocess.run([str(anvil_binary()), "--version"], capture_output=True, text=True,
                                   check=True).stdout.splitlines()[0]
    spec = artifact(LICENSING)
    result = {
        "benchmark": "licensing_gas",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform(),
                    "chain": f"{anvil_version}, hardfork {node_info['hardFork']}",
                    "compiler": spec["compiler"]["version"], "compiler_settings": spec["settings"],
                    "libraries": spec.get("libraries", {})},
        "workload": {"sales_per_offer": args.sales, "co_owners": list(CO_OWNERS), "price_wei": PRICE,
                     "fee_bps": FEE_BPS, "shares": {str(c): even_shares(c) for c in CO_OWNERS},
                     "licensee": "a fresh address per sale (a new ERC-1155 balance each time)"},
        "metrics": {
            "purchase": {count: {k: v for k, v in figures.items() if not k.startswith("naive")}
                         for count, figures in purchases.items()},
            "stablecoin_purchase_3_co_owners_gas": statistics.median(coin_gas[1:]),
            "stablecoin_purchase_gas_runs": coin_gas,
            "stablecoin_withdrawal_gas": coin_withdrawal,
            "remix_purchase_3_plus_3_upstream_gas": statistics.median(remix_gas[1:]),
            "remix_purchase_gas_runs": remix_gas,
        },
        "baseline": {"name": "NaiveLicensing: every co-owner and the fee paid in the purchase (push)",
                     "metrics": {count: {k: v for k, v in figures.items() if k.startswith("naive")}
                                 for count, figures in purchases.items()}},
        "ratios": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "licensing_gas.json").write_text(json.dumps(result, indent=2) + "\n")

    print(f"{'co-owners':>10}{'ours 1st':>10}{'ours':>9}{'naive 1st':>11}{'naive':>9}{'naive/ours':>12}"
          f"{'withdraw':>10}{'k=1':>9}{'k=10':>9}{'break-even k':>14}")
    for count in CO_OWNERS:
        f = purchases[str(count)]
        print(f"{count:>10}{f['ours_first_sale_gas']:>10,}{f['ours_steady_sale_gas']:>9,.0f}"
              f"{f['naive_first_sale_gas']:>11,}{f['naive_steady_sale_gas']:>9,.0f}"
              f"{f['naive_steady_sale_gas'] / f['ours_steady_sale_gas']:>11.2f}x{f['withdrawal_gas']:>10,}"
              f"{f['ours_with_withdrawals_every_k_sales_gas']['1']:>9,}"
              f"{f['ours_with_withdrawals_every_k_sales_gas']['10']:>9,}{f['break_even_k']!s:>14}")
    print(f"stablecoin purchase (3 co-owners) {statistics.median(coin_gas[1:]):,.0f}, "
          f"its withdrawal {coin_withdrawal:,}; remix purchase (3 + 3 upstream) "
          f"{statistics.median(remix_gas[1:]):,.0f}")


if __name__ == "__main__":
    main()
