"""Plans' quotas, checked at submit with a clear error, and the usage they are measured by."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Plan
from generation.execution import job_execute
from generation.models import Job, JobStatus
from generation.services import job_cancel, job_submit
from kernel.errors import QuotaExceeded

pytestmark = pytest.mark.django_db

QUOTAS = {"free": {"compute_per_day": 100, "max_side": 256, "jobs_in_flight": 2},
          "pro": {"compute_per_day": 10_000, "max_side": 768, "jobs_in_flight": 8}}


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


def test_compute_a_day_counts_what_ran_or_will_run(team):
    # (The daily allowance was seconds of video; it is compute now: tests/abuse/test_compute_quota.py.)
    done = clip(team, seconds=4)  # 33 frames x 256 x 256 x 20 steps: 43.25 megapixel-steps
    Job.objects.filter(pk=done.pk).update(status=JobStatus.SUCCEEDED)
    failed = clip(team, seconds=4)
    Job.objects.filter(pk=failed.pk).update(preset="retired-model")
    assert job_execute(failed.pk) == JobStatus.FAILED  # before any step: counts nothing
    clip(team, seconds=4)  # queued: counts; 86.5 used
    with pytest.raises(QuotaExceeded) as caught:
        clip(team, seconds=4)
    assert caught.value.code == "compute_allowance"
    assert "costs 43.3 megapixel-steps" in caught.value.message
    assert "Free plan has 13.5 of its 100 left today" in caught.value.message
    usage = APIClient()
    usage.force_login(team.editor)
    body = usage.get("/api/v1/generation/usage").json()
    assert body.pop("resets_at").endswith("T00:00:00Z")
    assert "megapixel-steps" in body.pop("compute_help")
    assert body.pop("allowances")[0]["name"] == "chain_transactions"  # (rights adds its own)
    assert body == {
        "plan": "free", "compute_today": 86.508, "compute_per_day": 100.0, "compute_unit": "megapixel-steps",
        "video_seconds_today": 8.25, "jobs_in_flight": 1, "jobs_in_flight_max": 2, "max_side": 256,
        "running_max": 1, "watermark": False}
    page = usage.get("/accounts/usage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "86.5 of 100 megapixel-steps (87%)" in html and "8.25 s" in html and "1 of 2" in html
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
