"""A newcomer's first hour, in a real browser against a real server, worker and chain: from the
public home to sign-up, the welcome's tags, a liked work, a project, a render with Storyloom Tiny,
a registration that a co-owner confirms from the notification in her inbox (the chain then
registers it and the newcomer's badge says so, live), and a publication in the gallery. No page on
the way shows anything internal (a path, a command, an exception, a template's placeholder).

With README_SHOTS=1 the three pictures in the README (docs/screenshots/) are taken again."""

import os
import re
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from kernel.paths import BASE_DIR, VAR_DIR
from recommend.embeddings import embed_missing
from recommend.models import Publication
from rights import keys
from rights.models import Work, WorkStatus
from tests.accounts.factories import UserFactory
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish
from tests.rights.helpers import DevChain, platform_on_chain
from tests.servers import AsgiServer, CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
README_SHOTS = BASE_DIR / "docs" / "screenshots"
TIMEOUT = 15_000
RENDER_TIMEOUT = 120_000  # the worker assembles Storyloom Tiny on its first render
CHAIN_TIMEOUT = 60_000
PASSWORD = "lantern-over-the-bay-7"
# What a person must never read on a page: a traceback or an exception's name, a server path or
# a Python file, a command or an environment variable, a template's unfilled placeholder.
INTERNAL = re.compile(r"Traceback|\b\w+(Error|Exception)\b|\.py\b|/var/|/tmp/|" + re.escape(str(BASE_DIR))
                      + r"|manage\.py|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\{\{|\{%|%\(\w+\)s|\bNone\b")
GALLERY = (("Waves at dusk", "ocean"), ("A lighthouse beam", "ocean"), ("Tide pools", "ocean"),
           ("Pines in fog", "forest"), ("A mossy path", "forest"), ("Neon rain", "city"))


def _clean(page: Any, where: str) -> None:
    text = page.locator("body").inner_text()
    found = INTERNAL.search(text)
    if found is not None:
        context = text[max(0, found.start() - 80):found.end() + 80]
        raise AssertionError(f"{where} shows {found.group(0)!r}: …{context}…")


def _shot(page: Any, name: str, *, readme: bool = False) -> None:
    page.screenshot(path=str(SHOTS / f"newcomer-{name}.png"), full_page=not readme)
    if readme and os.environ.get("README_SHOTS"):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOTS / f"{name}.png"))


def test_a_newcomer_goes_from_the_home_page_to_a_registered_published_work(
        browser: Any, anvil: DevChain, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    # The test process, the server and the worker share the chain, the media and the models.
    shared = platform_on_chain(settings, tmp_path, anvil.url)
    studio = project_with_team(name="Sea studio")
    for seed, (title, tag) in enumerate(GALLERY, start=1):
        publish(studio.project, studio.owner, title=title, tags=[tag], seed=seed)
    embed_missing()
    grace: User = UserFactory(username="grace", display_name="Grace Hopper")  # the co-owner to be

    server = AsgiServer.start(**shared)
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="default,gpu,chain", **shared)
    base = server.url
    contexts: list[Any] = []
    try:
        # The public home: what Storyloom is, the gallery's works, sign-up.
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.goto(base + "/")
        expect(page.locator("#home-title")).to_be_visible()
        expect(page.locator("#home-works .gcard")).to_have_count(len(GALLERY))
        _clean(page, "the home page")
        _shot(page, "home", readme=True)

        page.click("#home-signup")
        page.fill("input[name=username]", "nadia")
        page.fill("input[name=email]", "nadia@example.com")
        page.fill("input[name=display_name]", "Nadia Boulanger")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.locator("form").filter(has=page.locator("input[name=password2]")).locator(
            "button[type=submit]").click()
        page.wait_for_url(re.compile(r"/$"))
        expect(page.locator("#dash-new-project")).to_be_visible()
        _clean(page, "the dashboard")

        # The gallery's first visit: the welcome offers tags; she picks #ocean, then likes a work.
        page.goto(base + "/gallery/")
        page.wait_for_url(re.compile(r"/gallery/welcome/$"))
        page.locator(".tag-chip", has_text="#ocean").click()
        _clean(page, "the welcome page")
        page.get_by_role("button", name="Show me my gallery").click()
        page.wait_for_url(re.compile(r"/gallery/$"))
        first = page.locator("#feed-grid .gcard").first
        expect(first).to_be_visible()
        liked = first.get_attribute("data-id")
        like = first.locator("[data-action=like]")
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true")
        _clean(page, "the feed")
        # Once the server has the like, a note says where liked works go.
        page.locator("#gallery-toast").get_by_role("link", name="Open Liked").click()
        page.wait_for_url(re.compile(r"/gallery/liked/$"))
        expect(page.locator(f".gcard[data-id='{liked}']")).to_be_visible()

        # Her first project, and a render in it.
        page.goto(base + "/")
        page.click("#dash-new-project")
        page.fill("input[name=name]", "Lantern Bay")
        page.locator("form").filter(has=page.locator("input[name=name]")).locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/projects/\d+/$"))
        project_url = page.url
        form = page.locator("#generate-form")
        expect(form.locator("select[name=preset]")).to_have_value("storyloom-tiny")
        form.locator("textarea[name=prompt]").fill("A yellow square moves to the right on a dark background")
        form.locator("button[type=submit]").click()
        row = page.locator("#job-list .job").first
        expect(row).to_have_attribute("data-status", "succeeded", timeout=RENDER_TIMEOUT)
        tile = page.locator("#asset-grid [data-asset-id]")
        expect(tile).to_have_count(1, timeout=TIMEOUT)
        _clean(page, "the project page")
        page.locator("#job-list").evaluate("queue => queue.scrollIntoView({block: 'center'})")
        _shot(page, "project", readme=True)

        # Registered with Grace as a co-owner (40 %), from the media library.
        tile.first.click()
        page.locator("#asset-dialog #asset-register").click()
        page.wait_for_url(re.compile(r"/works/new/\?asset=\d+$"))
        page.fill("input[name=title]", "Yellow square at night")
        page.get_by_label("CC BY 4.0", exact=False).first.check()
        _clean(page, "the register form")
        page.get_by_role("button", name="Create the draft").click()
        page.wait_for_url(re.compile(r"/works/work_[0-9a-f]+/$"))
        certificate = page.url
        rows = page.locator("#owners-form .owners-row:not(.owners-row--head)")
        rows.nth(0).locator("input[name$=-bps]").fill("6000")
        rows.nth(1).locator("input[name$=-who]").fill("@grace")
        rows.nth(1).locator("input[name$=-bps]").fill("4000")
        page.get_by_role("button", name="Save the owners").click()
        expect(page.locator(".message--success")).to_contain_text("Owners and shares saved")
        page.get_by_role("button", name="Ask co-owners and register").click()
        expect(page.locator("#work-status")).to_have_attribute("data-status", "confirming")
        _clean(page, "the draft")
        badge = page.locator("#inbox-badge")
        unread_before = int(badge.get_attribute("data-count") or 0)

        # Grace finds the request in her inbox and confirms from it.
        grace_context, grace_page = log_in(browser, base, grace, "/")
        contexts.append(grace_context)
        expect(grace_page.locator("#inbox-badge")).to_have_text("1")
        grace_page.click("#inbox-link")
        request = grace_page.locator(".notice[data-kind='coowner_request']")
        expect(request).to_contain_text("Nadia Boulanger")
        expect(request).to_contain_text("Yellow square at night")
        _clean(grace_page, "the inbox")
        request.locator(".notice__link").click()
        grace_page.wait_for_url(certificate)
        # Read by opening it. (Checked before she confirms: once she has, the registration's own
        # notice may reach her at any moment.)
        expect(grace_page.locator("#inbox-badge")).to_be_hidden()
        confirm = grace_page.locator("#confirm")
        expect(confirm).to_be_visible()
        confirm.get_by_role("button").click()
        expect(grace_page.locator(".message--success")).to_be_visible()

        # The worker registers it on the chain; Nadia's open page hears of it, live.
        expect(badge).not_to_have_attribute("data-count", str(unread_before), timeout=CHAIN_TIMEOUT)
        page.goto(certificate)
        expect(page.locator("#work-status")).to_have_attribute("data-status", "registered",
                                                               timeout=CHAIN_TIMEOUT)
        work = Work.objects.get(title="Yellow square at night")
        assert work.status == WorkStatus.REGISTERED and work.owners.count() == 2
        _clean(page, "the certificate")
        _shot(page, "certificate", readme=True)

        # Published to the gallery from the media library.
        page.goto(project_url)
        page.locator("#asset-grid [data-asset-id]").first.click()
        page.locator("#asset-dialog #asset-publish").click()
        page.wait_for_url(re.compile(r"/publish/\d+/$"))
        page.fill("input[name=title]", "Yellow square at night")
        page.fill("input[name=tags]", "night shapes")
        _clean(page, "the publish form")
        page.get_by_role("button", name="Publish", exact=True).click()
        page.wait_for_url(re.compile(r"/gallery/works/pub_[0-9a-f]+/$"))
        expect(page.locator("#work-title")).to_have_text("Yellow square at night")
        _clean(page, "the published work")
        publication = Publication.objects.get(creator__username="nadia")
        assert publication.asset_id == work.asset_id and publication.licence == "cc-by-4.0"
    finally:
        for context in contexts:
            context.close()
        worker.stop()
        server.stop()
        keys._platform_key.cache_clear()
