import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from kernel.tasks import time_limits
from rights.chain import indexer, outbox
from rights.services import batches

log = logging.getLogger(__name__)
# A pass that reaches its soft limit stops where it is: every transaction is stored before it is
# sent and each step commits on its own, so the next pass (or the sweep) takes up what is left.
LIMITS = time_limits(settings.CHAIN_TASK_TIME_LIMIT_S)


@shared_task(name="rights.tasks.chain_send", bind=True, ignore_result=True, **LIMITS)
def chain_send(self: Task, *, signer: str) -> int:
    """A pass of the signer for `signer` (the `chain` queue); again a second later while any of
    its transactions waits to be confirmed. Passes that find the signer busy end at once: the
    busy one carries on."""
    try:
        waiting = outbox.signer_run(signer)
    except SoftTimeLimitExceeded:
        log.warning("signer %s: a pass reached its time limit; the next one goes on", signer)
        waiting = 1
    if waiting > 0:
        self.apply_async(kwargs={"signer": signer}, countdown=1)
    return waiting


@shared_task(name="rights.tasks.chain_sweep", ignore_result=True)
def chain_sweep() -> list[Any]:
    """Every signer with work in flight gets a pass (after an outage, a restart)."""
    signers = outbox.signers_in_flight()
    for signer in signers:
        chain_send.delay(signer=signer)
    return signers


@shared_task(name="rights.tasks.batch_collect", ignore_result=True, **LIMITS)
def batch_collect() -> str | None:
    """Anchor the waiting batch-mode works when a batch is full or due."""
    batch = batches.batch_collect()
    return batch.root if batch else None


@shared_task(name="rights.tasks.index_events", ignore_result=True, **LIMITS)
def index_events() -> int:
    """Read the registry's new settled events into the database."""
    return indexer.index_events()


@shared_task(name="rights.tasks.work_assess", **time_limits(settings.FFMPEG_TIMEOUT_S * 2))
def work_assess(*, work_id: int) -> bool:
    """The aesthetic report of an uploaded work (rights.assessment; the `default` queue)."""
    from rights.assessment import work_assess as assess

    return assess(work_id=work_id)
