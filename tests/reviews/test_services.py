"""reviews.services and reviews.selectors: who may post, reply, edit and delete, what the text may
be, the rate limit, the threads' shape, and the signal and notifications each review makes."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from inbox.models import Kind, Notification
from kernel.errors import Conflict, NotFound, PermissionDenied, QuotaExceeded, ValidationFailed
from recommend.models import Publication, PublicationStatus, Signal, SignalKind
from recommend.services import publication_update
from recommend.training import SIGNAL_WEIGHTS
from reviews import selectors, services
from reviews.models import BODY_MAX, Review, ReviewStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import publish
from tests.reviews.helpers import post, sent

pytestmark = pytest.mark.django_db


def threads(work: Publication, viewer: Any = None) -> list[selectors.Entry]:
    roots = list(selectors.thread_roots(publication=work, viewer=viewer))
    return selectors.entries_for(roots=roots, publication=work, viewer=viewer, replies_limit=None,
                                 can_post=True)


# --- posting and replying ----------------------------------------------------------------------


def test_a_review_and_its_replies_make_a_thread(work: Publication, reader: User, team: Team) -> None:
    review = post(reader, work, "  The light!  \r\n  And the boats.  ")
    assert review.body == "The light!  \n  And the boats."  # stripped, line breaks kept
    reply = post(team.owner, work, "Thank you.", parent=review)
    answer = post(reader, work, "You're welcome.", parent=reply)  # a reply to a reply ...
    assert reply.parent_id == review.pk and reply.reply_to is None
    assert answer.parent_id == review.pk and answer.reply_to == team.owner  # ... joins the thread, @owner
    [thread] = threads(work)
    assert thread.review == review and [e.review for e in thread.replies] == [reply, answer]
    assert thread.reply_count == 2


def test_threads_come_newest_first_and_replies_oldest_first(work: Publication, reader: User) -> None:
    first, second = post(reader, work, "first"), post(UserFactory(), work, "second")
    Review.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    late, early = post(UserFactory(), work, "b", parent=first), post(UserFactory(), work, "a", parent=first)
    Review.objects.filter(pk=early.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    entries = threads(work)
    assert [e.review.pk for e in entries] == [second.pk, first.pk]
    assert [e.review.pk for e in entries[1].replies] == [early.pk, late.pk]


@pytest.mark.parametrize("status", [PublicationStatus.UNPUBLISHED, PublicationStatus.HELD,
                                    PublicationStatus.REMOVED])
def test_a_work_out_of_the_gallery_takes_no_review(work: Publication, reader: User, team: Team,
                                                   status: str) -> None:
    review = post(reader, work)
    Publication.objects.filter(pk=work.pk).update(status=status)
    for person in (reader, team.owner):  # not even its creator
        with pytest.raises(NotFound):
            post(person, work)
        with pytest.raises(NotFound):
            post(person, work, parent=review)
    assert Review.objects.count() == 1


def test_no_review_of_a_work_that_does_not_exist(reader: User, db: None) -> None:
    with pytest.raises(NotFound):
        services.review_post(user=reader, publication_id="pub_nothing", body="Hello")
    assert not Review.objects.exists()


def test_a_reply_to_a_review_of_another_work_is_refused(work: Publication, team: Team, reader: User) -> None:
    other = publish(team.project, team.owner, title="Forest", tags=["forest"], seed=5)
    elsewhere = post(reader, other)
    with pytest.raises(ValidationFailed) as refused:
        post(reader, work, "Misplaced", parent=elsewhere)
    assert "parent" in refused.value.fields
    with pytest.raises(ValidationFailed):  # nor to a review that does not exist
        services.review_post(user=reader, publication_id=work.public_id, body="x", parent=10**9)
    for bad in ("1", 0, -3, True, 2**63, 1.5):
        with pytest.raises(ValidationFailed):
            services.review_post(user=reader, publication_id=work.public_id, body="x", parent=bad)
    assert Review.objects.filter(publication=work).count() == 0


@pytest.mark.parametrize("status", [ReviewStatus.DELETED, ReviewStatus.REMOVED, ReviewStatus.HELD])
def test_no_reply_to_a_review_no_longer_shown(work: Publication, reader: User, status: str) -> None:
    review = post(reader, work)
    Review.objects.filter(pk=review.pk).update(status=status)
    with pytest.raises(Conflict):
        post(UserFactory(), work, parent=review)


@pytest.mark.parametrize(("body", "why"), [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * (BODY_MAX + 1), "2,000"), ("a\x00b", "control"),
    ("bell\x07", "control"), ("\ud800", "control"), (None, "text"), (["a"], "text"), (42, "text")])
def test_a_body_empty_too_long_or_not_plain_text_is_refused_and_nothing_written(
        work: Publication, reader: User, body: Any, why: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.review_post(user=reader, publication_id=work.public_id, body=body)
    assert why in " ".join(refused.value.fields["body"]).lower() or why in refused.value.message.lower()
    assert not Review.objects.exists() and not Signal.objects.filter(kind=SignalKind.REVIEW).exists()
    assert not Notification.objects.exists()


def test_a_body_of_the_longest_length_is_taken(work: Publication, reader: User) -> None:
    assert len(post(reader, work, "é" * BODY_MAX).body) == BODY_MAX


def test_only_signed_in_active_accounts_post(work: Publication, reader: User) -> None:
    from django.contrib.auth.models import AnonymousUser

    for nobody in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.review_post(user=nobody, publication_id=work.public_id, body="Hi")
    reader.is_active = False
    reader.save()
    with pytest.raises(PermissionDenied) as refused:
        post(reader, work)
    assert refused.value.code == "inactive"
    assert not Review.objects.exists()


# --- the rate limit ----------------------------------------------------------------------------


def test_posting_is_limited_per_minute(work: Publication, reader: User, settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 3
    for n in range(3):
        post(reader, work, f"review {n}")
    with pytest.raises(QuotaExceeded) as refused:
        post(reader, work, "one too many")
    assert refused.value.status == 429 and refused.value.code == "throttled"
    assert "minute" in refused.value.message
    assert Review.objects.count() == 3
    post(UserFactory(), work, "someone else is not held back")
    Review.objects.filter(author=reader).update(created_at=timezone.now() - timedelta(seconds=61))
    post(reader, work, "a minute later")


def test_posting_is_limited_per_day_deleted_ones_counted(work: Publication, reader: User,
                                                         settings: Any) -> None:
    settings.REVIEWS_PER_DAY = 2
    first = post(reader, work, "one")
    services.review_delete(user=reader, review_id=first.pk)  # deleting does not give it back
    Review.objects.filter(author=reader).update(created_at=timezone.now() - timedelta(hours=2))
    reply_to = post(UserFactory(), work, "theirs")
    post(reader, work, "two", parent=reply_to)  # replies count too
    with pytest.raises(QuotaExceeded) as refused:
        post(reader, work, "three")
    assert "24 hours" in refused.value.message
    Review.objects.filter(author=reader).update(created_at=timezone.now() - timedelta(hours=25))
    post(reader, work, "tomorrow")


# --- editing and deleting ----------------------------------------------------------------------


def test_only_the_author_edits_and_edited_at_is_kept(work: Publication, reader: User, team: Team,
                                                     staff: User) -> None:
    review = post(reader, work, "Frist!")
    for stranger in (team.owner, UserFactory(), staff):  # the creator and moderators neither
        with pytest.raises(PermissionDenied):
            services.review_edit(user=stranger, review_id=review.pk, body="Defaced")
    review.refresh_from_db()
    assert review.body == "Frist!" and review.edited_at is None
    services.review_edit(user=reader, review_id=review.pk, body="First!")
    review.refresh_from_db()
    assert review.body == "First!" and review.edited_at is not None
    with pytest.raises(ValidationFailed):
        services.review_edit(user=reader, review_id=review.pk, body=" ")
    review.refresh_from_db()
    assert review.body == "First!"


def test_edits_end_after_the_window_and_with_the_review(work: Publication, reader: User,
                                                        settings: Any) -> None:
    settings.REVIEWS_EDIT_WINDOW_S = 3600
    review = post(reader, work)
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(Conflict) as refused:
        services.review_edit(user=reader, review_id=review.pk, body="Later")
    assert refused.value.code == "edit_window"
    fresh = post(reader, work, "held one")
    Review.objects.filter(pk=fresh.pk).update(status=ReviewStatus.HELD)
    with pytest.raises(Conflict):
        services.review_edit(user=reader, review_id=fresh.pk, body="Sneaky change while it is reviewed")
    with pytest.raises(NotFound):
        services.review_edit(user=reader, review_id=2**70, body="x")


def test_a_stranger_cannot_delete_others_reviews(work: Publication, reader: User, staff: User) -> None:
    review = post(reader, work)
    with pytest.raises(PermissionDenied):
        services.review_delete(user=UserFactory(), review_id=review.pk)
    with pytest.raises(PermissionDenied) as refused:  # a moderator removes, recorded, instead
        services.review_delete(user=staff, review_id=review.pk)
    assert refused.value.code == "use_moderation"
    review.refresh_from_db()
    assert review.status == ReviewStatus.PUBLISHED


def test_a_deleted_review_keeps_its_place_above_its_replies(work: Publication, reader: User) -> None:
    review = post(reader, work, "Something I regret")
    alone = post(reader, work, "Nobody answered this")
    reply = post(UserFactory(), work, "An answer", parent=review)
    services.review_delete(user=reader, review_id=review.pk)
    services.review_delete(user=reader, review_id=alone.pk)
    services.review_delete(user=reader, review_id=alone.pk)  # a repeat is harmless
    review.refresh_from_db()
    assert review.status == ReviewStatus.DELETED and review.body == "" and review.deleted_by == reader
    [thread] = threads(work, UserFactory())  # the lone deleted one is gone
    assert thread.review == review and not thread.readable
    assert thread.placeholder == "Deleted by its author."
    assert [e.review for e in thread.replies] == [reply]
    post(UserFactory(), work, "The thread goes on", parent=reply)


def test_the_works_creator_may_remove_reviews_on_their_work(work: Publication, reader: User,
                                                            team: Team) -> None:
    review = post(reader, work, "Rude words")
    elsewhere_team = project_with_team()
    other = publish(elsewhere_team.project, elsewhere_team.owner, title="Elsewhere", tags=["city"], seed=9)
    elsewhere = post(reader, other)
    with pytest.raises(PermissionDenied):  # only on their own work
        services.review_delete(user=team.owner, review_id=elsewhere.pk)
    services.review_delete(user=team.owner, review_id=review.pk)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DELETED and review.body == "Rude words"  # kept for moderators
    assert review.deleted_by == team.owner
    assert threads(work) == []  # no replies: left out
    post(UserFactory(), work, "A reply to what?", parent=Review.objects.create(
        publication=work, author=reader, body="Another"))
    answered = Review.objects.get(body="Another")
    services.review_delete(user=team.owner, review_id=answered.pk)
    [thread] = threads(work)
    assert thread.placeholder == "Removed by the work's creator."


# --- what a viewer sees --------------------------------------------------------------------------


def test_a_held_review_is_seen_by_its_author_and_moderators_only(work: Publication, reader: User,
                                                                 staff: User) -> None:
    review = post(reader, work, "Contested")
    Review.objects.filter(pk=review.pk).update(status=ReviewStatus.HELD)
    assert [e.readable for e in threads(work, reader)] == [True]
    assert [e.readable for e in threads(work, staff)] == [True]
    assert threads(work, UserFactory()) == [] and threads(work, None) == []
    with pytest.raises(NotFound):
        selectors.review_get(review_id=review.pk, viewer=None)


def test_the_viewers_actions(work: Publication, reader: User, team: Team) -> None:
    review = post(reader, work)
    [mine] = threads(work, reader)
    assert (mine.can_edit, mine.can_delete, mine.can_report) == (True, True, False)
    [theirs] = threads(work, UserFactory())
    assert (theirs.can_edit, theirs.can_delete, theirs.can_report) == (False, False, True)
    [creators] = threads(work, team.owner)
    assert (creators.can_edit, creators.can_delete, creators.can_report) == (False, True, True)
    services.review_report(user=team.owner, review_id=review.pk, reason="spam")
    [creators] = threads(work, team.owner)
    assert creators.reported and not creators.can_report


def test_a_page_of_threads_takes_the_same_queries_with_few_or_many(work: Publication, reader: User,
                                                                  django_assert_num_queries: Any,
                                                                  settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 1000

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            roots = list(selectors.thread_roots(publication=work, viewer=reader)[:20])
            selectors.entries_for(roots=roots, publication=work, viewer=reader,
                                  replies_limit=selectors.REPLIES_SHOWN, can_post=True)
        return len(queries)

    root = post(UserFactory(), work, "one")
    post(UserFactory(), work, "reply", parent=root)
    few = count()
    for n in range(12):
        root = post(UserFactory(), work, f"thread {n}")
        for m in range(7):
            post(UserFactory(), work, f"reply {m}", parent=root)
    assert count() == few
    roots = list(selectors.thread_roots(publication=work, viewer=reader)[:20])
    entries = selectors.entries_for(roots=roots, publication=work, viewer=reader,
                                    replies_limit=selectors.REPLIES_SHOWN, can_post=True)
    assert all(len(e.replies) <= selectors.REPLIES_SHOWN for e in entries)
    assert entries[0].reply_count == 7


# --- signals and notifications ---------------------------------------------------------------


def test_each_review_is_a_signal_on_the_work(work: Publication, reader: User, team: Team) -> None:
    review = post(reader, work)
    post(reader, work, "and more", parent=review)
    post(team.owner, work, "the creator's own reply", parent=review)  # teaches the feed nothing
    signals = list(Signal.objects.filter(kind=SignalKind.REVIEW).values_list("user_id", "publication_id"))
    assert signals == [(reader.pk, work.pk), (reader.pk, work.pk)]
    assert SIGNAL_WEIGHTS[SignalKind.REVIEW] > 0


def test_a_review_notifies_the_creator_and_a_reply_whom_it_answers(
        work: Publication, reader: User, team: Team, django_capture_on_commit_callbacks: Any) -> None:
    other = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        review = post(reader, work, "Lovely " * 40)
    with django_capture_on_commit_callbacks(execute=True):
        reply = post(other, work, "Agreed", parent=review)
    with django_capture_on_commit_callbacks(execute=True):
        post(team.owner, work, "Thanks both", parent=reply)  # answers `other`, not the thread's author
    with django_capture_on_commit_callbacks(execute=True):
        post(team.owner, work, "My own note")  # the creator on their work: nobody to tell
    assert sent() == [(team.owner, Kind.REVIEW, reader), (reader, Kind.REVIEW_REPLY, other),
                      (other, Kind.REVIEW_REPLY, team.owner)]
    first = Notification.objects.order_by("id").first()
    assert first.params["work"] == work.title and first.params["excerpt"].endswith("…")
    assert first.link == f"/gallery/reviews/{review.pk}/#review-{review.pk}"


def test_nothing_is_notified_when_the_post_is_refused(
        work: Publication, reader: User, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 0
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(QuotaExceeded):
        post(reader, work)
    assert sent() == [] and not Signal.objects.filter(kind=SignalKind.REVIEW).exists()


def test_unpublishing_keeps_the_reviews_for_later(work: Publication, reader: User, team: Team) -> None:
    post(reader, work)
    publication_update(publication_id=work.public_id, user=team.owner, status=PublicationStatus.UNPUBLISHED)
    publication_update(publication_id=work.public_id, user=team.owner, status=PublicationStatus.PUBLISHED)
    assert len(threads(work)) == 1
