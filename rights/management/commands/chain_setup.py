from typing import Any

from django.core.management.base import BaseCommand

from rights.chain.client import chain_setup


class Command(BaseCommand):
    help = "Make the configured chain usable: fund the development key on anvil, deploy the registry."

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_setup()
        done = [what for what in ("funded", "deployed") if report[what]]
        self.stdout.write(f"Chain ready: registry {report['registry']}, signer {report['signer']}"
                          + (f" ({' and '.join(done)} now)" if done else ""))
