"""The generate panel's status line follows the job it queued (queued, rendering with its
progress, encoding and signing, done with a button that plays it, failed with the reason); the
length starts at a clean number of seconds; on a phone, Generate comes before the members.

No worker runs here: the job stays queued, and the job's later states arrive as the project's
event stream would bring them (the events the project bundle relays on `document`)."""

from typing import Any

import pytest

from generation.models import Job
from tests.e2e.helpers import log_in
from tests.e2e.test_generation import TIMEOUT, _finished_video
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db(transaction=True)

SEND = """(payload) => document.dispatchEvent(
  new CustomEvent('storyloom:project-event', { detail: { type: 'job', ...payload } }))"""


def test_the_status_line_follows_the_job_from_queued_to_done(browser: Any, live_server_url: str) -> None:
    from playwright.sync_api import expect

    team = project_with_team(name="Harbour Lights")
    url = f"/projects/{team.project.id}/"
    context, page = log_in(browser, live_server_url, team.editor, url)
    try:
        form = page.locator("#generate-form")
        status = page.locator("#gen-status")
        expect(page.locator("#gen-preset option[value='tiny-ltx-video']")).to_have_count(1, timeout=TIMEOUT)
        form.locator("select[name=preset]").select_option("tiny-ltx-video")
        # 97 frames at 24 fps: 4 s (96 frame steps), not 4.04.
        expect(form.locator("input[name=seconds]")).to_have_value("4")
        expect(page.locator("#gen-seconds-help")).to_have_text("97 frames")
        form.locator("select[name=preset]").select_option("tiny-wan")
        expect(form.locator("input[name=seconds]")).to_have_value("2")  # 33 frames at 16 fps

        form.locator("textarea[name=prompt]").fill("a lighthouse in fog")
        form.locator("input[name=width]").fill("64")
        form.locator("input[name=height]").fill("64")
        form.locator("button[type=submit]").click()
        row = page.locator("#job-list .job").first
        expect(row).to_have_attribute("data-status", "queued", timeout=TIMEOUT)
        expect(status).to_have_text("Queued. Follow it in the queue below.")
        job = Job.objects.get(project=team.project)

        page.evaluate(SEND, {"id": job.public_id, "status": "running", "progress": 40, "step": 8,
                             "steps": 20, "eta_s": 3})
        expect(status).to_have_text("Rendering… 40%")
        page.evaluate(SEND, {"id": job.public_id, "status": "running", "progress": 100, "step": 20,
                             "steps": 20, "eta_s": 0, "phase": "encoding"})
        expect(status).to_have_text("Encoding and signing…")
        expect(row.locator(".job__progress-text")).to_have_text("Encoding and signing…")

        done = _finished_video(team.project, team.editor, "a lighthouse in fog")
        page.evaluate(SEND, {"id": job.public_id, "status": "succeeded", "progress": 100,
                             "asset": {"id": done.assets.get().pk, "thumbnail": None}})
        expect(status).to_contain_text("Done.")
        status.get_by_role("button", name="Play it").click()
        expect(page.locator("#asset-dialog")).to_be_visible()
        page.locator("#asset-close").click()

        # Another render fails: the reason is on the form.
        form.locator("textarea[name=prompt]").fill("a storm")
        form.locator("button[type=submit]").click()
        expect(page.locator("#job-list .job")).to_have_count(2, timeout=TIMEOUT)
        expect(status).to_have_text("Queued. Follow it in the queue below.")
        second = Job.objects.filter(project=team.project, prompt="a storm").get()
        page.evaluate(SEND, {"id": second.public_id, "status": "failed", "progress": 10,
                             "error": "The model ran out of memory."})
        expect(status).to_have_text("Failed: The model ran out of memory.")
        # Events of another job do not move the line.
        page.evaluate(SEND, {"id": job.public_id, "status": "succeeded", "progress": 100})
        expect(status).to_have_text("Failed: The model ran out of memory.")
    finally:
        context.close()


def test_on_a_phone_generate_comes_before_the_members(browser: Any, live_server_url: str) -> None:
    from playwright.sync_api import expect

    team = project_with_team(name="Harbour Lights")
    url = f"/projects/{team.project.id}/"
    for width, height in ((390, 844), (1280, 900)):
        context, page = log_in(browser, live_server_url, team.owner, url, width=width, height=height)
        try:
            expect(page.locator("#generate")).to_be_visible(timeout=TIMEOUT)
            generate = page.locator("#generate").bounding_box()
            members = page.locator("#members").bounding_box()
            activity = page.locator("#activity").bounding_box()
            storyboard = page.locator("#open-storyboard").bounding_box()
            assert generate and members and activity and storyboard
            assert storyboard["y"] < generate["y"]
            if width < 600:  # one column: the work, then the people, then the activity
                assert generate["y"] < members["y"] < activity["y"], (generate, members, activity)
                assert generate["y"] < 900, generate  # within the first screens, not 1,400 px down
            else:  # two columns: the people on the right, at the top
                assert members["x"] > generate["x"] + generate["width"] - 1
                assert abs(members["y"] - generate["y"]) < 40, (members, generate)
        finally:
            context.close()
