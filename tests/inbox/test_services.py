"""notification_send and the inbox's own writes: after commit, never to the actor, bounded."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import User
from inbox import selectors, services
from inbox.messages import MESSAGES, message_text
from inbox.models import Kind, Notification
from kernel.errors import NotFound
from tests.accounts.factories import UserFactory
from tests.inbox.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_it_is_sent_after_commit_once_per_person_and_never_to_the_actor(django_capture_on_commit_callbacks):
    actor: User = UserFactory()
    one: User = UserFactory()
    other: User = UserFactory()
    gone: User = UserFactory(is_active=False)
    recipients: list[User | int] = [one, other.pk, one, actor, gone]
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipients=recipients, kind=Kind.INVITATION,
                                   actor=actor, link="/projects/invitations/", params={"project": "Harbour"})
        assert not Notification.objects.exists()  # not before the caller's transaction commits
    rows = list(Notification.objects.order_by("recipient_id"))
    assert [row.recipient for row in rows] == [one, other]
    assert {row.actor for row in rows} == {actor}
    assert rows[0].message == MESSAGES[Kind.INVITATION]
    assert rows[0].params == {"actor": actor.name, "project": "Harbour"}


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    user: User = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.notification_send(recipients=[user], kind=Kind.RENDER_FAILED, link="/",
                                           params={"prompt": "x", "project": "y"})
                raise RuntimeError("the caller failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()


def test_a_failing_delivery_never_breaks_the_caller(django_capture_on_commit_callbacks, caplog):
    user: User = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipients=[user], kind="no-such-kind", link="/")
    assert not Notification.objects.exists()
    assert "no-such-kind" in caplog.text


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)", "/\t/evil.example", "", "x" * 600])
def test_a_link_that_is_not_a_local_path_becomes_the_inbox(django_capture_on_commit_callbacks, link):
    user: User = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipients=[user], kind=Kind.COMMENT, link=link)
    assert Notification.objects.get().link == "/inbox/"


def test_long_parameters_are_cut(django_capture_on_commit_callbacks):
    user: User = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipients=[user], kind=Kind.REGISTRATION_CONFIRMED, link="/works/",
                                   params={"work": "w" * 5000})
    assert len(Notification.objects.get().params["work"]) == services.PARAM_MAX_CHARS


def test_each_user_keeps_a_bounded_inbox_dropping_read_ones_first(settings,
                                                                  django_capture_on_commit_callbacks):
    settings.INBOX_MAX_PER_USER = 5
    user: User = UserFactory()
    neighbour: User = UserFactory()
    start = timezone.now() - timedelta(hours=1)
    old = [NotificationFactory(recipient=user, created_at=start + timedelta(minutes=i), read=i in (1, 3))
           for i in range(5)]
    NotificationFactory(recipient=neighbour)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            services.notification_send(recipients=[user], kind=Kind.RENDER_SUCCEEDED, link="/",
                                       params={"prompt": "p", "project": "q"})
    kept = set(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    assert len(kept) == 5
    assert old[1].pk not in kept and old[3].pk not in kept  # the read ones went first
    assert {old[0].pk, old[2].pk, old[4].pk} <= kept
    with django_capture_on_commit_callbacks(execute=True):  # all unread now: the oldest goes
        services.notification_send(recipients=[user], kind=Kind.RENDER_FAILED, link="/",
                                   params={"prompt": "p", "project": "q"})
    kept = set(Notification.objects.filter(recipient=user).values_list("pk", flat=True))
    assert len(kept) == 5 and old[0].pk not in kept
    assert Notification.objects.filter(recipient=neighbour).count() == 1


def test_the_periodic_prune_deletes_old_read_notifications_only(settings):
    settings.INBOX_READ_KEEP_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)
    stale = NotificationFactory(read_at=long_ago, created_at=long_ago)
    unread_old = NotificationFactory(created_at=long_ago)
    recent = NotificationFactory(read=True)
    from inbox.tasks import notifications_prune

    assert notifications_prune() == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {unread_old.pk, recent.pk}
    assert not Notification.objects.filter(pk=stale.pk).exists()


def test_only_the_recipient_marks_a_notification_read():
    mine, theirs = NotificationFactory(), NotificationFactory()
    with pytest.raises(NotFound):
        services.notification_mark_read(user=mine.recipient, notification_id=theirs.pk)
    for bad in (0, -1, 2**70):
        with pytest.raises(NotFound):
            services.notification_mark_read(user=mine.recipient, notification_id=bad)
    theirs.refresh_from_db()
    assert theirs.read_at is None
    marked = services.notification_mark_read(user=mine.recipient, notification_id=mine.pk)
    assert marked.read_at is not None
    first = marked.read_at
    assert services.notification_mark_read(user=mine.recipient, notification_id=mine.pk).read_at == first


def test_mark_all_read_is_the_users_own():
    user: User = UserFactory()
    NotificationFactory.create_batch(3, recipient=user)
    other = NotificationFactory()
    assert selectors.unread_count(user_id=user.pk) == 3
    assert services.notifications_mark_all_read(user=user) == 3
    assert selectors.unread_count(user_id=user.pk) == 0
    assert selectors.unread_count(user_id=other.recipient_id) == 1


def test_the_sentence_is_translated_when_shown_and_survives_bad_parameters():
    params = {"actor": "Ada", "project": "Harbour"}
    message = MESSAGES[Kind.INVITATION]
    assert message_text(kind=Kind.INVITATION, message=message, params=params) == (
        "Ada invited you to the project “Harbour”.")
    with translation.override("zh-hans"):
        assert message_text(kind=Kind.INVITATION, message=message, params=params) == (
            translation.gettext(message) % params)
    # Parameters that do not fill the sentence show the kind's name, not an error.
    assert message_text(kind=Kind.INVITATION, message=message, params={}) == str(Kind.INVITATION.label)


def test_email_kinds_are_checked():
    user: User = UserFactory()
    assert services.email_kinds_set(user=user, kinds=[Kind.REPLY, Kind.INVITATION, Kind.REPLY]) == [
        Kind.INVITATION, Kind.REPLY]
    assert selectors.email_kinds(user=user) == [Kind.INVITATION, Kind.REPLY]
    from kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        services.email_kinds_set(user=user, kinds=["spam"])
    assert "kinds" in caught.value.fields
