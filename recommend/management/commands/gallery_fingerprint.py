"""`manage.py gallery_fingerprint`: keep the fingerprints of every published render (publishing
does it for new ones), so that look-alike registrations of works published before this existed
also wait for their project's owners (rights.services.works)."""

from typing import Any

from django.core.management.base import BaseCommand

from recommend.models import Publication
from rights.services import published_print_record


class Command(BaseCommand):
    help = "Fingerprint the published renders that have no fingerprints yet."

    def handle(self, *args: Any, **options: Any) -> None:
        pending = Publication.objects.filter(asset__published_print__isnull=True).select_related("asset")
        done = 0
        for publication in pending.iterator():
            published_print_record(asset=publication.asset)
            done += 1
        self.stdout.write(f"fingerprinted {done} published renders")
