"""Two people in two browser contexts: sign up, create a project, invite, accept, and the
owner's open page shows the new member's arrival live (websocket), without reloading."""

import re

import pytest

from kernel.paths import VAR_DIR

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "velvet-harbour-lantern-42"
SHOTS = VAR_DIR / "e2e"


def _sign_up(page, base: str, username: str, display_name: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=display_name]", display_name)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password2]")).locator(
        "button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))  # the dashboard; its "New project" leads to the form
    page.click("#dash-new-project")
    page.wait_for_url(re.compile(r"/projects/#new-project$"))


def test_invite_accept_and_live_activity(browser, live_server_url):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    owner_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    guest_ctx = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        owner, guest = owner_ctx.new_page(), guest_ctx.new_page()
        _sign_up(owner, live_server_url, "alice", "Alice Liddell")
        _sign_up(guest, live_server_url, "bob", "Bob Marley")

        owner.fill("input[name=name]", "Harbour Lights")
        owner.fill("textarea[name=description]", "A night-time harbour, six scenes.")
        owner.locator("form").filter(has=owner.locator("input[name=name]")).locator(
            "button[type=submit]").click()
        owner.wait_for_url(re.compile(r"/projects/\d+/$"))
        expect(owner.locator("h1")).to_contain_text("Harbour Lights")

        owner.fill("#invite-form input[name=invitee]", "bob")
        owner.select_option("#invite-form select[name=role]", "editor")
        owner.locator("#invite-form button[type=submit]").click()
        expect(owner.locator("#invitations")).to_contain_text("Bob Marley")
        # The owner's page is now connected to the project's event stream.
        expect(owner.locator("#live-status")).to_have_attribute("data-state", "open",
                                                                  timeout=10_000)
        before = owner.locator("#activity-list [data-activity-id]").count()

        guest.goto(f"{live_server_url}/projects/invitations/")
        expect(guest.locator("main")).to_contain_text("Harbour Lights")
        guest.get_by_role("button", name=re.compile("Accept", re.I)).first.click()
        guest.wait_for_url(re.compile(r"/projects/\d+/$"))
        expect(guest.locator("h1")).to_contain_text("Harbour Lights")

        # Live on the owner's page: no reload happened since `before` was counted.
        joined = owner.locator("#activity-list [data-verb='member.joined']")
        expect(joined).to_have_count(1, timeout=10_000)
        expect(joined.first).to_contain_text("Bob Marley")
        assert owner.locator("#activity-list [data-activity-id]").count() == before + 1
        owner.screenshot(path=str(SHOTS / "owner-project.png"), full_page=True)
        guest.screenshot(path=str(SHOTS / "guest-project-phone.png"), full_page=True)

        # The guest is an editor now; the member list shows them after a reload too.
        owner.reload()
        expect(owner.locator("#members")).to_contain_text("Bob Marley")
    finally:
        owner_ctx.close()
        guest_ctx.close()
