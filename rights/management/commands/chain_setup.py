from typing import Any

from django.core.management.base import BaseCommand

from rights.chain.client import chain_setup


class Command(BaseCommand):
    help = ("Make the configured chain usable: fund the development key on anvil, deploy the registry, "
            "the licensing contract and its test stablecoin.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_setup()
        done = [what for what, key in (("funded", "funded"), ("deployed the registry", "deployed"),
                                        ("deployed licensing", "licensing_deployed")) if report[key]]
        self.stdout.write(f"Chain ready: registry {report['registry']}, licensing {report['licensing']}, "
                          f"stablecoin {report['stablecoin']}, signer {report['signer']}"
                          + (f" ({' and '.join(done)} now)" if done else ""))
