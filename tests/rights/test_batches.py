"""Batch registration against a real anvil: works queued in batch mode are anchored as one Merkle
root; each keeps a proof that the contract accepts for that root, and a tampered one it refuses."""

import hashlib
import time

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from rights.chain.client import registry
from rights.keys import user_address
from rights.merkle import merkle_verify
from rights.models import BatchStatus, Owner, RegistrationMode, Work, WorkStatus
from rights.services import work_submit
from rights.services.batches import batch_collect
from tests.projects.factories import UserFactory
from tests.rights.helpers import settle

pytestmark = pytest.mark.django_db


def batch_works(count: int) -> list[Work]:
    author: User = UserFactory()
    works = []
    for n in range(count):
        digest = hashlib.sha256(f"batch work {n} {time.monotonic_ns()}".encode()).hexdigest()
        work = Work.objects.create(title=f"Still {n}", created_by=author, mime="image/png", size=10,
                                   sha256=digest, iscc=f"ISCC:KEC{n:04d}BATCH", terms_sha256="0" * 64,
                                   mode=RegistrationMode.BATCH)
        Owner.objects.create(work=work, user=author, address=user_address(author.pk), bps=10_000)
        works.append(work_submit(work_id=work.public_id, user=author))
    return works



def test_batch_mode_works_wait_then_anchor_together_and_each_proof_checks_on_chain(platform_chain):
    works = batch_works(21)
    assert {w.status for w in works} == {WorkStatus.QUEUED}
    assert batch_collect() is None  # neither full nor due yet
    batch = batch_collect(force=True)
    assert batch is not None and batch.count == 21
    settle()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ANCHORED and batch.anchored_at is not None
    contract = registry()
    root = bytes.fromhex(batch.root[2:])
    assert contract.functions.anchoredAt(root).call() == int(batch.anchored_at.timestamp())
    for work in Work.objects.filter(pk__in=[w.pk for w in works]).select_related("batch_entry"):
        assert work.status == WorkStatus.REGISTERED and work.block_number == batch.block_number
        entry = work.batch_entry
        leaf, proof = bytes.fromhex(entry.leaf[2:]), [bytes.fromhex(p[2:]) for p in entry.proof]
        assert merkle_verify(root, leaf, proof)
        assert contract.functions.verifyInclusion(root, leaf, proof).call()
    tampered = [bytes(32), *proof[1:]]
    assert not contract.functions.verifyInclusion(root, leaf, tampered).call()
    listed = APIClient().get(f"/batches/{batch.root}.json").json()
    assert listed["count"] == 21
    assert listed["works"][3]["proof"] == Work.objects.get(pk=works[3].pk).batch_entry.proof


def test_a_full_batch_goes_at_once_and_the_rest_waits(platform_chain, settings):
    settings.RIGHTS_BATCH_SIZE = 8
    batch_works(11)
    first = batch_collect()
    assert first is not None and first.count == 8
    assert batch_collect() is None  # 3 left: not full, not due
    settings.RIGHTS_BATCH_WAIT_S = 0
    second = batch_collect()
    assert second is not None and second.count == 3
