"""Generation on the project page, in a real browser against a real server and Celery worker: an
editor renders a tiny video from the generate panel and follows it live to the media library
and its player, then renders the storyboard and plays its scenes one by one; a viewer sees the
queue and the library but cannot generate or cancel. The page opens one websocket to the
project's events, shared by the activity list and the studio."""

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from aesthetics.models import Report
from collab.services import scene_add
from generation.media import mp4_write, poster_png, preview_webp, thumbnail_jpeg
from generation.models import Asset, Job, JobKind, JobStatus
from kernel.paths import VAR_DIR
from projects.models import Project
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.servers import CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
TIMEOUT = 10_000
RENDER_TIMEOUT = 120_000  # a render on a busy machine: generous, it fails only if one never ends

# Every value the queue's progress bars show, recorded as it changes (a render of a few steps
# can be over between two polls of a test, so the page itself keeps the record).
RECORD_PROGRESS = """() => {
  window.__progress = [];
  window.__sameDocument = true;
  const record = (bar) => window.__progress.push(Number(bar.getAttribute('aria-valuenow')));
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === 'attributes') record(change.target);
      for (const node of change.addedNodes) {  // a row that arrived already running
        if (node.dataset && node.dataset.status === 'running') record(node.querySelector('.progress'));
      }
    }
  }).observe(document.getElementById('job-list'),
             {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow']});
}"""

VIDEO_PLAYS = """() => { const video = document.querySelector('#asset-dialog[open] #asset-media video');
  return !!video && video.readyState >= 2 && video.duration > 0 }"""

# The player's video plays `src` (the end of a URL).
VIDEO_PLAYS_SRC = """(src) => {
  const video = document.querySelector('#asset-dialog[open] #asset-media video');
  return !!video && video.src.endsWith(src) && video.readyState >= 2 && video.duration > 0 }"""


def _open_project(browser: Any, base: str, user: Any, project_id: int, sockets: list[str] | None = None,
                  route_events: Callable[[Any], None] | None = None, **viewport: int) -> tuple[Any, Any]:
    """A signed-in page on the project; the URL of each websocket it opens goes into `sockets`,
    and `route_events` gets each socket to the project's events (a Playwright WebSocketRoute)."""
    def watch(page: Any) -> None:
        if sockets is not None:
            page.on("websocket", lambda socket: sockets.append(socket.url))
        if route_events is not None:
            page.route_web_socket(re.compile(r"/ws/projects/\d+/events$"), route_events)

    return log_in(browser, base, user, f"/projects/{project_id}/", before=watch, **viewport)


def _media_dir(project: Project) -> Path:
    return Path(settings.MEDIA_ROOT) / "generation" / str(project.id)


def _events_sockets(sockets: list[str], project_id: int) -> list[str]:
    return [url for url in sockets if url.endswith(f"/ws/projects/{project_id}/events")]


def _check_preset_default(context: Any, page: Any, base: str) -> None:
    """The model select offers the installed presets only (the API lists no others), and starts
    on the first; a model whose weights are missing is not offered at all."""
    from playwright.sync_api import expect

    presets = context.request.get(f"{base}/api/v1/generation/presets").json()
    assert presets and all(preset["available"] for preset in presets)  # the tiny ones build their own
    select = page.locator("#gen-preset")
    expect(select).to_have_value(presets[0]["name"])
    for preset in presets:
        option = select.locator(f"option[value='{preset['name']}']")
        expect(option).not_to_contain_text("weights not installed")
    if not any(preset["name"] == "ltx-video" for preset in presets):  # (unless installed on this machine)
        expect(select.locator("option[value='ltx-video']")).to_have_count(0)
    expect(page.locator("#gen-preset-help")).to_be_hidden()


def test_an_editor_renders_a_video_and_plays_it_from_the_library(browser: Any, live_server_url: str,
                                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    team = project_with_team(name="Harbour Lights")
    # The worker writes where the test server reads: the test settings' MEDIA_ROOT.
    worker = CeleryWorker.start(tmp_path / "worker.log", GENERATION_MODELS_DIR=str(tmp_path / "models"),
                                MEDIA_ROOT=str(settings.MEDIA_ROOT))
    sockets: list[str] = []
    context, page = _open_project(browser, live_server_url, team.editor, team.project.id, sockets)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    try:
        form = page.locator("#generate-form")
        expect(page.locator("#studio")).to_have_attribute("data-live", "open", timeout=TIMEOUT)
        expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
        expect(page.locator("#gen-preset option[value='tiny-ltx-video']")).to_have_count(1)
        _check_preset_default(context, page, live_server_url)
        expect(page.locator("#jobs-empty")).to_be_visible()
        expect(page.locator("#library-empty")).to_be_visible()

        speed = form.locator("select[name=render_mode]")
        form.locator("select[name=preset]").select_option("tiny-pixart")
        expect(speed).to_be_hidden()  # a model without a fast mode: no choice offered
        form.locator("select[name=preset]").select_option("tiny-ltx-video")
        expect(form.locator("input[name=width]")).to_have_value("256")  # the preset's defaults
        expect(form.locator("input[name=seconds]")).to_be_visible()
        expect(speed).to_be_visible()
        expect(speed).to_have_value("quality")
        form.locator("textarea[name=prompt]").fill("a lighthouse in fog, slow dolly in")
        expect(page.locator("#gen-prompt-counter")).to_contain_text("34")

        # A size the model cannot make: the API's message shows under the field, nothing is queued.
        form.locator("input[name=width]").fill("65")
        form.locator("input[name=height]").fill("64")
        form.locator("input[name=seconds]").fill("1")
        form.locator("input[name=steps]").fill("8")
        form.locator("button[type=submit]").click()
        expect(page.locator("#gen-width-errors")).to_contain_text("multiple of 32")
        expect(form.locator("input[name=width]")).to_have_attribute("aria-invalid", "true")
        assert page.locator("#job-list .job").count() == 0

        form.locator("input[name=width]").fill("64")
        speed.select_option("fast")
        page.evaluate(RECORD_PROGRESS)
        form.locator("button[type=submit]").click()
        row = page.locator("#job-list .job").first
        expect(row).to_have_count(1, timeout=TIMEOUT)
        expect(page.locator("#gen-width-errors")).to_be_empty()
        expect(row.locator(".job__model")).to_contain_text("Tiny LTX-Video")
        expect(row).to_contain_text("64 × 64")
        expect(row).to_have_attribute("data-status", "succeeded", timeout=RENDER_TIMEOUT)
        expect(row.locator(".job__status")).to_have_text("Succeeded")
        expect(row.locator(".job__cancel")).to_be_hidden()

        seen = page.evaluate("window.__progress")
        assert seen and max(seen) == 100 and len(set(seen)) >= 2, seen  # the bar moved, live
        assert page.evaluate("window.__sameDocument") is True  # no reload happened

        tile = page.locator("#asset-grid [data-asset-id]")
        expect(tile).to_have_count(1, timeout=TIMEOUT)
        expect(tile.first).to_contain_text("a lighthouse in fog")
        expect(page.locator("#library-count")).to_have_text("1")
        # The job's events carried its state and its asset: no GET of the job, and the library
        # asked for the new asset alone, not for its first page again.
        assert not [r for r in requests if re.search(r"^GET .*/jobs/[^/?]+$", r)], requests
        assert len([r for r in requests if re.search(r"^GET .*/assets\?", r)]) <= 1, requests
        assert [r for r in requests if re.search(r"^GET .*/assets/\d+$", r)], requests
        tile.first.click()
        dialog = page.locator("#asset-dialog")
        expect(dialog).to_be_visible()
        page.wait_for_function(VIDEO_PLAYS, timeout=TIMEOUT)
        expect(dialog.locator("#asset-preset")).to_contain_text("Tiny LTX-Video")
        expect(dialog.locator("#asset-size")).to_have_text("64 × 64")
        expect(dialog.locator("#asset-length")).to_contain_text("25 frames")
        job = Job.objects.get(project=team.project)
        expect(dialog.locator("#asset-seed")).to_have_text(str(job.seed))
        assert job.render_mode == "fast"

        download = dialog.locator("#asset-download").get_attribute("href")
        assert download
        response = context.request.get(download)
        assert response.status == 200, response.status
        assert response.headers["content-type"] == "video/mp4"
        assert "attachment" in response.headers.get("content-disposition", "")
        assert len(response.body()) > 1000

        page.screenshot(path=str(SHOTS / "generation-player.png"))
        dialog.locator("#asset-close").click()
        expect(dialog).to_be_hidden()
        page.screenshot(path=str(SHOTS / "generation-project.png"), full_page=True)

        # Remix: only what changed is sent; the new job shows in the queue and names its parent.
        tile.first.click()
        dialog.locator("#asset-remix-toggle").click()
        remix = dialog.locator("#remix-form")
        expect(remix.locator("textarea[name=prompt]")).to_have_value("a lighthouse in fog, slow dolly in")
        expect(remix.locator("input[name=seed]")).to_have_value(str(job.seed))
        expect(remix.locator("select[name=render_mode]")).to_have_value("fast")
        remix.locator("button[type=submit]").click()
        expect(dialog.locator("#remix-status")).to_contain_text("Change something first")
        remix.locator("textarea[name=prompt]").fill("a lighthouse in fog at night")
        with page.expect_request(re.compile(r"/assets/\d+/remix$")) as sent:
            remix.locator("button[type=submit]").click()
        assert sent.value.post_data_json == {"prompt": "a lighthouse in fog at night"}
        expect(dialog.locator("#remix-status")).to_contain_text("Remix queued")
        dialog.locator("#asset-close").click()
        expect(page.locator("#job-list .job")).to_have_count(2)
        remixed = page.locator("#job-list .job").first
        expect(remixed).to_contain_text("a lighthouse in fog at night")
        expect(remixed).to_have_attribute("data-status", "succeeded", timeout=RENDER_TIMEOUT)
        expect(tile).to_have_count(2, timeout=TIMEOUT)
        tile.first.click()
        expect(dialog.locator("#asset-parent")).to_be_visible()
        expect(dialog.locator("#asset-parent-link")).to_have_text(f"render #{job.assets.get().id}")
        dialog.locator("#asset-parent-link").click()  # the source, with its remix counted
        expect(dialog.locator("#asset-remixes")).to_have_text("1 remix")
        expect(dialog.locator("#asset-scenes")).to_be_hidden()  # a prompt's render has no scenes

        # One socket served the activity list and the studio all along.
        assert len(_events_sockets(sockets, team.project.id)) == 1, sockets
    finally:
        context.close()
        worker.stop()
        shutil.rmtree(_media_dir(team.project), ignore_errors=True)


def test_an_editor_renders_the_storyboard_and_plays_each_scene(browser: Any, live_server_url: str,
                                                               tmp_path: Path) -> None:
    from playwright.sync_api import expect

    team = project_with_team(name="Tide Tables")
    prompts = ["a tide pool at dawn, crabs under glass-clear water", "gulls lifting off the pier"]
    for prompt in prompts:
        scene_add(project=team.project, user=team.editor, prompt=prompt, duration=1)
    worker = CeleryWorker.start(tmp_path / "worker.log", GENERATION_MODELS_DIR=str(tmp_path / "models"),
                                MEDIA_ROOT=str(settings.MEDIA_ROOT))
    sockets: list[str] = []
    context, page = _open_project(browser, live_server_url, team.editor, team.project.id, sockets)
    try:
        form = page.locator("#generate-form")
        expect(page.locator("#studio")).to_have_attribute("data-live", "open", timeout=TIMEOUT)
        form.get_by_text("From the storyboard").click()
        expect(page.locator("#gen-storyboard-summary")).to_contain_text("2 scenes")
        form.locator("select[name=preset]").select_option("tiny-ltx-video")
        form.locator("input[name=width]").fill("64")
        form.locator("input[name=height]").fill("64")
        form.locator("input[name=steps]").fill("2")
        expect(form.locator("input[name=prompt]")).to_have_count(0)
        expect(form.locator("button[type=submit]")).to_have_text("Render the storyboard")
        page.locator("#generate").screenshot(path=str(_shots() / "generation-storyboard-panel.png"))
        form.locator("button[type=submit]").click()

        row = page.locator("#job-list .job").first
        expect(row).to_have_attribute("data-kind", "storyboard", timeout=TIMEOUT)
        expect(row).to_contain_text("2 scenes")
        expect(row).to_contain_text(f"by {team.editor.name}")  # the display name, not the username
        expect(row).to_have_attribute("data-status", "succeeded", timeout=RENDER_TIMEOUT)
        expect(row.locator(".job__image")).to_be_visible()  # the event's asset thumbnail

        # The whole video plays first; its scenes are listed under it.
        row.locator(".job__open").click()
        dialog = page.locator("#asset-dialog")
        expect(dialog).to_be_visible()
        page.wait_for_function(VIDEO_PLAYS, timeout=TIMEOUT)
        job = Job.objects.get(project=team.project)
        output = job.assets.get(role="output")
        scenes = dialog.locator(".scene-clip[data-role^='scene-']")
        expect(scenes).to_have_count(2)
        expect(scenes.nth(0)).to_contain_text("Scene 1")
        expect(scenes.nth(1)).to_contain_text("Scene 2")
        whole = dialog.locator(".scene-clip[data-role='output']")
        expect(whole).to_have_attribute("aria-current", "true")
        expect(dialog.locator("#asset-requested")).to_contain_text(f"by {team.editor.name}")

        # Scene 2 plays in the same player, with its own prompt, length and download.
        scenes.nth(1).click()
        clip = job.assets.get(role="scene-2")
        clip_file = clip.media_url("file")
        assert clip_file
        page.wait_for_function(VIDEO_PLAYS_SRC, arg=clip_file, timeout=TIMEOUT)
        expect(scenes.nth(1)).to_have_attribute("aria-current", "true")
        expect(whole).not_to_have_attribute("aria-current", "true")
        expect(dialog.locator("#asset-prompt")).to_have_text(prompts[1])
        expect(dialog.locator("#asset-length")).to_contain_text("25 frames")
        expect(dialog.locator("#asset-download")).to_have_attribute("href", re.compile(
            re.escape(clip.media_url("file", download=True) or "") + "$"))
        assert len(_events_sockets(sockets, team.project.id)) == 1, sockets

        page.screenshot(path=str(_shots() / "generation-storyboard-player.png"))
        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        dialog.locator(".asset-scenes").scroll_into_view_if_needed()
        page.screenshot(path=str(_shots() / "generation-storyboard-player-phone.png"))
        page.set_viewport_size({"width": 1280, "height": 900})

        # And back to the whole video.
        whole.click()
        output_file = output.media_url("file")
        assert output_file
        page.wait_for_function(VIDEO_PLAYS_SRC, arg=output_file, timeout=TIMEOUT)
        expect(dialog.locator("#asset-length")).to_contain_text("50 frames")

        # A new take: "New random seed" sends seed null and the server draws one.
        dialog.locator("#asset-remix-toggle").click()
        remix = dialog.locator("#remix-form")
        remix.get_by_label("New random seed").check()
        expect(remix.locator("input[name=seed]")).to_be_disabled()
        expect(remix.locator("input[name=seed]")).to_have_value("")  # not the old seed: a new one
        expect(remix.locator("input[name=seed]")).to_have_attribute("placeholder", "random")
        dialog.screenshot(path=str(_shots() / "generation-storyboard-remix.png"))
        with page.expect_request(re.compile(r"/assets/\d+/remix$")) as sent:
            remix.locator("button[type=submit]").click()
        assert sent.value.post_data_json == {"seed": None}
        expect(dialog.locator("#remix-status")).to_be_visible()
        expect(dialog.locator("#remix-status")).to_contain_text("Remix queued")
        remixed = Job.objects.exclude(pk=job.pk).get(project=team.project)
        assert remixed.kind == JobKind.STORYBOARD and remixed.parent_id == output.id
    finally:
        context.close()
        worker.stop()
        shutil.rmtree(_media_dir(team.project), ignore_errors=True)


def _shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def _finished_video(project: Project, user: Any, prompt: str) -> Job:
    """A succeeded job with its video asset, made here (no worker needed)."""
    job = Job.objects.create(project=project, requester=user, kind=JobKind.VIDEO, preset="tiny-ltx-video",
                             prompt=prompt, width=64, height=64, frames=9, fps=8, steps=4, guidance=3.0,
                             seed=7, status=JobStatus.SUCCEEDED, progress=100.0, step=4)
    rng = np.random.default_rng(7)
    frames = rng.integers(0, 255, size=(9, 64, 64, 3), dtype=np.uint8)
    video = Path(settings.MEDIA_ROOT) / "tmp-viewer.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    mp4_write(frames, video, fps=8)
    data = video.read_bytes()
    video.unlink()
    asset = Asset(job=job, project=project, kind=JobKind.VIDEO, role="output", sha256="0" * 64, width=64,
                  height=64, frames=9, fps=8, seconds=1.125)
    for name, content in {"file": ContentFile(data, name="video.mp4"),
                          "poster": ContentFile(poster_png(frames), name="poster.png"),
                          "preview": ContentFile(preview_webp(frames, fps=8), name="preview.webp"),
                          "thumbnail": ContentFile(thumbnail_jpeg(frames), name="thumbnail.jpg")}.items():
        getattr(asset, name).save(content.name, content, save=False)
    asset.save()
    return job


def test_a_viewer_sees_the_queue_and_library_but_cannot_generate(browser: Any, live_server_url: str) -> None:
    from playwright.sync_api import expect

    team = project_with_team(name="Quiet Harbour")
    _finished_video(team.project, team.editor, "gulls over the harbour wall")
    # Measured: its tile shows its palette (the report's colours, as wide as their shares).
    Report.objects.create(sha256="0" * 64, kind="video", measures={
        "palette": [{"hex": "#c8281e", "share": 0.75}, {"hex": "#1e3cc8", "share": 0.25}]})
    # Queued, and nothing dispatches it: it stays queued.
    Job.objects.create(project=team.project, requester=team.owner, kind=JobKind.VIDEO,
                       preset="tiny-ltx-video", prompt="waiting for a worker", width=64, height=64,
                       frames=9, fps=8, steps=4, guidance=3.0, seed=1)
    routes: list[Any] = []  # the page's sockets to the project's events, passed through

    def through(route: Any) -> None:
        routes.append(route)
        route.connect_to_server()

    sockets: list[str] = []
    context, page = _open_project(browser, live_server_url, team.viewer, team.project.id, sockets, through,
                                  width=390, height=844)  # a phone
    try:
        rows = page.locator("#job-list .job")
        expect(rows).to_have_count(2, timeout=TIMEOUT)
        expect(rows.first).to_have_attribute("data-status", "queued")
        expect(rows.nth(1)).to_have_attribute("data-status", "succeeded")
        expect(page.locator("#generate")).to_have_count(0)
        expect(page.locator("#generate-form")).to_have_count(0)
        expect(page.locator(".job__cancel")).to_have_count(0)
        expect(page.get_by_role("button", name="Cancel")).to_have_count(0)

        tile = page.locator("#asset-grid [data-asset-id]")
        expect(tile).to_have_count(1)
        strip = tile.first.get_by_role("img", name="Palette: #c8281e 75 %, #1e3cc8 25 %")
        expect(strip).to_have_count(1)
        assert strip.evaluate("(s) => [...s.querySelectorAll('rect')].map((r) => "
                              "[r.getAttribute('fill'), Math.round(r.getBBox().width)])") == [
            ["#c8281e", 750], ["#1e3cc8", 250]]
        height = strip.evaluate("(s) => s.getBoundingClientRect().height")
        assert 3 <= height <= 10, height  # a slim strip
        tile.first.click()
        dialog = page.locator("#asset-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#asset-prompt")).to_have_text("gulls over the harbour wall")
        page.wait_for_function(VIDEO_PLAYS, timeout=TIMEOUT)
        expect(dialog.locator("#asset-download")).to_be_visible()
        expect(dialog.locator("#asset-remix-toggle")).to_have_count(0)
        expect(dialog.locator("#remix-form")).to_have_count(0)
        # The API agrees: a viewer cannot cancel.
        job_id = rows.first.get_attribute("data-job-id")
        cancel = f"{live_server_url}/api/v1/projects/{team.project.id}/jobs/{job_id}/cancel"
        response = context.request.post(cancel, headers={"X-CSRFToken": _csrf(context)})
        assert response.status == 403, response.status
        if SHOTS.exists():
            page.screenshot(path=str(SHOTS / "generation-viewer-phone.png"), full_page=True)

        # The page's socket drops; a job queued meanwhile shows once it is back (the studio
        # follows project-events.js's socket and fetches the queue again).
        dialog.locator("#asset-close").click()
        routes[-1].close()
        expect(page.locator("#studio")).not_to_have_attribute("data-live", "open", timeout=TIMEOUT)
        Job.objects.create(project=team.project, requester=team.owner, kind=JobKind.IMAGE,
                           preset="tiny-pixart", prompt="queued while offline", width=64, height=64,
                           frames=1, fps=8, steps=4, guidance=3.0, seed=2)
        expect(page.locator("#studio")).to_have_attribute("data-live", "open", timeout=TIMEOUT)
        expect(rows).to_have_count(3, timeout=TIMEOUT)
        expect(rows.first).to_contain_text("queued while offline")
        assert len(routes) == 2 and len(_events_sockets(sockets, team.project.id)) == 2, sockets
    finally:
        context.close()
        shutil.rmtree(_media_dir(team.project), ignore_errors=True)


def _csrf(context: Any) -> str:
    return next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrftoken")
