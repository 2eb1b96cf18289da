"""The jobs API under /api/v1/projects/<id>/jobs."""

import pytest
from rest_framework.test import APIClient

from generation.execution import job_execute
from generation.models import Job
from generation.provenance import read

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_submit_watch_and_fetch_the_result(team):
    api = client_for(team.editor)
    url = f"/api/v1/projects/{team.project.pk}/jobs"
    response = api.post(url, {"kind": "video", "preset": "tiny-ltx-video", "prompt": "tide pools",
                              "width": 64, "height": 64, "seconds": 1, "fps": 8, "steps": 2, "seed": 5},
                        format="json")
    assert response.status_code == 201, response.json()
    job = response.json()
    assert (job["status"], job["frames"], job["seconds"], job["seed"]) == ("queued", 9, 1.125, 5)
    assert job["asset"] is None
    assert job["requester"] == team.editor.username
    job_execute(Job.objects.get(public_id=job["id"]).pk)
    done = api.get(f"{url}/{job['id']}").json()
    assert (done["status"], done["progress"]) == ("succeeded", 100.0)
    asset = done["asset"]
    assert asset["file"] == f"http://testserver/api/v1/projects/{team.project.pk}/assets/{asset['id']}/file"
    assert asset["frames"] == 9
    assert [j["id"] for j in client_for(team.viewer).get(url).json()["results"]] == [job["id"]]


def test_bad_settings_come_back_per_field_with_what_is_allowed(team):
    response = client_for(team.editor).post(
        f"/api/v1/projects/{team.project.pk}/jobs",
        {"kind": "movie", "preset": "tiny-ltx-video", "prompt": "x", "width": "wide"}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "Allowed: image, video" in fields["kind"][0] and "width" in fields
    response = client_for(team.editor).post(
        f"/api/v1/projects/{team.project.pk}/jobs",
        {"kind": "video", "preset": "tiny-ltx-video", "prompt": "x", "frames": 12}, format="json")
    assert response.status_code == 400
    assert "in steps of 8" in response.json()["error"]["fields"]["frames"][0]
    assert not Job.objects.exists()


def test_cancel_through_the_api(team):
    api = client_for(team.editor)
    url = f"/api/v1/projects/{team.project.pk}/jobs"
    job = api.post(url, {"kind": "image", "preset": "tiny-pixart", "prompt": "a lantern"},
                   format="json").json()
    assert client_for(team.viewer).post(f"{url}/{job['id']}/cancel").status_code == 403
    response = api.post(f"{url}/{job['id']}/cancel")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert api.get(f"{url}/video_nosuchjob").status_code == 404


def test_a_fast_render_where_the_model_has_a_fast_mode_and_a_clear_no_where_it_has_none(team):
    api = client_for(team.editor)
    url = f"/api/v1/projects/{team.project.pk}/jobs"
    modes = {p["name"]: p["render_modes"] for p in api.get("/api/v1/generation/presets").json()}
    assert modes["tiny-ltx-video"] == ["quality", "fast"] and modes["tiny-pixart"] == ["quality"]
    video = {"kind": "video", "preset": "tiny-ltx-video", "prompt": "tide pools", "width": 64, "height": 64,
             "frames": 9, "steps": 2, "seed": 5}
    response = api.post(url, {**video, "render_mode": "fast"}, format="json")
    assert (response.status_code, response.json()["render_mode"]) == (201, "fast")
    assert api.post(url, video, format="json").json()["render_mode"] == "quality"
    job_execute(Job.objects.get(public_id=response.json()["id"]).pk)
    assert api.get(f"{url}/{response.json()['id']}").json()["status"] == "succeeded"
    asset = Job.objects.get(public_id=response.json()["id"]).assets.get(role="output")
    with asset.file.open("rb") as handle:  # its Content Credentials say how it was rendered
        facts = read(handle.read(), "video/mp4").facts
    assert facts is not None and facts["render_mode"] == "fast"

    refused = api.post(url, {"kind": "image", "preset": "tiny-pixart", "prompt": "a lantern",
                             "render_mode": "fast"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["render_mode"] == [
        "tiny-pixart renders only at full quality: it has no fast mode."]
    unknown = api.post(url, {**video, "render_mode": "turbo"}, format="json")
    assert unknown.status_code == 400 and "render_mode" in unknown.json()["error"]["fields"]
    assert Job.objects.count() == 2
