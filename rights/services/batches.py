"""Batch registration: works queued in batch mode are anchored together, one Merkle root per
transaction (RIGHTS_BATCH_SIZE works at most, or whatever waited RIGHTS_BATCH_WAIT_S seconds).
Each work keeps its leaf and proof; anyone checks them against the anchored root on chain."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rights.events import works_announce
from rights.merkle import leaf_for, merkle_proofs, merkle_root
from rights.models import Batch, BatchEntry, RegistrationMode, Work, WorkStatus
from rights.services.onchain import anchor_submit, metadata_uri


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def work_leaf(work: Work) -> bytes:
    owners = list(work.owners.order_by("position", "id"))
    return leaf_for(content_hash=bytes.fromhex(work.sha256), iscc=work.iscc, metadata_uri=metadata_uri(work),
                    terms_hash=bytes.fromhex(work.terms_sha256), owners=[o.address for o in owners],
                    shares=[o.bps for o in owners])


@transaction.atomic
def batch_collect(*, force: bool = False) -> Batch | None:
    """Anchor the waiting batch-mode works when there are enough of them, or the oldest has
    waited long enough (or `force`); returns the batch queued, if any."""
    waiting = (Work.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(mode=RegistrationMode.BATCH, status=WorkStatus.QUEUED, batch_entry__isnull=True)
               .order_by("id"))
    works = list(waiting[:settings.RIGHTS_BATCH_SIZE])
    if not works:
        return None
    due = timezone.now() - timedelta(seconds=settings.RIGHTS_BATCH_WAIT_S)
    if not force and len(works) < settings.RIGHTS_BATCH_SIZE and works[0].created_at > due:
        return None
    leaves = [work_leaf(work) for work in works]
    root = merkle_root(leaves)
    batch = Batch.objects.create(root=_hex(root), count=len(works))
    BatchEntry.objects.bulk_create([
        BatchEntry(batch=batch, work=work, index=index, leaf=_hex(leaf), proof=[_hex(p) for p in proof])
        for index, (work, leaf, proof) in enumerate(zip(works, leaves, merkle_proofs(leaves), strict=True))])
    Work.objects.filter(pk__in=[work.pk for work in works]).update(status=WorkStatus.SUBMITTED)
    anchor_submit(batch=batch)
    works_announce(work.pk for work in works)
    return batch
