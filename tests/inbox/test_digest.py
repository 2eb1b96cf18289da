"""The e-mail digest: opted-in kinds only, to verified addresses, each notification once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from inbox import services
from inbox.models import Kind, Notification
from inbox.tasks import digests_send
from tests.accounts.factories import UserFactory
from tests.inbox.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def a_while_ago(**delta: float):
    return timezone.now() - timedelta(**delta)


@pytest.fixture
def opted_in():
    user = UserFactory()
    services.email_kinds_set(user=user, kinds=[Kind.INVITATION, Kind.REPLY])
    return user


def test_the_digest_goes_once_per_notification(opted_in):
    first = NotificationFactory(recipient=opted_in, created_at=a_while_ago(hours=1),
                                params={"actor": "Ada", "project": "Harbour"})
    assert digests_send() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [opted_in.email] and "1 new notification" in message.subject
    assert "Ada invited you to the project “Harbour”." in message.body
    assert f"/inbox/{first.pk}/open/" in message.body and "/inbox/#email" in message.body
    assert digests_send() == 0 and len(mail.outbox) == 1  # not again
    NotificationFactory(recipient=opted_in, kind=Kind.REPLY, created_at=a_while_ago(hours=1),
                        params={"actor": "Ben", "project": "Harbour", "excerpt": "yes"})
    assert digests_send() == 1 and len(mail.outbox) == 2
    assert "Ben replied" in mail.outbox[1].body and "Ada invited" not in mail.outbox[1].body


def test_the_switch_decides_what_is_mailed(opted_in):
    NotificationFactory(recipient=opted_in, kind=Kind.RENDER_FAILED, created_at=a_while_ago(hours=1),
                        params={"prompt": "x", "project": "y"})  # a kind not chosen
    NotificationFactory(recipient=UserFactory(), created_at=a_while_ago(hours=1))  # no switch at all
    assert digests_send() == 0 and mail.outbox == []
    services.email_kinds_set(user=opted_in, kinds=[Kind.RENDER_FAILED])
    assert digests_send() == 1
    services.email_kinds_set(user=opted_in, kinds=[])
    NotificationFactory(recipient=opted_in, kind=Kind.RENDER_FAILED, created_at=a_while_ago(hours=1),
                        params={"prompt": "x", "project": "y"})
    assert digests_send() == 0 and len(mail.outbox) == 1


def test_read_fresh_and_stale_notifications_are_not_mailed(opted_in):
    NotificationFactory(recipient=opted_in, read=True, created_at=a_while_ago(hours=1))
    NotificationFactory(recipient=opted_in, created_at=a_while_ago(seconds=5))  # may still be seen live
    NotificationFactory(recipient=opted_in, created_at=a_while_ago(days=30))  # before a backlog
    assert digests_send() == 0 and mail.outbox == []


def test_an_unverified_address_gets_no_digest():
    user = UserFactory(verified=False)
    services.email_kinds_set(user=user, kinds=[Kind.INVITATION])
    NotificationFactory(recipient=user, created_at=a_while_ago(hours=1))
    assert digests_send() == 0 and mail.outbox == []
    assert Notification.objects.get().emailed_at is None


def test_the_digest_is_in_the_readers_language(opted_in):
    opted_in.preferred_language = "zh-hans"
    opted_in.save(update_fields=["preferred_language"])
    NotificationFactory(recipient=opted_in, created_at=a_while_ago(hours=1))
    digests_send()
    with translation.override("zh-hans"):
        expected = translation.ngettext("%(count)s new notification on Storyloom",
                                        "%(count)s new notifications on Storyloom", 1) % {"count": 1}
    assert mail.outbox[0].subject == expected


def test_a_mail_that_fails_is_tried_again_next_time(opted_in, settings):
    NotificationFactory(recipient=opted_in, created_at=a_while_ago(hours=1))
    settings.EMAIL_BACKEND = "tests.inbox.test_digest.BrokenBackend"
    assert digests_send() == 0
    assert Notification.objects.get().emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests_send() == 1


class BrokenBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise OSError("the mail server is down")
