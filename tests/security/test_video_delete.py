"""Issue 12: deleting a video through `DELETE /v1/videos/<id>` (OpenAI's Videos API).

Reproduced: an editor deleted the owner's published video, and the cascade took the gallery
publication with it. Now only the video's requester or a project owner may delete it; a video
published in the gallery or registered as a work is kept (409, saying why); a remix queued before
its source was deleted still renders; a job that fails inside shows a clean message."""

import hashlib
import secrets
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import token_create
from generation import execution
from generation.execution import job_execute
from generation.extensions import asset_deletion_refusal
from generation.models import Asset, Job, JobKind, JobStatus
from projects.models import Project
from recommend.models import Publication
from recommend.services import publication_publish
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import png, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GENERATION_MODELS_DIR = tmp_path_factory.getbasetemp() / "video-delete-models"  # built once
    settings.VIDEOS_API_MODELS = {"sora-2": "tiny-ltx-video"}


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team()


def bearer(user: User) -> APIClient:
    _, raw = token_create(user=user, name=f"sdk {secrets.token_hex(4)}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def video(project: Project, requester: User, *, prompt: str = "a kite over the dunes", seed: int = 3) -> Job:
    """A finished small video of the project (its files written directly)."""
    job = Job.objects.create(project=project, requester=requester, kind=JobKind.VIDEO,
                             preset="tiny-ltx-video", prompt=prompt, width=64, height=64, frames=9, fps=24,
                             steps=2, guidance=3.0, seed=seed, status=JobStatus.SUCCEEDED, progress=100.0)
    data = png(seed, size=64)
    asset = Asset(job=job, project=project, kind=JobKind.VIDEO, width=64, height=64, frames=9, fps=24,
                  seconds=0.375, sha256=hashlib.sha256(data).hexdigest())
    for name, filename in (("file", "video.png"), ("poster", "poster.png"), ("thumbnail", "thumb.png")):
        getattr(asset, name).save(filename, ContentFile(data), save=False)
    asset.save()
    return job


def test_an_editor_cannot_delete_a_video_someone_else_asked_for(team: Team) -> None:
    owners = video(team.project, team.owner)
    response = bearer(team.editor).delete(f"/v1/videos/{owners.public_id}")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "permission_error" and error["message"]
    assert Job.objects.filter(pk=owners.pk).exists() and Asset.objects.filter(job=owners).exists()


def test_a_published_video_is_kept_and_the_reason_given(team: Team) -> None:
    mine = video(team.project, team.owner)
    asset = Asset.objects.get(job=mine)
    publication = publication_publish(project=team.project, user=team.owner, asset_id=asset.pk,
                                      title="Kite", tags=["sky"])
    response = bearer(team.owner).delete(f"/v1/videos/{mine.public_id}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert "published in the gallery" in error["message"] and "unpublish" in error["message"]
    assert error["type"] == "invalid_request_error"
    assert Publication.objects.filter(pk=publication.pk).exists() and Job.objects.filter(pk=mine.pk).exists()
    assert asset_deletion_refusal(asset)  # the same guard, whoever asks


def test_a_video_registered_as_a_work_is_kept(team: Team) -> None:
    mine = video(team.project, team.editor)
    work = register(Asset.objects.get(job=mine), team.editor)
    response = bearer(team.editor).delete(f"/v1/videos/{mine.public_id}")
    assert response.status_code == 409
    assert work.public_id in response.json()["error"]["message"]
    assert Job.objects.filter(pk=mine.pk).exists()


def test_the_requester_and_an_owner_may_delete(team: Team) -> None:
    editors = video(team.project, team.editor)
    response = bearer(team.editor).delete(f"/v1/videos/{editors.public_id}")
    assert response.status_code == 200
    assert response.json() == {"id": editors.public_id, "object": "video.deleted", "deleted": True}
    another = video(team.project, team.editor, seed=4)
    assert bearer(team.owner).delete(f"/v1/videos/{another.public_id}").status_code == 200
    assert not Job.objects.filter(pk__in=[editors.pk, another.pk]).exists()
    assert not Asset.objects.exists()


def test_a_remix_queued_before_its_source_was_deleted_still_completes(team: Team) -> None:
    source = video(team.project, team.editor)
    source_sha = Asset.objects.get(job=source).sha256
    api = bearer(team.editor)
    remix = api.post(f"/v1/videos/{source.public_id}/remix", {"prompt": "the kite at night"}, format="json")
    assert remix.status_code == 200, remix.json()
    remix_id = remix.json()["id"]
    assert api.delete(f"/v1/videos/{source.public_id}").status_code == 200
    assert not Job.objects.filter(pk=source.pk).exists()

    assert job_execute(Job.objects.get(public_id=remix_id).pk) == JobStatus.SUCCEEDED
    done = api.get(f"/v1/videos/{remix_id}").json()
    assert done["status"] == "completed" and done["error"] is None
    assert done["remixed_from_video_id"] == source.public_id  # the lineage is kept, as OpenAI's API does
    job = Job.objects.get(public_id=remix_id)
    assert job.parent is None and job.parent_sha256 == source_sha  # its Content Credentials still name it


def test_a_remix_whose_source_is_deleted_while_it_renders_still_completes(
        team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    source = video(team.project, team.editor)
    api = bearer(team.editor)
    remix = api.post(f"/v1/videos/{source.public_id}/remix", {"prompt": "dusk"}, format="json")
    remix_id = remix.json()["id"]
    render = execution._render

    def deleted_meanwhile(job: Job, pipeline: object, reporter: object) -> object:
        assert api.delete(f"/v1/videos/{source.public_id}").status_code == 200
        return render(job, pipeline, reporter)

    monkeypatch.setattr(execution, "_render", deleted_meanwhile)
    assert job_execute(Job.objects.get(public_id=remix_id).pk) == JobStatus.SUCCEEDED
    assert Asset.objects.get(job__public_id=remix_id).parent is None


def test_a_job_failing_inside_shows_a_clean_message(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    created = bearer(team.editor).post("/v1/videos", {"prompt": "fog", "size": "64x64", "seconds": "1"},
                                       format="json").json()

    def broken(job: Job, pipeline: object, reporter: object) -> None:
        Asset.objects.get(pk=-1)  # an internal error: DoesNotExist with the model and the query

    monkeypatch.setattr(execution, "_render", broken)
    monkeypatch.setattr(execution, "pipeline_for", lambda preset: object())
    assert job_execute(Job.objects.get(public_id=created["id"]).pk) == JobStatus.FAILED
    failed = bearer(team.editor).get(f"/v1/videos/{created['id']}").json()
    message = failed["error"]["message"]
    assert failed["status"] == "failed" and message
    for leak in ("DoesNotExist", "matching query", "Traceback", "Asset", "/", "Error:"):
        assert leak not in message, message
    job = Job.objects.get(public_id=created["id"])
    assert "DoesNotExist" in job.error_detail  # for staff, in the admin


def test_deleting_a_project_keeps_its_registered_renders_and_removes_the_other_files(
        team: Team, django_capture_on_commit_callbacks) -> None:
    """The project's deletion asks the same guards: a registered render stops it (409, why); once
    nothing keeps them, its renders go with it, files included."""
    from kernel.errors import Conflict
    from projects.services import project_delete
    from tests.generation.factories import image_render

    kept = image_render(team.project, team.owner, png(81), size=96, prompt="kept", seed=81)
    work = register(kept, team.owner)
    with pytest.raises(Conflict, match=work.public_id):
        project_delete(project=team.project, user=team.owner, confirm_name=team.project.name)
    assert Project.objects.filter(pk=team.project.pk).exists() and Asset.objects.filter(pk=kept.pk).exists()
    work.delete()
    path = Path(kept.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        project_delete(project=team.project, user=team.owner, confirm_name=team.project.name)
    assert not Asset.objects.filter(pk=kept.pk).exists()
    assert not path.exists()
