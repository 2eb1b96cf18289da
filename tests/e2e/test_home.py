"""`/` in a real browser: the public home for a visitor and the dashboard for a member, on a desktop
and at a phone's width (390 px), without a Content-Security-Policy violation or a page wider than
the screen. Screenshots go to test-results/ (not committed), to look at."""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_csp_pages import Watcher

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT = 15_000


def _world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A project with works in the gallery, a render running and one queued, a work waiting for the
    editor's confirmation, and some activity."""
    from generation.models import Job, JobKind, JobStatus
    from projects.models import Activity
    from recommend.embeddings import embed_missing
    from recommend.services import like_set
    from rights.models import Owner, RegistrationMode, Work, WorkStatus
    from tests.accounts.factories import UserFactory
    from tests.projects.factories import project_with_team
    from tests.recommend.gallery_data import publish, register

    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team(name="Lantern Bay", description="Six scenes of a harbour at night.")
    rows = [("Lanterns on the bay", ["ocean"]), ("Old oaks", ["forest"]), ("Neon rain", ["city"]),
            ("Dunes at noon", ["desert"]), ("Deep blue", ["ocean"]), ("Mossy path", ["forest"])]
    works = [publish(team.project, team.owner, title=title, tags=tags, seed=n)
             for n, (title, tags) in enumerate(rows)]
    register(works[0].asset, team.owner)
    for fan in UserFactory.create_batch(3):
        like_set(user=fan, publication_id=works[0].public_id, liked=True)
    embed_missing()
    for status, progress, prompt in ((JobStatus.RUNNING, 64.0, "lanterns drifting over dark water, slow pan"),
                                     (JobStatus.QUEUED, 0.0, "a fishing boat leaves at dawn")):
        Job.objects.create(project=team.project, requester=team.editor, kind=JobKind.VIDEO,
                           preset="tiny-ltx-video", prompt=prompt, width=256, height=256, frames=9,
                           steps=4, guidance=3.0, seed=1, status=status, progress=progress)
    work = Work.objects.create(title="Harbour triptych", created_by=team.owner, project=team.project,
                               mime="image/png", size=100, sha256="ab" * 32, iscc="ISCC:TEST",
                               terms_sha256="0" * 64, mode=RegistrationMode.SINGLE,
                               status=WorkStatus.CONFIRMING)
    Owner.objects.create(work=work, user=team.owner, address="0x" + "1" * 40, bps=5000, position=0,
                         confirmed_at=work.created_at)
    Owner.objects.create(work=work, user=team.editor, address="0x" + "2" * 40, bps=5000, position=1)
    for verb, data in (("project.created", {}), ("project.described", {}),
                       ("project.renamed", {"name": "Lantern Bay"})):
        Activity.objects.create(project=team.project, actor=team.owner, verb=verb, data=data)
    return {"team": team}


def _check(page: Any, watcher: Watcher, name: str, ready: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
    # every image loads (the works' thumbnails come through the gallery's media view; lazy ones
    # once scrolled to)
    page.evaluate("[...document.images].forEach(img => img.scrollIntoView())")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)",
                           timeout=TIMEOUT)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_load_state("networkidle")
    # nothing sticks out sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    watcher.check(page, name)
    page.screenshot(path=str(SHOTS / f"home-{name}.png"), full_page=True)


def test_home_and_dashboard_on_desktop_and_phone(browser: Any, settings: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.e2e.helpers import log_in
    from tests.servers import AsgiServer

    SHOTS.mkdir(parents=True, exist_ok=True)
    world = _world(settings, tmp_path)
    team = world["team"]
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    contexts = []
    try:
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport)
            contexts.append(context)
            watcher = Watcher(context)
            page = context.new_page()
            response = page.goto(f"{server.url}/")
            assert response is not None and response.status == 200
            expect(page.locator("h1")).to_contain_text("Write a story together")
            expect(page.locator("#home-works .gcard")).to_have_count(6)
            _check(page, watcher, f"visitor-{size}", "#home-verify")
            # the verify form leads to /verify/ with the query
            page.fill("#home-verify-query", "ISCC:KEC4ZDRV")
            page.locator("#home-verify button[type=submit]").click()
            page.wait_for_url(re.compile(r"/verify/\?query=ISCC"))

            page.goto(f"{server.url}/no-such-page/")
            _check(page, watcher, f"404-{size}", ".error-page")

            context, page = log_in(browser, server.url, team.editor, "/", **viewport)
            contexts.append(context)
            watcher = Watcher(context)
            page.reload()
            expect(page.locator("h1")).to_contain_text("Welcome back")
            expect(page.locator("#dash-jobs progress")).to_have_count(2)
            expect(page.locator("#dash-works")).to_contain_text("Harbour triptych")
            _check(page, watcher, f"dashboard-{size}", "#dash-activity")

        context = browser.new_context(viewport=PHONE, locale="zh-CN", extra_http_headers={
            "Accept-Language": "zh-hans"})
        contexts.append(context)
        watcher = Watcher(context)
        page = context.new_page()
        page.goto(f"{server.url}/")
        _check(page, watcher, "visitor-phone-zh", "#home-verify")
    finally:
        for context in contexts:
            context.close()
        server.stop()
