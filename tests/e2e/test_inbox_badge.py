"""The navigation's inbox badge in a real browser: it counts a new notification live, reads its
sentence out, and goes back to nothing when everything is read (templates/inbox/_nav_badge.html,
static/js/src/base/notifications.js)."""

import threading
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from inbox.models import Kind
from inbox.services import notification_send
from tests.accounts.factories import UserFactory
from tests.e2e.helpers import log_in

TIMEOUT = 15_000


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_badge_counts_live_and_clears(browser: Any, live_server_url: str) -> None:
    from playwright.sync_api import expect

    user: User = UserFactory()
    frames: list[str] = []

    def watch(page: Any) -> None:
        def opened(ws: Any) -> None:
            if ws.url.endswith("/ws/notifications"):
                ws.on("framereceived", lambda payload: frames.append(payload))

        page.on("websocket", opened)

    context, page = log_in(browser, live_server_url, user, "/projects/", before=watch)
    try:
        badge = page.locator("#inbox-badge")
        expect(badge).to_be_hidden()
        for _ in range(300):  # the socket is open once the server's first count arrived
            if frames:
                break
            page.wait_for_timeout(50)
        assert frames, "the badge's socket never opened"

        # From another thread, as a worker would: Playwright's loop runs in this one.
        def send() -> None:
            try:
                notification_send(recipients=[user], kind=Kind.INVITATION, link="/projects/invitations/",
                                  params={"actor": "Ada", "project": "Harbour"})
            finally:
                connection.close()  # this thread's own

        sender = threading.Thread(target=send)
        sender.start()
        sender.join()
        expect(badge).to_be_visible(timeout=TIMEOUT)
        expect(badge).to_have_text("1")
        expect(badge).to_have_attribute("aria-label", "1 unread notification")
        expect(page.locator("#inbox-announcer")).to_have_text("Ada invited you to the project “Harbour”.")

        page.click("#inbox-link")
        page.wait_for_url("**/inbox/")
        page.click("#inbox-read-all")
        page.wait_for_url("**/inbox/")
        expect(page.locator("#inbox-badge")).to_be_hidden(timeout=TIMEOUT)
        expect(page.locator(".notice--unread")).to_have_count(0)
    finally:
        context.close()
