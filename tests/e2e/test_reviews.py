"""Reviews in a real browser, against a real server: a reader posts a review under a work with the
page's plain form, and the work's creator answers it from the thread under the work; the thread
under the work and on its own page, with their forms, have no serious accessibility violation."""

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from reviews.models import Review
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish
from tests.servers import AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _violations(browser: Any, base: str, user: User, paths: list[str]) -> dict[str, list[str]]:
    """axe-core's serious and critical violations on each page, for `user` (its script is injected:
    this context bypasses the CSP)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.locator("form").filter(has=page.locator("input[name=password]")).locator(
            "button[type=submit]").click()
        page.wait_for_load_state()
        found = {}
        for path in paths:
            page.goto(base + path, wait_until="load")
            page.locator("details.review__reply").first.evaluate("details => { details.open = true; }")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            found[path] = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                           for v in result["violations"] if v["impact"] in {"serious", "critical"}]
        return found
    finally:
        context.close()


def test_a_review_and_a_reply_on_the_work_page(browser: Any, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team(name="Harbour studio")
    work = publish(team.project, team.owner, title="Harbour at dawn", tags=["ocean"])
    reader: User = UserFactory()
    url = f"/gallery/works/{work.public_id}/"
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    contexts = []
    try:
        context, page = log_in(browser, server.url, reader, url)
        contexts.append(context)
        expect(page.locator("#reviews-empty")).to_be_visible()
        page.get_by_label("Your review").fill("The light on the water is lovely.")
        page.get_by_role("button", name="Post the review").click()
        page.wait_for_url(re.compile(r"#review-\d+$"))
        review = Review.objects.get()
        article = page.locator(f"#review-{review.pk}")
        expect(article).to_contain_text("The light on the water is lovely.")
        expect(page.locator(".messages")).to_contain_text("Your review is posted.")

        context, page = log_in(browser, server.url, team.owner, url)
        contexts.append(context)
        article = page.locator(f"#review-{review.pk}")
        article.get_by_text("Reply", exact=True).click()  # a <details>: no script needed
        article.get_by_label(f"Your reply to {reader.name}").fill("Thank you, it was six in the morning.")
        article.get_by_role("button", name="Post the reply").click()
        page.wait_for_url(re.compile(rf"/gallery/reviews/{review.pk}/#review-\d+$"))
        reply = Review.objects.get(parent=review)
        expect(page.locator(f"#review-{reply.pk}")).to_contain_text("Thank you, it was six in the morning.")
        expect(page.locator(f"#review-{reply.pk} .badge")).to_have_text("creator")
        page.goto(f"{server.url}{url}")
        expect(page.locator("#reviews-heading")).to_contain_text("(2)")
        if AXE.exists():
            found = _violations(browser, server.url, reader, [url, f"/gallery/reviews/{review.pk}/"])
            assert found == {url: [], f"/gallery/reviews/{review.pk}/": []}
    finally:
        for context in contexts:
            context.close()
        server.stop()
