"""Jobs: validation at submit, permissions, running on a worker (in this process), outputs,
cancel, failures, and running again after a lost worker."""

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from generation.execution import job_execute
from generation.media import mp4_info
from generation.models import Asset, Job, JobStatus
from generation.services import job_cancel, job_submit
from kernel.errors import NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def submit(team, user=None, **params):
    fields = {"kind": "video", "preset": "tiny-ltx-video", "prompt": "gulls over the pier",
              "width": 64, "height": 64, "frames": 9, "steps": 3, "fps": 8, **params}
    return job_submit(project=team.project, user=user or team.editor, **fields)


def test_defaults_come_from_the_preset_and_the_seed_is_always_recorded(team):
    job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                     prompt="a reef at night")
    assert (job.width, job.height, job.frames, job.fps, job.steps) == (256, 256, 97, 24, 20)
    assert job.status == JobStatus.QUEUED and 0 <= job.seed < 2**32 and job.public_id.startswith("video_")
    assert submit(team, frames=None, seconds=2).frames == 17  # 2 s at 8 fps, on the 8-frame grid: 16 + 1


@pytest.mark.parametrize("params, field, says", [
    ({"prompt": "  "}, "prompt", "Describe"),
    ({"prompt": "x" * 2001}, "prompt", "2000"),
    ({"width": 70}, "width", "multiple of 32"),
    ({"height": 4096}, "height", "to 768"),
    ({"frames": 10}, "frames", "in steps of 8"),
    ({"frames": 1000}, "frames", "1 to 257"),
    ({"steps": 0}, "steps", "From 1 to 100"),
    ({"guidance": "strong"}, "guidance", "number"),
    ({"seed": -1}, "seed", "From 0"),
    ({"fps": 500}, "fps", "From 1 to 60"),
    ({"kind": "image"}, "preset", "makes video"),
    ({"kind": "podcast"}, "kind", "image, video"),
])
def test_bad_settings_are_refused_per_field_and_nothing_is_queued(team, params, field, says):
    with pytest.raises(ValidationFailed) as caught:
        submit(team, **params)
    assert says in " ".join(caught.value.fields[field])
    assert not Job.objects.exists()


def test_an_unknown_model_lists_the_known_ones(team):
    with pytest.raises(ValidationFailed) as caught:
        submit(team, preset="sora-9")
    assert "tiny-ltx-video" in caught.value.fields["preset"][0]


def test_viewers_and_outsiders_cannot_generate(team):
    with pytest.raises(PermissionDenied):
        submit(team, user=team.viewer)
    with pytest.raises(NotFound):
        submit(team, user=team.outsider)
    assert not Job.objects.exists()


def test_a_video_job_runs_to_an_asset_whose_mp4_holds_the_frames_asked_for(team):
    job = submit(team)
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.progress, job.step, job.attempts, job.error) == (100.0, 3, 1, "")
    assert job.started_at <= job.finished_at
    assert set(job.timings) == {"queue_s", "load_s", "render_s", "store_s"}
    assert all(value >= 0 for value in job.timings.values())
    asset = Asset.objects.get(job=job)
    assert (asset.kind, asset.width, asset.height, asset.frames, asset.fps) == ("video", 64, 64, 9, 8)
    info = mp4_info(default_storage.path(asset.file.name))
    assert (info.frames, info.codec, info.pix_fmt) == (9, "h264", "yuv420p")
    for name in ("poster", "preview", "thumbnail"):
        assert default_storage.exists(getattr(asset, name).name)
    assert job_execute(job.pk) is None  # finished jobs are not run again


def test_an_image_job_makes_a_png(team):
    job = submit(team, kind="image", preset="tiny-pixart", frames=None, width=64, height=64)
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    asset = Asset.objects.get(job=job)
    assert asset.file.name.endswith(".png") and (asset.frames, asset.preview.name) == (1, "")


def test_a_job_that_runs_again_after_a_lost_worker_ends_with_one_set_of_assets(team):
    job = submit(team)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)  # the worker died here
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)  # and once more, after writing
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    assert Asset.objects.filter(job=job).count() == 1
    assert Job.objects.get(pk=job.pk).attempts == 3


def test_cancelling_a_queued_job_means_it_never_runs(team):
    job = submit(team)
    cancelled = job_cancel(project=team.project, user=team.owner, job_id=job.public_id)
    assert cancelled.status == JobStatus.CANCELLED
    assert job_execute(job.pk) is None and not Asset.objects.exists()
    with pytest.raises(PermissionDenied):
        job_cancel(project=team.project, user=team.viewer, job_id=job.public_id)


def test_a_running_job_stops_at_the_next_step_when_cancelled(team, monkeypatch):
    job = submit(team, steps=6)
    from generation import execution

    original = execution._Reporter.progress

    def progress_then_cancel(self, progress):
        original(self, progress)
        if progress.step == 2:
            job_cancel(project=team.project, user=team.editor, job_id=job.public_id)

    monkeypatch.setattr(execution._Reporter, "progress", progress_then_cancel)
    assert job_execute(job.pk) == JobStatus.CANCELLED
    job.refresh_from_db()
    assert job.step <= 2 and job.finished_at is not None and not Asset.objects.exists()


def test_missing_weights_fail_the_job_with_a_message_that_says_what_to_do(team, settings):
    job = submit(team)  # (submission refuses a missing model: these went missing after it was queued)
    settings.GENERATION_PRESETS = {"tiny-ltx-video": {"tiny": ""}}  # as if it were a real model, removed
    assert job_execute(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "tiny-ltx-video" in job.error and "not installed" in job.error
    assert "model_index.json" not in job.error and "/" not in job.error  # no paths or commands to users
    assert "model_index.json" in job.error_detail  # what staff need to fix it (the admin)


def test_a_job_whose_preset_left_the_configuration_fails_and_says_so(team):
    job = submit(team)
    Job.objects.filter(pk=job.pk).update(preset="retired-model")
    assert job_execute(job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "retired-model" in job.error and "tiny-ltx-video" in job.error


def test_plans_with_a_watermark_get_it_on_every_frame_and_the_others_do_not(team, settings):
    settings.GENERATION_QUOTAS = {
        "free": {"compute_per_day": 10_000, "max_side": 512, "jobs_in_flight": 4, "watermark": True},
        "pro": {"compute_per_day": 10_000, "max_side": 512, "jobs_in_flight": 4, "watermark": False}}
    team.owner.plan = "pro"
    team.owner.save()
    posters = []
    for user in (team.editor, team.owner):  # free, pro: the same render otherwise
        job = submit(team, user=user, kind="image", preset="tiny-pixart", width=256, height=256, seed=9)
        assert job_execute(job.pk) == JobStatus.SUCCEEDED
        with Asset.objects.get(job=job).poster.open("rb") as handle:
            posters.append(np.asarray(Image.open(handle).convert("RGB"), dtype=np.int16))
    marked, clean = posters
    corner = np.abs(marked - clean)[-40:, -120:]  # the mark sits bottom right
    assert corner.max() > 60 and np.abs(marked - clean)[:200].max() == 0
