"""Plans' quotas, checked at submit with a clear error, and the usage they are measured by."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Plan
from core.errors import QuotaExceeded
from generation.models import Job, JobStatus
from generation.services import job_cancel, job_submit

pytestmark = pytest.mark.django_db

QUOTAS = {"free": {"video_seconds_per_day": 10, "max_side": 256, "jobs_in_flight": 2},
          "pro": {"video_seconds_per_day": 600, "max_side": 768, "jobs_in_flight": 8}}


@pytest.fixture(autouse=True)
def quotas(settings):
    settings.GENERATION_QUOTAS = QUOTAS


def clip(team, seconds=4, side=256, user=None):
    return job_submit(project=team.project, user=user or team.editor, kind="video", preset="tiny-ltx-video",
                      prompt="rain on a window", width=side, height=side, fps=8, seconds=seconds)


def test_the_free_plan_caps_the_size_a_side(team):
    with pytest.raises(QuotaExceeded) as caught:
        clip(team, side=512)
    error = caught.value
    assert (error.status, error.code) == (429, "quota_exceeded")
    assert "Free plan renders at most 256 pixels" in error.message
    assert set(error.fields) == {"width", "height"}
    team.editor.plan = Plan.PRO
    team.editor.save()
    assert clip(team, side=512).width == 512


def test_jobs_at_a_time_are_capped_and_a_finished_one_frees_a_place(team):
    first, _second = clip(team, seconds=1), clip(team, seconds=1)
    with pytest.raises(QuotaExceeded, match="2 jobs at a time"):
        clip(team, seconds=1)
    job_cancel(project=team.project, user=team.editor, job_id=first.public_id)
    assert clip(team, seconds=1).status == JobStatus.QUEUED
    assert clip(team, user=team.owner, seconds=1)  # another person's jobs are theirs


def test_seconds_of_video_a_day_count_what_ran_or_will_run(team):
    done = clip(team, seconds=4)
    Job.objects.filter(pk=done.pk).update(status=JobStatus.SUCCEEDED)
    failed = clip(team, seconds=4)
    Job.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED)  # does not count
    clip(team, seconds=4)  # queued: counts; 8.25 s used (frames are on the 8-frame grid)
    with pytest.raises(QuotaExceeded) as caught:
        clip(team, seconds=4)
    assert "10 seconds of video a day; 8.2 are used today and this clip needs 4.1" in caught.value.message
    usage = APIClient()
    usage.force_login(team.editor)
    body = usage.get("/api/v1/generation/usage").json()
    assert body.pop("resets_at").endswith("T00:00:00Z")
    assert body == {
        "plan": "free", "video_seconds_today": 8.25, "video_seconds_per_day": 10.0, "jobs_in_flight": 1,
        "jobs_in_flight_max": 2, "max_side": 256, "running_max": 1, "watermark": False}
    page = usage.get("/accounts/usage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "8.25 of 10 seconds (82%)" in html and "1 of 2" in html
    assert html.count("<tr>") == 1 + 3  # the header and today's three jobs (the failed one listed too)
    assert APIClient().get("/accounts/usage/").status_code == 302  # to the login page


def test_the_quota_error_reaches_api_clients_as_429(team):
    api = APIClient()
    api.force_login(team.editor)
    response = api.post(f"/api/v1/projects/{team.project.pk}/jobs", {
        "kind": "video", "preset": "tiny-ltx-video", "prompt": "x", "width": 768, "height": 256},
        format="json")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and "width" in error["fields"]
