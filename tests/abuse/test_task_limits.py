"""Every Celery task ends: a soft time limit that the task handles (a render fails with a
message saying why; a chain pass leaves its transactions to the next one), a hard limit that
kills what did not end, both below the broker's visibility timeout. Limits come from the
settings of the worker that runs the task, checked here with real worker processes."""

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import TimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from core.celery import app
from generation import scheduler
from generation.models import Job, JobStatus
from generation.services import job_submit
from generation.tasks import job_next
from rights.models import ChainTx, TxStatus
from rights.tasks import chain_send
from tests.projects.factories import project_with_team
from tests.servers import CeleryWorker
from tests.waiting import wait_until

OURS = {"generation.tasks.job_next", "generation.tasks.jobs_recover", "generation.tasks.webhook_deliver",
        "rights.tasks.chain_send", "rights.tasks.chain_sweep", "rights.tasks.batch_collect",
        "rights.tasks.index_events", "recommend.tasks.publication_embed",
        "recommend.tasks.user_vector_refresh", "recommend.tasks.retrain",
        "projects.tasks.invitations_expire", "collab.tasks.document_compact"}


def registered() -> dict[str, object]:
    app.loader.import_default_modules()  # what a worker imports: every app's tasks module
    return dict(app.tasks)


def test_every_task_has_a_soft_and_a_hard_time_limit():
    tasks = registered()
    assert set(tasks) >= OURS, OURS - set(tasks)
    visibility_s = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for name, task in tasks.items():
        soft, hard = task.soft_time_limit, task.time_limit
        assert soft and hard and soft < hard, (name, soft, hard)
        # Past the visibility timeout the broker hands a running task to a second worker.
        assert hard < visibility_s, (name, hard, visibility_s)


def test_long_tasks_take_their_limits_from_their_settings():
    tasks = registered()
    assert tasks["generation.tasks.job_next"].soft_time_limit == settings.GENERATION_JOB_TIME_LIMIT_S
    assert tasks["recommend.tasks.retrain"].soft_time_limit == settings.RECOMMEND_RETRAIN_TIME_LIMIT_S
    for name in ("rights.tasks.chain_send", "rights.tasks.batch_collect", "rights.tasks.index_events"):
        assert tasks[name].soft_time_limit == settings.CHAIN_TASK_TIME_LIMIT_S, name
    assert tasks["projects.tasks.invitations_expire"].soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT


@pytest.fixture
def generation_dirs(settings, tmp_path) -> dict[str, str]:
    """Tiny models and media in folders of the test's own, for this process and its worker."""
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    return {"GENERATION_MODELS_DIR": str(tmp_path / "models"), "MEDIA_ROOT": str(tmp_path / "media")}


def wait_for(job: Job, statuses: set[str], timeout: float = 180) -> Job:
    def arrived() -> bool:
        job.refresh_from_db()
        return job.status in statuses

    wait_until(arrived, timeout=timeout, interval=0.2, message=lambda: f"job still {job.status}")
    return job


def assert_failed_for_time(job: Job) -> None:
    assert job.status == JobStatus.FAILED, job.status
    assert "the longest a render may run" in job.error
    for internal in ("Traceback", "SoftTimeLimitExceeded", "TimeLimitExceeded", "celery", "/"):
        assert internal not in job.error, job.error


@pytest.mark.django_db(transaction=True)
def test_a_render_past_its_soft_time_limit_fails_with_a_message_saying_so(generation_dirs, tmp_path):
    """The limit (25 s here) applies to each turn. A first small render loads torch and the
    pipeline (a cold worker's imports take seconds, 6 s in all on an AVX2-only 2-core machine: a
    limit landing in an import would leave the process half-initialised), so the long one is
    stopped mid-render."""
    team = project_with_team()
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="gpu", GENERATION_JOB_TIME_LIMIT_S="25",
                                **generation_dirs)
    try:
        warm = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                          prompt="a calm sea", width=64, height=64, frames=9, steps=2)
        warm = wait_for(warm, {JobStatus.SUCCEEDED, JobStatus.FAILED})
        assert warm.status == JobStatus.SUCCEEDED, warm.error
        # Minutes of work on two cores: the preset's longest clip at the plan's largest size, 100
        # steps (161 frames at 768x512 finished inside 45 s on a faster machine).
        job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                         prompt="a storm that never ends", width=768, height=768, frames=257, steps=100)
        job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
        after = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                           prompt="calm again", width=64, height=64, frames=9, steps=2)
        after = wait_for(after, {JobStatus.SUCCEEDED, JobStatus.FAILED})
    finally:
        worker.stop()
    assert_failed_for_time(job)
    assert job.error_detail.startswith("SoftTimeLimitExceeded")  # for staff, in the admin
    assert 0 < job.step < job.total_steps and job.attempts == 1, job.step  # stopped mid-render, not run again
    assert not job.assets.exists()
    assert after.status == JobStatus.SUCCEEDED, after.error  # the worker goes on serving


@pytest.mark.django_db
def test_a_turn_killed_at_its_hard_time_limit_fails_its_job_for_good():
    """When a render sits in one long native call that the soft limit cannot interrupt, the
    worker kills the process at the hard limit and calls the task's on_failure (in the worker's
    main process) with TimeLimitExceeded: the job fails, and is not put back in the queue."""
    team = project_with_team()
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a lantern", width=64, height=64, steps=2)
    assert scheduler.job_claim(claim="turn-1") == job.pk
    job_next.on_failure(TimeLimitExceeded(4 * 3600 + 60), "turn-1", (), {}, None)
    job.refresh_from_db()
    assert_failed_for_time(job)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(days=1))
    assert scheduler.jobs_recover() == 0


class StalledNode:
    """A chain node that accepts connections and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def stalled_node() -> Iterator[StalledNode]:
    node = StalledNode()
    yield node
    node.close()


@pytest.mark.django_db(transaction=True)
def test_a_chain_pass_stopped_at_its_time_limit_leaves_its_transactions_to_the_next(stalled_node, tmp_path):
    signer = "0x" + "ab" * 20
    tx = ChainTx.objects.create(key="register:limits", signer=signer, function="register", args=[])
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="chain", CHAIN_RPC_URL=stalled_node.url,
                                CHAIN_TASK_TIME_LIMIT_S="1", REGISTRY_ADDRESS="0x" + "11" * 20,
                                CHAIN_DIR=str(tmp_path / "chain"))
    log_path = Path(tmp_path / "worker.log")
    try:
        chain_send.delay(signer=signer)
        wait_until(lambda: log_path.read_text().count("reached its time limit") >= 2, timeout=120,
                   interval=0.2, message=lambda: "not two passes stopped: " + log_path.read_text()[-3000:])
        log = log_path.read_text()
    finally:
        worker.stop()
    assert log.count("reached its time limit") >= 2, log[-3000:]  # stopped, then the next pass came
    assert "Hard time limit" not in log
    tx.refresh_from_db()
    assert (tx.status, tx.error, tx.nonce) == (TxStatus.PENDING, "", None)  # neither lost nor failed
