"""The inbox page, the redirect that opens a notification, the e-mail switch and the nav badge."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from inbox.messages import MESSAGES
from inbox.models import EmailPreference, Kind, Notification
from tests.accounts.factories import UserFactory
from tests.inbox.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_log_in(client: Client):
    notification = NotificationFactory()
    for path in ("/inbox/", f"/inbox/{notification.pk}/open/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/inbox/read-all/").status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_page_lists_newest_first_unread_highlighted_each_opening_its_place(signed_in, user):
    now = timezone.now()
    read = NotificationFactory(recipient=user, read=True, created_at=now - timedelta(hours=2),
                               params={"actor": "Ada", "project": "Old loom"})
    unread = NotificationFactory(recipient=user, created_at=now,
                                 params={"actor": "Ben", "project": "New loom"})
    NotificationFactory(params={"actor": "Eve", "project": "Someone else's"})
    page = signed_in.get("/inbox/").content.decode()
    assert page.index("New loom") < page.index("Old loom") and "Someone else" not in page
    items = re.findall(r'<li class="notice( notice--unread)?" data-notification-id="(\d+)"', page)
    assert items == [(" notice--unread", str(unread.pk)), ("", str(read.pk))]
    assert f'href="/inbox/{unread.pk}/open/"' in page and 'id="inbox-read-all"' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither


def test_the_page_is_paginated(signed_in, user):
    NotificationFactory.create_batch(25, recipient=user)
    first = signed_in.get("/inbox/").content.decode()
    assert first.count("data-notification-id=") == 20 and "?page=2" in first
    assert signed_in.get("/inbox/?page=2").content.decode().count("data-notification-id=") == 5
    assert signed_in.get("/inbox/?page=zzz").status_code == 200


def test_opening_marks_read_and_goes_to_the_local_place(signed_in, user):
    notification = NotificationFactory(recipient=user, link="/projects/invitations/")
    response = signed_in.get(f"/inbox/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/projects/invitations/"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                  "javascript:alert(1)", "/\t/evil.example"])
def test_the_redirect_refuses_anything_but_a_local_path(signed_in, user, link):
    notification = NotificationFactory(recipient=user, link=link)  # stored directly, bypassing the send
    response = signed_in.get(f"/inbox/{notification.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_another_users_notification_does_not_open(signed_in):
    theirs = NotificationFactory()
    assert signed_in.get(f"/inbox/{theirs.pk}/open/").status_code == 404
    assert signed_in.get(f"/inbox/{2**70}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_takes_a_post(signed_in, user):
    NotificationFactory.create_batch(2, recipient=user)
    assert signed_in.get("/inbox/read-all/").status_code == 405
    assert signed_in.post("/inbox/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_the_email_switch_saves_the_chosen_kinds(signed_in, user):
    response = signed_in.post("/inbox/email/", {"kinds": ["reply", "render_failed"]})
    assert response.status_code == 302
    assert EmailPreference.objects.get(user=user).kinds == ["render_failed", "reply"]
    page = signed_in.get("/inbox/").content.decode()
    assert re.search(r'<input type="checkbox" name="kinds" value="reply"[^>]*checked', page)
    response = signed_in.post("/inbox/email/", {"kinds": ["spam"]})
    assert response.status_code == 400 and "field--error" in response.content.decode()
    assert EmailPreference.objects.get(user=user).kinds == ["render_failed", "reply"]
    signed_in.post("/inbox/email/", {})  # none: the digest is off
    assert EmailPreference.objects.get(user=user).kinds == []


def test_every_page_shows_the_badge_with_the_count_and_its_socket(signed_in, user):
    page = signed_in.get("/projects/").content.decode()
    badge = re.search(r'<span class="count-badge" id="inbox-badge"[^>]*>', page)
    assert badge and 'data-ws-path="/ws/notifications"' in badge.group(0) and " hidden" in badge.group(0)
    NotificationFactory.create_batch(3, recipient=user)
    NotificationFactory(recipient=user, read=True)
    page = signed_in.get("/projects/").content.decode()
    badge = re.search(r'<span class="count-badge" id="inbox-badge"[^>]*>(\d+)</span>', page)
    assert badge and badge.group(1) == "3" and " hidden" not in badge.group(0)


def test_anonymous_pages_have_no_badge(client: Client):
    assert 'id="inbox-badge"' not in client.get("/accounts/login/").content.decode()


def test_the_page_speaks_chinese_with_the_message_translated(signed_in, user):
    params = {"actor": "Ada", "project": "Harbour"}
    NotificationFactory(recipient=user, kind=Kind.INVITATION, params=params)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = signed_in.get("/inbox/").content.decode()
    assert '<html lang="zh-hans">' in page
    english = MESSAGES[Kind.INVITATION] % params
    with translation.override("zh-hans"):
        chinese = translation.gettext(MESSAGES[Kind.INVITATION]) % params
        heading = translation.gettext("Inbox")
    assert chinese.replace("“", "&ldquo;") in page or chinese in page
    assert f"<h1>{heading}</h1>" in page
    if chinese != english:  # (once the catalogue has the inbox's strings)
        assert "invited you" not in page
