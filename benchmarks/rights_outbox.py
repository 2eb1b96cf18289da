"""Rights: registrations per second through the outbox, on a local anvil.

Workload: N works (one owner each) asked for registration at once, then the signer's passes
(rights.chain.outbox.signer_run, what the `chain` worker runs) until every one is confirmed; timed from
the first request to the last confirmation. Both run in this process against one anvil that mines
a block every --block-time seconds (as a real chain does; 0: a block per transaction, at once),
on the embedded test database.

- ours: the outbox: every registration stored first, then signed with consecutive nonces and sent
  without waiting for receipts, receipts collected afterwards;
- baseline: registrations sent one by one the way a script without a nonce manager must, each
  waiting for its receipt before the next (rights.chain.contract.transact); --baseline-works of them.

    .venv/bin/python benchmarks/rights_outbox.py [--works 200] [--block-time 1]
"""

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

from _harness import django_environment, write_result

ISCC = "ISCC:KACYPXW445FTYNJ3CYSXHAFJMA2HUWULUNRFE3BLHRSCXYH2M5AEGQY"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=200)
    parser.add_argument("--block-time", type=float, default=1.0, help="seconds between blocks (0: automine)")
    parser.add_argument("--baseline-works", type=int, default=10)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["CHAIN_DIR"] = str(Path(tmp.name) / "chain")
    with django_environment():
        from django.conf import settings

        from accounts.services import user_signup
        from rights import keys
        from rights.chain.anvil import Anvil
        from rights.chain.client import chain_setup, registry, web3
        from rights.chain.contract import transact
        from rights.chain.outbox import signer_run
        from rights.keys import platform_account, user_address
        from rights.models import ChainTx, Owner, TxStatus, Work
        from rights.services import registration_submit

        node = Anvil.start(args=["--block-time", str(args.block_time)] if args.block_time else [])
        try:
            settings.CHAIN_RPC_URL, settings.EMBEDDED_CHAIN, settings.REGISTRY_ADDRESS = node.url, True, ""
            settings.CHAIN_DIR = Path(tmp.name) / "chain"
            settings.CHAIN_KEYSTORE = settings.CHAIN_DIR / "keystore.json"
            settings.CHAIN_USE_FINALIZED, settings.CHAIN_CONFIRMATIONS = False, 1
            keys._platform_key.cache_clear()
            chain_setup()
            author = user_signup(username="bench", email="bench@example.com",
                                 password="a-long-bench-password")
            address = user_address(author.pk)

            def works(label: str) -> list[Work]:
                made = []
                for n in range(args.works):
                    digest = hashlib.sha256(f"{label} {n}".encode()).hexdigest()
                    work = Work.objects.create(title=f"{label} {n}", created_by=author, mime="image/png",
                                               size=1, sha256=digest, iscc=ISCC, terms_sha256="0" * 64)
                    Owner.objects.create(work=work, user=author, address=address, bps=10_000)
                    made.append(work)
                return made

            # Baseline: one at a time, each waiting for its receipt.
            w3, contract, account = web3(), registry(), platform_account()
            plain = works("plain")[:args.baseline_works]
            started = time.perf_counter()
            for work in plain:
                transact(w3, account, contract.functions.register(
                    bytes.fromhex(work.sha256), ISCC, bytes.fromhex(work.terms_sha256), [address], [10_000]))
            baseline_s = time.perf_counter() - started

            queued = works("outbox")
            started = time.perf_counter()
            for work in queued:
                registration_submit(work=work)
            passes = 0
            while signer_run(account.address) != 0:
                passes += 1
                time.sleep(0.2)  # (the worker's task comes back a second later; here sooner)
            outbox_s = time.perf_counter() - started
            confirmed = ChainTx.objects.filter(function="register", status=TxStatus.CONFIRMED).count()
            assert confirmed == args.works, f"{confirmed} of {args.works} confirmed"
        finally:
            node.stop()

        metrics = {"registrations": args.works, "seconds": round(outbox_s, 3),
                   "registrations_per_s": round(args.works / outbox_s, 1), "signer_passes": passes + 1}
        baseline = {"registrations": len(plain), "seconds": round(baseline_s, 3),
                    "registrations_per_s": round(len(plain) / baseline_s, 2)}
        ratios = {"outbox / one-at-a-time (registrations per second)": round(
            metrics["registrations_per_s"] / baseline["registrations_per_s"], 2)}
        chain = f"anvil, a block every {args.block_time:g} s" if args.block_time else "anvil, automine"
        write_result("rights_outbox", {"works": args.works, "chain": chain, "owners": 1},
                     metrics, "one at a time, each waiting for its receipt (rights.chain.contract.transact)",
                     baseline, ratios)
        print(f"outbox        {metrics['registrations_per_s']:>7} registrations/s ({outbox_s:.2f} s, "
              f"{metrics['signer_passes']} signer passes)")
        print(f"one at a time {baseline['registrations_per_s']:>7} registrations/s ({len(plain)} in "
              f"{baseline_s:.2f} s)")
        print(f"ratio         {ratios['outbox / one-at-a-time (registrations per second)']}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
