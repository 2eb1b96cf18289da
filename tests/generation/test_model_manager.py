"""The staff model manager: presets' state, install from a (local) Hub with progress, remove, who
may; creators offered and allowed only installed presets; job errors plain for creators."""

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from accounts.services import token_create
from generation.events import job_payload
from generation.models import InstallStatus, Job, JobStatus, ModelInstall
from generation.models_manager import model_install_run
from generation.pipelines import pipeline_load
from generation.presets import preset_get
from generation.tiny import tiny_build
from kernel.redis_urls import for_redis_py
from tests.accounts.factories import UserFactory
from tests.generation.hub import Hub, hub_serving

REPO = "storyloom-test/tiny-pixart"
FILLER = 16 * 1024 * 1024  # more than one of huggingface_hub's 10 MB download chunks: progress shows
HUB_PRESET = {"pipeline": "PixArtSigmaPipeline", "kind": "image", "label": "Hub PixArt", "hub_id": REPO,
              "dtype": "float32", "width": 64, "height": 64, "steps": 2, "size_multiple": 8,
              "call": {"clean_caption": False}}
INTERNALS = ("/", "model_index", "GENERATION_", "hf download", "HF_", "Error", "Exception", "WeightsMissing")


@pytest.fixture(scope="module")
def pixart_folder(tmp_path_factory) -> Path:
    """A real diffusers pipeline directory (the tiny PixArt), published on the test Hub."""
    folder = tmp_path_factory.mktemp("hub") / "tiny-pixart"
    tiny_build("pixart", folder)
    return folder


@pytest.fixture
def hub(monkeypatch) -> Iterator[Hub]:
    with hub_serving(monkeypatch) as serving:
        yield serving


@pytest.fixture
def hub_preset(settings):
    settings.GENERATION_PRESETS = {"hub-pixart": HUB_PRESET}


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def models(api: APIClient) -> dict[str, dict]:
    response = api.get("/api/v1/models")
    assert response.status_code == 200, response.content
    return {model["name"]: model for model in response.json()}


def broker_length(queue: str) -> int:
    client = redis.Redis.from_url(for_redis_py(settings.CELERY_BROKER_URL))
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def run_in_thread(name: str, token: str) -> tuple[threading.Thread, list]:
    result: list = []

    def run() -> None:
        try:
            result.append(model_install_run(name=name, token=token))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.glob("hub-pixart*")) if models_dir.exists() else []


@pytest.mark.django_db(transaction=True)
def test_staff_install_with_progress_one_at_a_time_then_creators_render_it_and_staff_remove_it(
        hub, hub_preset, pixart_folder, staff, team):
    held = threading.Event()
    repo = hub.add_folder(REPO, pixart_folder, **{"filler.bin": b"\0" * FILLER})
    repo.hold["filler.bin"] = (12 * 1024 * 1024, held)
    total = sum(len(data) for data in repo.files.values())
    api, creator = client_for(staff), client_for(team.editor)
    before = models(api)["hub-pixart"]
    assert (before["state"], before["installable"], before["removable"], before["size_bytes"]) == (
        "missing", True, False, None)
    assert models(api)["tiny-wan"]["state"] == "installed" and models(api)["tiny-wan"]["source"] == "built_in"
    assert "hub-pixart" not in {p["name"] for p in creator.get("/api/v1/generation/presets").json()}

    queued = broker_length("default")
    response = api.post("/api/v1/models/hub-pixart/install")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "installing" and response.json()["install"]["status"] == "queued"
    assert broker_length("default") == queued + 1  # the default queue, not the GPU workers'
    install = ModelInstall.objects.get(preset="hub-pixart")
    assert install.requested_by == staff

    thread, result = run_in_thread("hub-pixart", install.token)
    deadline = time.monotonic() + 60
    while (state := models(api)["hub-pixart"])["install"]["bytes_done"] < 10 * 1024 * 1024:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    # Part way: the page and the API show the bytes done of the whole.
    assert state["state"] == "installing" and state["install"]["status"] == "running"
    assert state["install"]["bytes_total"] == total and state["install"]["files_total"] == len(repo.files)
    assert state["install"]["bytes_done"] < total
    page = api.get("/staff/models/").content.decode()
    assert 'id="progress-hub-pixart"' in page and 'data-installing="true"' in page
    assert not (Path(settings.GENERATION_MODELS_DIR) / "hub-pixart").exists()  # nothing half installed

    again = api.post("/api/v1/models/hub-pixart/install")  # one install per preset at a time
    assert again.status_code == 409 and again.json()["error"]["code"] == "installing"
    refused = api.delete("/api/v1/models/hub-pixart")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "installing"
    assert api.post("/staff/models/hub-pixart/install").status_code == 302  # (said on the page)

    held.set()
    thread.join(60)
    assert result == [InstallStatus.SUCCEEDED]
    done = models(api)["hub-pixart"]
    assert (done["state"], done["source"], done["removable"], done["installable"]) == (
        "installed", "directory", True, False)
    assert done["size_bytes"] == total and done["install"]["status"] == "succeeded"
    directory = Path(settings.GENERATION_MODELS_DIR) / "hub-pixart"
    assert (directory / "model_index.json").read_bytes() == (pixart_folder / "model_index.json").read_bytes()
    assert leftovers(directory.parent) == ["hub-pixart"]  # no partial folder, no download bookkeeping
    assert not (directory / ".cache").exists()
    assert type(pipeline_load(preset_get("hub-pixart"))).__name__ == "PixArtSigmaPipeline"
    assert not any("huggingface.co" in request for request in hub.requests)

    # Installed: creators are offered it and may queue a render with it.
    assert "hub-pixart" in {p["name"] for p in creator.get("/api/v1/generation/presets").json()}
    submitted = creator.post(f"/api/v1/projects/{team.project.pk}/jobs",
                             {"kind": "image", "preset": "hub-pixart", "prompt": "a gull"}, format="json")
    assert submitted.status_code == 201, submitted.content

    assert api.delete("/api/v1/models/hub-pixart").status_code == 204
    assert not directory.exists() and models(api)["hub-pixart"]["state"] == "missing"
    assert "hub-pixart" not in {p["name"] for p in creator.get("/api/v1/generation/presets").json()}
    gone = creator.post(f"/api/v1/projects/{team.project.pk}/jobs",
                        {"kind": "image", "preset": "hub-pixart", "prompt": "a gull"}, format="json")
    assert gone.status_code == 400 and "not installed" in gone.json()["error"]["fields"]["preset"][0]


@pytest.mark.django_db(transaction=True)
def test_a_failed_download_leaves_no_half_directory_and_tells_staff_why(hub, settings, pixart_folder, staff):
    settings.GENERATION_PRESETS = {"hub-pixart": HUB_PRESET,
                                   "hub-missing": {**HUB_PRESET, "hub_id": "storyloom-test/no-such-repo"}}
    repo = hub.add_folder(REPO, pixart_folder)
    repo.refuse = {"model_index.json"}  # the other files arrive; this one is refused
    api = client_for(staff)
    for name in ("hub-pixart", "hub-missing"):
        assert api.post(f"/api/v1/models/{name}/install").status_code == 202
        token = ModelInstall.objects.get(preset=name).token
        assert model_install_run(name=name, token=token) == InstallStatus.FAILED
    models_dir = Path(settings.GENERATION_MODELS_DIR)
    assert leftovers(models_dir) == []  # neither the preset's folder nor a partial one
    failed = models(api)
    assert failed["hub-pixart"]["state"] == "missing" and failed["hub-pixart"]["installable"]
    assert failed["hub-pixart"]["install"]["status"] == "failed"
    assert "403" in failed["hub-pixart"]["install"]["error_detail"]
    assert "no such repository" in failed["hub-missing"]["install"]["error"]
    assert "RepositoryNotFoundError" in failed["hub-missing"]["install"]["error_detail"]
    page = api.get("/staff/models/").content.decode()
    assert "The last install failed" in page and "RepositoryNotFoundError" in page
    # A failed install may be started again (and a stale token does nothing).
    assert api.post("/api/v1/models/hub-pixart/install").status_code == 202
    assert model_install_run(name="hub-pixart", token="stale") is None


def test_only_staff_see_install_and_remove_models(db, team, hub_preset):
    anonymous = APIClient()
    creator = client_for(team.owner)
    _, raw = token_create(user=team.owner, name="cli")
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for api, status in ((anonymous, 401), (creator, 403), (token, 403)):
        for method, url in (("get", "/api/v1/models"), ("get", "/api/v1/models/hub-pixart"),
                            ("post", "/api/v1/models/hub-pixart/install"),
                            ("delete", "/api/v1/models/hub-pixart"), ("delete", "/api/v1/models/tiny-wan")):
            response = getattr(api, method)(url)
            assert response.status_code == status, (url, response.content)
            assert set(response.json()["error"]) == {"code", "message", "fields"}
            assert "Traceback" not in response.content.decode()
    assert not ModelInstall.objects.exists()
    page = APIClient()
    assert page.get("/staff/models/").status_code == 302  # to the log-in page
    assert page.post("/staff/models/hub-pixart/install").status_code == 302
    for url in ("/staff/models/",):
        assert creator.get(url).status_code == 403
    for url in ("/staff/models/hub-pixart/install", "/staff/models/tiny-wan/remove"):
        assert creator.post(url).status_code == 403
    assert not ModelInstall.objects.exists()
    assert 'href="/staff/models/"' not in creator.get("/projects/").content.decode()  # no link for creators
    staff_page = client_for(UserFactory(is_staff=True)).get("/projects/").content.decode()
    assert 'href="/staff/models/"' in staff_page


def test_preset_names_never_reach_outside_the_models_directory(db, settings, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "model_index.json").write_text("{}")
    (outside / "keep.txt").write_text("precious")
    settings.GENERATION_PRESETS = {
        "../escape": {**HUB_PRESET},
        "pointed-outside": {**HUB_PRESET, "path": str(outside)},
    }
    staff = UserFactory(is_staff=True)
    api = client_for(staff)
    for url in ("/api/v1/models/..%2F..%2Fetc/install", "/api/v1/models/..%2Fescape"):
        response = api.post(url) if url.endswith("install") else api.delete(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.post("/api/v1/models/../install").status_code == 404
    assert api.delete("/api/v1/models/..").status_code == 404
    outside_state = models(api)["pointed-outside"]
    assert outside_state["state"] == "installed" and not outside_state["removable"]
    refused = api.delete("/api/v1/models/pointed-outside")
    assert refused.status_code == 400 and "outside the models directory" in refused.json()["error"]["message"]
    assert (outside / "keep.txt").read_text() == "precious"
    escape = models(api)["../escape"]
    assert not escape["installable"]
    assert api.post("/staff/models/tiny-wan/remove").status_code == 302  # refused on the page
    tiny = Path(settings.GENERATION_MODELS_DIR) / "tiny-wan"
    tiny.mkdir(parents=True)
    (tiny / "model_index.json").write_text("{}")
    built_in = api.delete("/api/v1/models/tiny-wan")
    assert built_in.status_code == 409 and built_in.json()["error"]["code"] == "built_in"
    assert (tiny / "model_index.json").exists()
    assert api.post("/api/v1/models/tiny-wan/install").status_code == 409
    assert api.post("/api/v1/models/no-such-model/install").status_code == 404
    huge = api.post("/api/v1/models/" + "x" * 5000 + "/install", {"junk": "y" * 10_000}, format="json")
    assert huge.status_code == 404 and huge.json()["error"]["code"] == "not_found"


def test_creators_are_offered_and_may_submit_only_installed_models(db, team, settings):
    creator = client_for(team.editor)
    offered = {p["name"] for p in creator.get("/api/v1/generation/presets").json()}
    assert {"tiny-ltx-video", "tiny-wan", "tiny-pixart", "storyloom-tiny"} <= offered
    assert not offered & {"ltx-video", "wan-2.1-t2v-1.3b", "cogvideox-2b", "pixart-sigma", "sd3.5-medium"}
    response = creator.post(f"/api/v1/projects/{team.project.pk}/jobs",
                            {"kind": "video", "preset": "ltx-video", "prompt": "tide pools"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "ltx-video is not installed" in error["fields"]["preset"][0]
    assert "tiny-ltx-video" in error["fields"]["preset"][0]  # what may be chosen instead
    assert not Job.objects.exists()  # refused at submission, never queued to fail
    # The OpenAI-style API: by name and through an alias alike.
    _, raw = token_create(user=team.editor, name="sdk")
    sdk = APIClient()
    sdk.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    settings.VIDEOS_API_MODELS = {"sora-2": "ltx-video"}
    for body in ({"prompt": "fog", "model": "ltx-video"}, {"prompt": "fog"}):
        refused = sdk.post("/v1/videos", body, format="json")
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "preset"
        assert "not installed" in str(refused.json()["error"]["fields"])
    assert not Job.objects.exists()
    page = creator.get(f"/projects/{team.project.pk}/")
    assert page.status_code == 200 and b"Lightricks" not in page.content


def test_a_failing_jobs_error_is_plain_for_creators_and_detailed_for_staff(db, team, settings, monkeypatch):
    import torch

    from generation import execution
    from generation.videos_api.services import video_object
    from generation.webhooks import event_body

    def job() -> Job:
        response = client_for(team.editor).post(
            f"/api/v1/projects/{team.project.pk}/jobs", {"kind": "video", "preset": "tiny-ltx-video",
                                                         "prompt": "x", "width": 64, "height": 64,
                                                         "frames": 9, "steps": 2}, format="json")
        assert response.status_code == 201, response.content
        return Job.objects.get(public_id=response.json()["id"])

    removed = job()  # queued while installed, its weights gone before it ran
    settings.GENERATION_PRESETS = {"tiny-ltx-video": {"tiny": ""}}
    assert execution.job_execute(removed.pk) == JobStatus.FAILED
    settings.GENERATION_PRESETS = {}
    failures = {"OutOfMemoryError": torch.OutOfMemoryError("CUDA out of memory at /opt/torch/alloc.cpp"),
                "RuntimeError": RuntimeError("boom in /srv/storyloom/generation/runner.py; set HF_HOME")}
    failed = [removed]
    for exc in failures.values():
        def fail(preset, exc=exc):
            raise exc
        monkeypatch.setattr(execution, "pipeline_for", fail)  # (the GPU's own failures, raised here)
        failed.append(job())
        assert execution.job_execute(failed[-1].pk) == JobStatus.FAILED
    creator = client_for(team.editor)
    for one in failed:
        one.refresh_from_db()
        shown = [one.error, job_payload(one)["error"], event_body(one)["data"]["error"],
                 creator.get(f"/api/v1/projects/{team.project.pk}/jobs/{one.public_id}").json()["error"]]
        if one.kind == "video":
            shown.append(video_object(one)["error"]["message"])
        for text in shown:
            assert text == one.error and text.endswith(".")
            assert not [word for word in INTERNALS if word in text], text
    assert "not installed" in failed[0].error and "model_index.json" in failed[0].error_detail
    assert "Out of memory" in failed[1].error and failed[1].error_detail.startswith("OutOfMemoryError")
    assert failed[2].public_id in failed[2].error and "/srv/storyloom" in failed[2].error_detail
    # Staff see the detail on the Models page; creators may not open it.
    page = client_for(UserFactory(is_staff=True)).get("/staff/models/").content.decode()
    assert "/srv/storyloom/generation/runner.py" in page and "model_index.json" in page
    assert creator.get("/staff/models/").status_code == 403


def test_removed_weights_are_dropped_from_a_workers_loaded_pipelines(db, settings, pixart_folder):
    from generation.pipelines import PipelineCache, WeightsMissing

    directory = Path(settings.GENERATION_MODELS_DIR) / "hub-pixart"
    shutil.copytree(pixart_folder, directory)
    settings.GENERATION_PRESETS = {"hub-pixart": HUB_PRESET}
    cache = PipelineCache(max_bytes=1 << 40)
    preset = preset_get("hub-pixart")
    assert cache.get(preset) is cache.get(preset)
    ModelInstall.objects.create(preset="hub-pixart", status=InstallStatus.SUCCEEDED)
    response = client_for(UserFactory(is_staff=True)).delete("/api/v1/models/hub-pixart")
    assert response.status_code == 204 and not directory.exists()
    with pytest.raises(WeightsMissing):
        cache.get(preset)
    assert not cache.loaded
