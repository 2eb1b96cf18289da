from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rights.chain.indexer import index_events
from rights.chain.reconcile import differences


class Command(BaseCommand):
    help = "Report every difference between the database and the chain (exit status 1 if any)."

    def handle(self, *args: Any, **options: Any) -> None:
        stored = index_events()
        self.stdout.write(f"Indexed {stored} new events.")
        found = differences()
        for difference in found:
            self.stdout.write(f"{difference.kind} {difference.ref}: database {difference.database}, "
                              f"chain {difference.chain}")
        if found:
            raise CommandError(f"{len(found)} differences between the database and the chain.")
        self.stdout.write("The database and the chain agree.")
