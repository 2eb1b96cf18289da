"""Jobs through a real Celery worker process and the real broker: submit, progress events on
the project's stream, assets; a worker process killed in the middle of a job."""

import asyncio
import os
import signal
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.files.storage import default_storage
from django.utils import timezone

from generation import provenance
from generation.media import mp4_info
from generation.models import Asset, Job, JobStatus
from generation.services import job_submit
from projects.activity import project_group
from tests.projects.factories import project_with_team
from tests.servers import CeleryWorker
from tests.waiting import wait_until
from tests.ws import run

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(job: Job, statuses: set[str], timeout: float = 120) -> Job:
    def arrived() -> bool:
        job.refresh_from_db()
        return job.status in statuses

    wait_until(arrived, timeout=timeout, interval=0.1, message=lambda: f"job still {job.status}")
    return job


def wait_for_step(job: Job, step: int, timeout: float = 60) -> None:
    """Until the job reports denoising step `step` (it is in the middle of its loop)."""
    def reached() -> bool:
        job.refresh_from_db()
        return job.step >= step

    wait_until(reached, timeout=timeout, message=lambda: f"job {job.status} still at step {job.step}")


def test_a_submitted_job_runs_on_a_worker_and_streams_its_progress(generation_dirs, tmp_path):
    team = project_with_team()
    worker = CeleryWorker.start(tmp_path / "worker.log", **generation_dirs)
    try:
        async def scenario():
            layer = get_channel_layer()
            channel = await layer.new_channel()
            await layer.group_add(project_group(team.project.id), channel)
            job = await sync_to_async(job_submit)(
                project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                prompt="a lighthouse in fog", width=64, height=64, frames=17, steps=6, fps=8)
            events: list[dict] = []
            while not events or events[-1]["status"] not in ("succeeded", "failed"):
                message = await asyncio.wait_for(layer.receive(channel), 120)
                if message.get("event") == "job" and message["payload"]["id"] == job.public_id:
                    events.append(message["payload"])
            await layer.group_discard(project_group(team.project.id), channel)
            return job, events

        job, events = run(scenario())
    finally:
        worker.stop()
    statuses = [event["status"] for event in events]
    assert statuses[:2] == ["queued", "running"] and statuses[-1] == "succeeded", statuses
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress) and progress[-1] == 100.0
    previews = [event["preview"] for event in events if "preview" in event]
    assert previews and all(p.startswith("data:image/jpeg;base64,") for p in previews)
    asset = Asset.objects.get(job=job)
    assert events[-1]["asset"]["id"] == asset.pk  # watchers show the result without asking for it
    assert mp4_info(default_storage.path(asset.file.name)).frames == 17
    with asset.file.open("rb") as handle:
        credentials = provenance.read(handle.read(), "video/mp4")
    assert credentials.valid and credentials.facts is not None, credentials.errors
    assert (credentials.facts["job_id"], credentials.facts["seed"]) == (job.public_id, job.seed)


def test_two_peoples_queues_interleave_one_job_each_in_turn(generation_dirs, tmp_path):
    team = project_with_team()
    mine = [job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                       prompt=f"editor's lantern {n}", width=64, height=64, steps=1) for n in range(3)]
    theirs = [job_submit(project=team.project, user=team.owner, kind="image", preset="tiny-pixart",
                         prompt=f"owner's lantern {n}", width=64, height=64, steps=1) for n in range(3)]
    worker = CeleryWorker.start(tmp_path / "worker.log", **generation_dirs)
    try:
        for job in [*mine, *theirs]:
            wait_for(job, {JobStatus.SUCCEEDED})
    finally:
        worker.stop()
    started = Job.objects.order_by("started_at").values_list("requester", flat=True)
    # Queued first-come-first-served they would run editor, editor, editor, owner...
    assert list(started) == [team.editor.pk, team.owner.pk] * 3


def test_a_job_whose_worker_process_is_killed_runs_again_and_leaves_one_set_of_assets(
        generation_dirs, tmp_path):
    team = project_with_team()
    worker = CeleryWorker.start(tmp_path / "worker.log", **generation_dirs)
    try:
        # Long enough to be caught running: 97 frames at 256x256, many steps.
        job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                         prompt="storm over the harbour", width=256, height=256, frames=97, steps=100)
        wait_for(job, {JobStatus.RUNNING})
        wait_for_step(job, 2)  # in the middle of the denoising loop
        children = worker.children()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, timeout=240)
    finally:
        worker.stop()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2 and Asset.objects.filter(job=job).count() == 1


def test_a_job_whose_whole_worker_vanished_is_taken_up_by_the_next_worker_to_start(
        generation_dirs, tmp_path):
    team = project_with_team()
    env = {**generation_dirs, "GENERATION_STALE_AFTER_S": "2"}
    first = CeleryWorker.start(tmp_path / "first.log", **env)
    try:
        job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                         prompt="a ferry in the rain", width=256, height=256, frames=97, steps=100)
        wait_for(job, {JobStatus.RUNNING})
        wait_for_step(job, 2)
        for pid in [*first.children(), first.process.pid]:  # the machine goes away: no goodbye
            os.kill(pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    finally:
        first.stop()
    # Until the job has been silent for longer than GENERATION_STALE_AFTER_S (2 s here).
    wait_until(lambda: Job.objects.filter(pk=job.pk, heartbeat_at__lt=timezone.now() - timedelta(
        seconds=float(env["GENERATION_STALE_AFTER_S"]))).exists(), timeout=60, interval=0.1,
        message="the job's last heartbeat is still recent")
    second = CeleryWorker.start(tmp_path / "second.log", **env)
    try:
        job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, timeout=240)
    finally:
        second.stop()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2 and Asset.objects.filter(job=job).count() == 1
