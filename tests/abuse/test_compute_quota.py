"""Renders are metered in estimated compute (frames x width x height x denoising steps, in
megapixel-steps), not seconds of video: 60 fps and the most steps cost what they cost, images
count, a cancelled or failed job counts what ran, and deleting a render gives nothing back."""

import pytest
from rest_framework.test import APIClient

from accounts.services import token_create
from generation import execution
from generation.execution import job_execute
from generation.models import Job, JobStatus
from generation.services import job_cancel, job_submit
from kernel.errors import QuotaExceeded
from tests.projects.factories import Team, project_with_team

pytestmark = pytest.mark.django_db

MP = 1_000_000


@pytest.fixture(autouse=True)
def generation_dirs(settings, tmp_path) -> None:
    settings.GENERATION_MODELS_DIR = tmp_path / "models"  # tiny models are built here
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team() -> Team:
    return project_with_team()


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def usage(user) -> dict:
    return api_for(user).get("/api/v1/generation/usage").json()


def heavy(team):
    """The most a free account may ask of the default video model: 768 x 768, 60 fps, the longest
    clip (257 frames, 4.3 s) and the most steps (100)."""
    return api_for(team.editor).post(f"/api/v1/projects/{team.project.pk}/jobs", {
        "kind": "video", "preset": "tiny-ltx-video", "prompt": "a storm over the lighthouse",
        "width": 768, "height": 768, "fps": 60, "frames": 257, "steps": 100}, format="json")


def test_a_free_account_is_refused_once_its_compute_is_spent_though_it_made_few_seconds(team):
    cost = 257 * 768 * 768 * 100 / MP  # megapixel-steps per clip
    for _ in range(3):  # the plan's default allowance holds three of them...
        response = heavy(team)
        assert response.status_code == 201, response.json()
        Job.objects.filter(public_id=response.json()["id"]).update(status=JobStatus.SUCCEEDED)
    refused = heavy(team)  # ...and not a fourth, though 12.8 seconds of video is all it made
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "compute_allowance"
    day = usage(team.editor)
    assert day["video_seconds_today"] < 13 and day["compute_today"] == pytest.approx(3 * cost, abs=0.01)
    left = day["compute_per_day"] - day["compute_today"]
    # What it costs, what is left and when the allowance starts again, in the unit's name.
    assert f"{cost:,.0f}" in error["message"] and f"{left:,.0f}" in error["message"]
    assert "megapixel-steps" in error["message"] and "00:00 UTC" in error["message"]
    assert Job.objects.count() == 3  # nothing queued


def test_images_count_against_the_allowance(team, settings):
    settings.GENERATION_QUOTAS = {"free": {"compute_per_day": 100, "max_side": 768, "jobs_in_flight": 4}}

    def image():
        return job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                          prompt="a lamp", width=768, height=768, steps=100)

    image()  # 59 megapixel-steps
    with pytest.raises(QuotaExceeded) as caught:
        image()
    assert caught.value.code == "compute_allowance"
    assert usage(team.editor)["compute_today"] == pytest.approx(768 * 768 * 100 / MP, abs=0.01)


def test_a_cancelled_job_counts_the_steps_that_ran_and_a_queued_one_nothing(team, settings, monkeypatch):
    settings.GENERATION_QUOTAS = {"free": {"compute_per_day": 1, "max_side": 768, "jobs_in_flight": 4}}
    params = {"kind": "video", "preset": "tiny-ltx-video", "prompt": "gulls", "width": 64, "height": 64,
              "frames": 9, "fps": 8, "steps": 6}
    estimate = 9 * 64 * 64 * 6 / MP
    queued = job_submit(project=team.project, user=team.editor, **params)
    assert usage(team.editor)["compute_today"] == pytest.approx(estimate, abs=0.001)  # reserved
    job_cancel(project=team.project, user=team.editor, job_id=queued.public_id)
    assert usage(team.editor)["compute_today"] == 0  # it never ran

    job = job_submit(project=team.project, user=team.editor, **params)
    original = execution._Reporter.progress

    def progress_then_cancel(self, progress):
        original(self, progress)
        if progress.step == 2:
            job_cancel(project=team.project, user=team.editor, job_id=job.public_id)

    monkeypatch.setattr(execution._Reporter, "progress", progress_then_cancel)
    assert job_execute(job.pk) == JobStatus.CANCELLED
    job.refresh_from_db()
    assert job.step == 2  # the steps that ran, recorded however throttled the progress was
    assert usage(team.editor)["compute_today"] == pytest.approx(estimate * 2 / 6, abs=0.001)


def test_a_job_that_fails_before_rendering_counts_nothing(team, settings):
    job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                     prompt="gulls", width=64, height=64, frames=9, fps=8, steps=3)
    Job.objects.filter(pk=job.pk).update(preset="retired-model")
    assert job_execute(job.pk) == JobStatus.FAILED
    assert usage(team.editor)["compute_today"] == 0


def test_deleting_a_rendered_video_does_not_give_its_compute_back(team, settings):
    settings.GENERATION_QUOTAS = {"free": {"compute_per_day": 3, "max_side": 768, "jobs_in_flight": 4}}
    _, raw = token_create(user=team.editor, name="sdk")
    api = APIClient()  # as OpenAI's SDKs call: a bearer token, JSON bodies
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_OPENAI_PROJECT=str(team.project.pk))
    body = {"prompt": "a kite", "size": "64x64", "seconds": "1"}  # 25 frames, 20 steps: 2.05
    made = api.post("/v1/videos", body, format="json")
    assert made.status_code == 200, made.json()
    job = Job.objects.get(public_id=made.json()["id"])
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    assert api.delete(f"/v1/videos/{job.public_id}").status_code == 200
    assert not Job.objects.filter(pk=job.pk).exists()
    refused = api.post("/v1/videos", body, format="json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "compute_allowance")
    assert usage(team.editor)["compute_today"] == pytest.approx(25 * 64 * 64 * 20 / MP, abs=0.001)


def test_the_usage_page_shows_compute_and_explains_the_unit(team):
    job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart", prompt="a lamp",
               width=256, height=256, steps=20)  # 1.31 megapixel-steps
    page = api_for(team.editor).get("/accounts/usage/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1.3 of 50,000 megapixel-steps" in html
    assert "frames × width × height × steps" in html  # the unit, in plain words
