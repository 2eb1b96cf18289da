"""OpenAI's Videos API at /v1/videos: the fields, statuses, errors and flows its clients use."""

import secrets

import pytest
from rest_framework.test import APIClient

from accounts.services import token_create
from generation.execution import job_execute
from generation.models import Asset, Job
from projects.models import Project

pytestmark = pytest.mark.django_db

VIDEO_FIELDS = {"id", "object", "model", "status", "progress", "created_at", "completed_at", "expires_at",
                "prompt", "size", "seconds", "remixed_from_video_id", "error"}


@pytest.fixture(autouse=True)
def models(settings):
    settings.VIDEOS_API_MODELS = {"sora-2": "tiny-ltx-video"}


def bearer(user) -> APIClient:
    """As OpenAI's SDKs call: a bearer token, JSON bodies."""
    _, raw = token_create(user=user, name=f"sdk {secrets.token_hex(4)}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def run(video_id: str) -> None:
    job_execute(Job.objects.get(public_id=video_id).pk)


def test_create_poll_download_remix_list_and_delete(team):
    api = bearer(team.editor)
    created = api.post("/v1/videos", {"model": "sora-2", "prompt": "a paper boat on a puddle",
                                      "size": "256x128", "seconds": "1"}, format="json")
    assert created.status_code == 200, created.json()
    video = created.json()
    assert set(video) == VIDEO_FIELDS
    assert (video["object"], video["status"], video["progress"], video["size"], video["seconds"]) == (
        "video", "queued", 0, "256x128", "1")
    assert video["model"] == "tiny-ltx-video" and video["completed_at"] is None and video["error"] is None
    job = Job.objects.get(public_id=video["id"])
    assert job.project.name == "Videos API" and job.requester == team.editor  # their own project

    assert api.get(f"/v1/videos/{video['id']}/content").status_code == 404  # not ready yet
    run(video["id"])
    done = api.get(f"/v1/videos/{video['id']}").json()
    assert (done["status"], done["progress"]) == ("completed", 100)
    assert done["completed_at"] >= done["created_at"]
    content = api.get(f"/v1/videos/{video['id']}/content")
    assert (content.status_code, content["Content-Type"]) == (200, "video/mp4")
    assert b"ftyp" in b"".join(content.streaming_content)[:64]
    thumbnail = api.get(f"/v1/videos/{video['id']}/content", {"variant": "thumbnail"})
    assert thumbnail["Content-Type"] == "image/jpeg"

    remix = api.post(f"/v1/videos/{video['id']}/remix", {"prompt": "the boat at night"}, format="json").json()
    assert remix["remixed_from_video_id"] == video["id"] and remix["size"] == "256x128"
    source_asset = Asset.objects.get(job__public_id=video["id"])
    assert Job.objects.get(public_id=remix["id"]).parent == source_asset  # lineage
    assert Job.objects.get(public_id=remix["id"]).seed == job.seed

    listed = api.get("/v1/videos", {"limit": 1}).json()
    assert (listed["object"], [v["id"] for v in listed["data"]], listed["has_more"]) == (
        "list", [remix["id"]], True)
    following = api.get("/v1/videos", {"limit": 1, "after": listed["last_id"]}).json()
    assert [v["id"] for v in following["data"]] == [video["id"]] and not following["has_more"]

    deleted = api.delete(f"/v1/videos/{remix['id']}")
    assert deleted.json() == {"id": remix["id"], "object": "video.deleted", "deleted": True}
    assert api.get(f"/v1/videos/{remix['id']}").status_code == 404


def test_errors_come_in_openais_shape(team):
    api = bearer(team.editor)
    response = api.post("/v1/videos", {"prompt": "x", "size": "big"}, format="json")
    assert response.status_code == 400
    assert not Project.objects.filter(name="Videos API").exists()  # a refused video leaves nothing
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "size") and error["message"]
    response = api.post("/v1/videos", {"prompt": "x", "model": "sora-9"}, format="json")
    assert response.json()["error"]["param"] == "preset" and "tiny-ltx-video" in str(response.json())
    assert APIClient().get("/v1/videos").json()["error"]["type"] == "authentication_error"
    unfinished = api.post("/v1/videos", {"prompt": "fog"}, format="json").json()
    remix = api.post(f"/v1/videos/{unfinished['id']}/remix", {"prompt": "more fog"}, format="json")
    assert remix.status_code == 409 and remix.json()["error"]["code"] == "video_not_ready"


def test_a_project_is_chosen_with_the_openai_project_header_and_membership_is_checked(team):
    api = bearer(team.editor)
    video = api.post("/v1/videos", {"prompt": "harbour lights"}, format="json",
                     HTTP_OPENAI_PROJECT=str(team.project.pk)).json()
    assert Job.objects.get(public_id=video["id"]).project == team.project
    assert bearer(team.viewer).get(f"/v1/videos/{video['id']}").json()["id"] == video["id"]  # members see it
    outsider = bearer(team.outsider)
    assert outsider.get(f"/v1/videos/{video['id']}").status_code == 404
    refused = bearer(team.viewer).post("/v1/videos", {"prompt": "x"}, format="json",
                                       HTTP_OPENAI_PROJECT=str(team.project.pk))
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "permission_error"
