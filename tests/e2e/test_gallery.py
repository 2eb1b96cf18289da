"""The gallery in a real browser, against a real server: thirty published works by two creators
(#ocean, #forest, #city, with real images and real MiniLM embeddings), and a viewer who skips the
welcome, reads why a work is shown, scrolls to a second page, likes #ocean works, hides one work and
opens another; the feed that follows has more #ocean works and never the hidden one, and the page
reported what it showed (impressions, a view with its dwell time) next to the likes and the hide."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from kernel.paths import VAR_DIR
from recommend.embeddings import embed_missing
from recommend.models import Publication, Signal, SignalKind
from tests.accounts.factories import UserFactory
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import image_asset, publish
from tests.servers import AsgiServer
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
TIMEOUT = 10_000

SCENES = {
    "ocean": ["waves breaking on a rocky shore", "a sailboat far out on a calm sea", "surfers at sunrise",
              "a lighthouse over a stormy ocean", "dolphins leaping through blue water", "a coral reef",
              "tide pools at low tide", "a whale's tail above the sea", "foam on black sand beach",
              "a harbour with fishing boats", "the open ocean under stars", "seagulls over the surf"],
    "forest": ["sunlight through tall pines", "a mossy path between old oaks", "a deer in a misty wood",
               "autumn leaves on the forest floor", "a stream under ferns", "a treehouse in the forest",
               "mushrooms on a fallen log", "snow on fir trees", "an owl in a birch forest"],
    "city": ["neon signs in the rain at night", "a tram crossing a busy street", "skyscrapers at dusk",
             "a rooftop garden in the city", "traffic lights over a crowded crossing", "a subway platform",
             "street food stalls at night", "a bridge full of commuters", "graffiti on a city wall"],
}


def _gallery(tmp_path: Path, settings: Any) -> dict[str, str]:
    """Thirty works by two creators (public id -> their theme's tag); #forest and #city ones start more
    popular than #ocean ones."""
    settings.MEDIA_ROOT = tmp_path / "media"
    sea, land = project_with_team(name="Sea studio"), project_with_team(name="Land studio")
    tags = {}
    seed = 0
    for tag, scenes in SCENES.items():
        for n, scene in enumerate(scenes):
            team = sea if n % 2 == 0 else land
            seed += 1
            work = publish(team.project, team.owner, title=scene.capitalize(), tags=[tag, "still"], seed=seed,
                           prompt=f"{scene}, {tag}, cinematic still")
            if tag != "ocean":
                Publication.objects.filter(pk=work.pk).update(likes=4 + n % 5, views=40)
            tags[work.public_id] = tag
    assert embed_missing() == 30
    return tags


def _shown(page: Any, tags: dict[str, str]) -> list[tuple[str, str]]:
    ids = page.eval_on_selector_all("#feed-grid .gcard[data-id]", "cards => cards.map(c => c.dataset.id)")
    return [(public_id, tags[public_id]) for public_id in ids]


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    wait_until(check, timeout=timeout, interval=0.2, message=f"timed out waiting for {what}")


def test_a_viewer_steers_the_feed(browser: Any, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    tags = _gallery(tmp_path, settings)
    viewer: User = UserFactory()
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    context = None
    try:
        # The first visit: the welcome offers the popular tags; the viewer skips it. The page's
        # clock is Playwright's: time flows as usual, and the test moves it on where the page's
        # own timers (impressions after a second in view, a view's dwell time) are what it waits for.
        context, page = log_in(browser, server.url, viewer, "/gallery/welcome/",
                               before=lambda page: page.clock.install())
        expect(page.locator(".tag-chip", has_text="#ocean")).to_be_visible()
        page.screenshot(path=str(SHOTS / "gallery-welcome.png"), full_page=True)
        page.get_by_role("button", name="Skip for now").click()
        page.wait_for_url(re.compile(r"/gallery/$"))
        cards = page.locator("#feed-grid .gcard")
        expect(cards).to_have_count(20)
        expect(cards.first.locator(".gcard__image")).to_have_js_property("complete", True)
        before = _shown(page, tags)
        ocean_before = sum(1 for _id, tag in before if tag == "ocean")

        # Why this? A popover with the reason, closed with Escape (focus back on its button).
        why = cards.first.get_by_role("button", name="Why this?")
        why.click()
        expect(why).to_have_attribute("aria-expanded", "true")
        reason = cards.first.locator(".gcard__reason")
        expect(reason).to_be_visible()
        expect(reason).to_contain_text(re.compile(r"Popular|New on Storyloom|Something different"))
        page.screenshot(path=str(SHOTS / "gallery-why-this.png"))
        page.keyboard.press("Escape")
        expect(reason).to_be_hidden()
        expect(why).to_be_focused()
        expect(why).to_have_attribute("aria-expanded", "false")
        page.clock.run_for(1500)  # the first row has been seen (IMPRESSION_MS): impressions

        # The end of the grid comes near: the second page arrives (then the end).
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        expect(cards).to_have_count(30, timeout=TIMEOUT)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        expect(page.locator("#feed-end")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator("#feed-load-more")).to_be_hidden()
        assert len({public_id for public_id, _tag in _shown(page, tags)}) == 30

        # Like four #ocean works, on their cards.
        liked = [public_id for public_id, tag in _shown(page, tags) if tag == "ocean"][:4]
        for public_id in liked:
            card = page.locator(f".gcard[data-id='{public_id}']")
            card.scroll_into_view_if_needed()
            like = card.locator("[data-action=like]")
            like.click()
            expect(like).to_have_attribute("aria-pressed", "true")
            expect(like.locator(".gcard__count")).to_have_text("1")

        # Hide a #forest work from its menu: gone at once.
        hidden = next(public_id for public_id, tag in _shown(page, tags) if tag == "forest")
        card = page.locator(f".gcard[data-id='{hidden}']")
        card.scroll_into_view_if_needed()
        card.locator("[data-action=menu]").click()
        menu = card.get_by_role("menu")
        expect(menu).to_be_visible()
        expect(menu.get_by_role("menuitem", name="Share")).to_be_focused()  # walked with the keys
        page.keyboard.press("ArrowDown")
        expect(menu.get_by_role("menuitem", name="Hide")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(f".gcard[data-id='{hidden}']")).to_have_count(0)
        expect(page.locator("#gallery-toast")).to_contain_text("Hidden: you will not see this work again.")
        expect(cards).to_have_count(29)

        # Report a #city work: a reason is needed; then it is gone too.
        reported = next(public_id for public_id, tag in _shown(page, tags) if tag == "city")
        card = page.locator(f".gcard[data-id='{reported}']")
        card.locator("[data-action=menu]").click()
        card.get_by_role("menuitem", name="Report…").click()
        dialog = page.locator("#report-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Send the report").click()
        expect(dialog.locator("#report-error")).to_have_text("Choose a reason.")
        dialog.get_by_label("Spam").check()
        dialog.locator("textarea[name=note]").fill("The same picture, posted again and again.")
        dialog.get_by_role("button", name="Send the report").click()
        expect(dialog).to_be_hidden()
        expect(page.locator(f".gcard[data-id='{reported}']")).to_have_count(0)
        expect(page.locator("#gallery-toast")).to_contain_text("Thank you for the report")

        # Open a work from the feed, watch it a moment and come back: a view with its dwell time.
        opened = next(public_id for public_id, tag in _shown(page, tags)
                      if tag == "city" and public_id != reported)
        page.locator(f".gcard[data-id='{opened}'] .gcard__link").click()
        page.wait_for_url(re.compile(rf"/gallery/works/{opened}/$"))
        expect(page.locator("#work-title")).to_be_visible()
        page.get_by_role("button", name="Share").click()
        expect(page.locator("#gallery-toast")).to_contain_text(re.compile(r"Link copied|Copy this link"))
        page.clock.run_for(1300)  # watched for over MIN_DWELL_MS
        page.screenshot(path=str(SHOTS / "gallery-work.png"), full_page=True)
        page.go_back()
        page.wait_for_url(re.compile(r"/gallery/$"))

        # A new feed: more #ocean works on top, never the hidden one nor what was liked.
        page.reload()
        expect(cards).to_have_count(20)
        after = _shown(page, tags)
        ocean_after = sum(1 for _id, tag in after if tag == "ocean")
        assert ocean_after > ocean_before, (before, after)
        assert not {hidden, reported, *liked} & {public_id for public_id, _tag in after}
        because = page.locator(".gcard__reason-text", has_text="Because you liked")
        expect(cards.filter(has=because)).not_to_have_count(0)
        page.clock.run_for(1200)  # the new feed's first row has been seen too
        page.screenshot(path=str(SHOTS / "gallery-feed.png"), full_page=True)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        expect(page.locator("#feed-end")).to_be_visible(timeout=TIMEOUT)
        assert not {hidden, reported} & {public_id for public_id, _tag in _shown(page, tags)}
        page.reload()  # the page is left: what it saw goes out by beacon

        # The hidden work is listed in the preferences, to show it again.
        page.goto(f"{server.url}/gallery/preferences/")
        expect(page.locator(f"#hidden [data-hidden-id='{hidden}']")).to_be_visible()
        page.screenshot(path=str(SHOTS / "gallery-preferences.png"), full_page=True)

        # A creator's page: follow them.
        creator = Publication.objects.get(public_id=liked[0]).creator
        page.goto(f"{server.url}/gallery/creators/{creator.username}/")
        expect(page.locator("#creator-works .gcard")).to_have_count(creator.publications.count())
        follow = page.locator(f"button[data-follow='{creator.username}']")
        follow.click()
        expect(follow).to_have_attribute("aria-pressed", "true")
        expect(follow).to_have_text("Following")
        expect(page.locator("#creator-followers")).to_have_text("1")
        _wait_for(lambda: creator.followers.filter(follower=viewer).exists(), "the follow")
        page.screenshot(path=str(SHOTS / "gallery-creator.png"), full_page=True)

        # Logged out, on a phone: the feed, and a like asks to log in.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        stranger = phone.new_page()
        stranger.goto(f"{server.url}/gallery/")
        expect(stranger.locator("#feed-grid .gcard")).to_have_count(20)
        assert stranger.evaluate("document.documentElement.scrollWidth") <= 390
        stranger.locator("#feed-grid .gcard [data-action=like]").first.click()
        toast = stranger.locator("#gallery-toast")
        expect(toast).to_contain_text("Log in to like")
        expect(toast.get_by_role("link", name="Log in")).to_have_attribute("href",
                                                                           "/accounts/login/?next=/gallery/")
        stranger.screenshot(path=str(SHOTS / "gallery-feed-phone.png"))
        phone.close()

        # What the page and the buttons recorded.
        mine = Signal.objects.filter(user=viewer)
        _wait_for(lambda: mine.filter(kind=SignalKind.IMPRESSION).count() >= 8, "impressions")
        _wait_for(lambda: mine.filter(kind=SignalKind.VIEW).exists(), "a view")
        impressions = list(mine.filter(kind=SignalKind.IMPRESSION))
        assert all(s.feed and s.position is not None and s.reason for s in impressions)
        assert len({s.publication_id for s in impressions if s.feed == impressions[0].feed}) == len(
            [s for s in impressions if s.feed == impressions[0].feed])  # once per card per page view
        likes = mine.filter(kind=SignalKind.LIKE)
        assert sorted(s.publication.public_id for s in likes) == sorted(liked)
        assert all(s.feed and s.position is not None for s in likes)
        hide = mine.get(kind=SignalKind.HIDE)
        assert hide.publication.public_id == hidden and hide.feed
        view = mine.filter(kind=SignalKind.VIEW).get()
        assert view.publication.public_id == opened and view.dwell_ms is not None and view.dwell_ms >= 1000
        assert view.feed and view.position is not None  # the card's place, handed to the work's page
        assert Publication.objects.get(public_id=liked[0]).likes == 1
        report = mine.get(kind=SignalKind.REPORT).publication
        assert report.public_id == reported and report.reported_by.get().reason == "spam"
        share = mine.get(kind=SignalKind.SHARE)
        assert share.publication.public_id == opened and share.feed  # from the work's page
    finally:
        if context is not None:
            context.close()
        server.stop()


def test_an_owner_publishes_from_the_media_library(browser: Any, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team(name="Harbour Lights")
    asset = image_asset(team.project, team.editor, seed=5, prompt="a harbour at dawn, fishing boats")
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    context = None
    try:
        context, page = log_in(browser, server.url, team.owner, f"/projects/{team.project.id}/")
        tile = page.locator(f"#asset-grid [data-asset-id='{asset.pk}']")
        tile.click()
        publish_link = page.locator("#asset-dialog #asset-publish")
        expect(publish_link).to_have_attribute("href", f"/projects/{team.project.id}/publish/{asset.pk}/")
        expect(page.locator("#asset-dialog #asset-published")).to_be_hidden()
        publish_link.click()
        page.wait_for_url(re.compile(rf"/publish/{asset.pk}/$"))
        expect(page.locator("input[name=title]")).to_have_value("a harbour at dawn, fishing boats")
        page.fill("input[name=title]", "Harbour at dawn")
        page.fill("input[name=tags]", "ocean harbour dawn")
        page.get_by_label("CC BY-NC 4.0").check()
        page.screenshot(path=str(SHOTS / "gallery-publish.png"), full_page=True)
        page.get_by_role("button", name="Publish", exact=True).click()
        page.wait_for_url(re.compile(r"/gallery/works/pub_[0-9a-f]+/$"))
        publication = Publication.objects.get(asset=asset)
        expect(page.locator(".message--success")).to_contain_text("“Harbour at dawn” is in the gallery.")
        expect(page.locator("#work-title")).to_have_text("Harbour at dawn")
        assert publication.licence == "cc-by-nc-4.0" and publication.creator == team.owner

        # Back in the library, the render links to its gallery page.
        page.goto(f"{server.url}/projects/{team.project.id}/#asset-{asset.pk}")
        published = page.locator("#asset-dialog #asset-published")
        expect(published).to_be_visible()
        expect(published).to_have_attribute("href", f"/gallery/works/{publication.public_id}/")
        expect(page.locator("#asset-dialog #asset-publish")).to_be_hidden()
    finally:
        if context is not None:
            context.close()
        server.stop()
