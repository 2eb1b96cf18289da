"""The media library API: assets with their jobs and lineage, members-only files, remix, and
the models list."""

import numpy as np
import pytest
from rest_framework.test import APIClient

from generation.execution import job_execute
from generation.models import Job
from generation.services import job_submit

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


@pytest.fixture
def video(team) -> Job:
    job = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                     prompt="tide pools", width=64, height=64, frames=9, fps=8, steps=2, seed=3)
    job_execute(job.pk)
    return job


def test_the_library_lists_outputs_with_their_job_and_files_for_members_only(team, video):
    base = f"/api/v1/projects/{team.project.pk}/assets"
    listed = client_for(team.viewer).get(base).json()["results"]
    assert len(listed) == 1
    asset = listed[0]
    assert (asset["job"]["id"], asset["job"]["prompt"], asset["job"]["seed"]) == (
        video.public_id, "tide pools", 3)
    assert (asset["role"], asset["kind"], asset["frames"], asset["remixes"], asset["parent"]) == (
        "output", "video", 9, 0, None)
    viewer = client_for(team.viewer)
    response = viewer.get(asset["file"])
    assert (response.status_code, response["Content-Type"]) == (200, "video/mp4")
    assert b"".join(response.streaming_content)[4:8] == b"ftyp"
    download = viewer.get(asset["download"])
    assert download["Content-Disposition"].startswith("attachment;")
    assert viewer.get(asset["preview"])["Content-Type"] == "image/webp"
    assert client_for(team.outsider).get(asset["file"]).status_code == 404
    assert APIClient().get(asset["file"]).status_code in (401, 403)
    assert viewer.get(f"{base}/{asset['id']}/secrets").status_code == 404
    whole = b"".join(viewer.get(asset["file"]).streaming_content)
    size = len(whole)
    part = viewer.get(asset["file"], HTTP_RANGE="bytes=100-199")  # how players seek
    assert (part.status_code, part["Content-Range"]) == (206, f"bytes 100-199/{size}")
    assert part.content == whole[100:200]
    tail = viewer.get(asset["file"], HTTP_RANGE="bytes=-10")
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    assert viewer.get(asset["file"], HTTP_RANGE=f"bytes={size}-").status_code == 416
    # The files are not reachable around the check either.
    stored = Job.objects.get(pk=video.pk).assets.get().file.name
    assert APIClient().get(f"/media/{stored}").status_code == 404


def test_a_remix_keeps_the_source_settings_changes_what_was_asked_and_records_lineage(team, video):
    base = f"/api/v1/projects/{team.project.pk}/assets"
    source = client_for(team.viewer).get(base).json()["results"][0]
    url = f"{base}/{source['id']}/remix"
    assert client_for(team.viewer).post(url, {"prompt": "x"}, format="json").status_code == 403
    response = client_for(team.owner).post(url, {"prompt": "tide pools at night", "steps": 3}, format="json")
    assert response.status_code == 201, response.json()
    remix = response.json()
    assert (remix["prompt"], remix["steps"], remix["seed"], remix["frames"]) == (
        "tide pools at night", 3, 3, 9)
    assert remix["parent"] == {"asset": source["id"], "job": video.public_id}
    assert client_for(team.owner).post(url, {"width": 70}, format="json").json()["error"]["fields"]["width"]
    reseeded = client_for(team.owner).post(url, {"seed": None}, format="json").json()  # a new random seed
    assert reseeded["seed"] != 3 and reseeded["prompt"] == "tide pools"
    job_execute(Job.objects.get(public_id=remix["id"]).pk)
    library = {a["job"]["id"]: a for a in client_for(team.viewer).get(base).json()["results"]}
    assert library[video.public_id]["remixes"] == 2
    assert library[remix["id"]]["parent"] == {"asset": source["id"], "job": video.public_id}


def test_a_remix_keeps_a_fast_render_fast_unless_its_new_model_has_no_fast_mode(team, settings):
    settings.GENERATION_PRESETS = {"plain-ltx": {"pipeline": "LTXPipeline", "kind": "video",
                                                 "tiny": "ltx-video", "size_multiple": 32, "frame_step": 8,
                                                 "max_frames": 97}}
    fast = job_submit(project=team.project, user=team.editor, kind="video", preset="tiny-ltx-video",
                      prompt="tide pools", width=64, height=64, frames=9, fps=8, steps=2, seed=3,
                      render_mode="fast")
    job_execute(fast.pk)
    source = fast.assets.get(role="output")
    url = f"/api/v1/projects/{team.project.pk}/assets/{source.pk}/remix"
    api = client_for(team.editor)
    assert api.post(url, {"prompt": "tide pools at night"}, format="json").json()["render_mode"] == "fast"
    moved = api.post(url, {"preset": "plain-ltx"}, format="json").json()
    assert (moved["preset"], moved["render_mode"]) == ("plain-ltx", "quality")
    refused = api.post(url, {"preset": "plain-ltx", "render_mode": "fast"}, format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["render_mode"]


def test_the_models_list_has_each_presets_defaults_and_limits(team):
    presets = {p["name"]: p for p in client_for(team.viewer).get("/api/v1/generation/presets").json()}
    assert presets["tiny-ltx-video"]["kind"] == "video" and presets["tiny-ltx-video"]["frame_step"] == 8
    assert presets["tiny-pixart"]["kind"] == "image"
    # Only models whose weights are here: a client picks among usable ones (staff install the others).
    assert "ltx-video" not in presets and all(p["available"] for p in presets.values())


def test_each_library_asset_carries_its_palette_read_for_the_whole_page_in_one_query(team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aesthetics.services import report_make
    from tests.aesthetics.test_measures import solid
    from tests.generation.factories import image_render

    base = f"/api/v1/projects/{team.project.pk}/assets"
    viewer = client_for(team.viewer)

    def render(n: int):
        return image_render(team.project, team.editor, f"picture {n}".encode(), size=64, prompt=f"still {n}")

    first = render(0)
    listed = viewer.get(base).json()["results"]
    assert listed[0]["palette"] is None  # pending: not measured yet
    assert viewer.get(f"{base}/{first.pk}").json()["palette"] is None
    half = np.concatenate([solid((200, 40, 30), (48, 64)), solid((30, 60, 200), (16, 64))], axis=1)
    report_make(sha256=first.sha256, frames=half[None], fps=None)
    palette = viewer.get(base).json()["results"][0]["palette"]
    assert [(colour["hex"], colour["percent"]) for colour in palette] == [("#c8281e", 75), ("#1e3cc8", 25)]
    assert palette[0]["share"] == 0.75
    assert viewer.get(f"{base}/{first.pk}").json()["palette"] == palette  # the one asset, alone

    def counted() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as queries:
            results = viewer.get(base).json()["results"]
        return len(queries), results

    few, results = counted()
    for n in range(1, 6):
        asset = render(n)
        if n % 2:
            report_make(sha256=asset.sha256, frames=solid((20 * n, 100, 50))[None], fps=None)
    many, results = counted()
    assert len(results) == 6 and many == few
    assert [result["palette"] is None for result in results] == [False, True, False, True, False, False]
