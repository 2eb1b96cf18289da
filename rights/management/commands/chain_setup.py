from typing import Any

from django.core.management.base import BaseCommand

from rights.chain.client import chain_setup


class Command(BaseCommand):
    help = ("Make the configured chain usable: fund the development key on anvil, deploy the registry, "
            "the licensing contract and its test stablecoin.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_setup()
        done = [what for what, deployed in (("funded", report["funded"]),
                                            ("deployed", report["deployed"] or report["licensing_deployed"]))
                if deployed]
        self.stdout.write(f"Chain ready: registry {report['registry']}, licensing {report['licensing']}, "
                          f"stablecoin {report['stablecoin']}, signer {report['signer']}"
                          + (f" ({' and '.join(done)} now)" if done else ""))
