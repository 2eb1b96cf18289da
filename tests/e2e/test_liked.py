"""A like keeps the work where it is in the feed and says where liked works are found: the toast's
link opens the Liked list, which has it."""

from typing import Any

import pytest

from recommend.preferences import onboarding_complete
from tests.accounts.factories import UserFactory
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10_000


def test_a_liked_work_stays_in_the_feed_and_is_found_under_liked(browser: Any, live_server_url: str) -> None:
    from playwright.sync_api import expect

    team = project_with_team(name="Sea studio")
    works = [publish(team.project, team.owner, title=title, tags=["ocean"], seed=n, prompt=title)
             for n, title in enumerate(["Waves on rocks", "A calm sea", "Surf at sunrise"])]
    viewer = UserFactory()
    onboarding_complete(user=viewer, tags=[])
    context, page = log_in(browser, live_server_url, viewer, "/gallery/")
    try:
        cards = page.locator("#feed-grid .gcard")
        expect(cards).to_have_count(3, timeout=TIMEOUT)
        first = cards.first
        liked_id = first.get_attribute("data-id")
        first.locator("[data-action=like]").click()
        expect(first.locator("[data-action=like]")).to_have_attribute("aria-pressed", "true")
        toast = page.locator("#gallery-toast")
        expect(toast).to_contain_text("under Liked", timeout=TIMEOUT)
        expect(cards).to_have_count(3)  # still in this feed, in its place
        expect(cards.first).to_have_attribute("data-id", liked_id or "")
        # A second like says nothing more.
        second_id = cards.nth(1).get_attribute("data-id") or ""
        # (the button shows the like at once; the list is read after the server has it)
        with page.expect_response(lambda r: r.request.method == "POST" and second_id in r.url):
            cards.nth(1).locator("[data-action=like]").click()
        expect(cards.nth(1).locator("[data-action=like]")).to_have_attribute("aria-pressed", "true")
        toast.get_by_role("link", name="Open Liked").click()
        page.wait_for_url("**/gallery/liked/")
        liked = page.locator("#liked-works .gcard")
        expect(liked).to_have_count(2)
        expect(liked.first).to_have_attribute("data-id", second_id)  # the latest like first
        assert {w.public_id for w in works} >= {liked_id}
        # The gallery's head links here too.
        page.goto(f"{live_server_url}/gallery/")
        expect(page.locator(".gallery-head__links").get_by_role("link", name="Liked")).to_have_attribute(
            "href", "/gallery/liked/")
    finally:
        context.close()
