"""Reports of reviews and moderators' decisions: the works' rules (report weight, trusted
reporters, a hold on enough weight), once per person, never one's own; staff only, recorded,
two moderators at once; the author told."""

from typing import Any

import pytest

from accounts.models import User
from inbox.models import Kind, Notification
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from recommend import services as gallery
from recommend.models import Publication, PublicationStatus
from reviews import selectors, services
from reviews.models import Review, ReviewDecision, ReviewReport, ReviewStatus
from tests.accounts.factories import UserFactory
from tests.reviews.helpers import fresh_reporter, post, trusted_reporter

pytestmark = pytest.mark.django_db


def report(review: Review, who: User, reason: str = "offensive", note: str = "") -> ReviewReport:
    return services.review_report(user=who, review_id=review.pk, reason=reason, note=note)


def status(review: Review) -> str:
    review.refresh_from_db()
    return review.status


def test_enough_trusted_reports_hold_a_review_as_they_hold_a_work(work: Publication, reader: User,
                                                                   settings: Any) -> None:
    settings.RECOMMEND_HOLD_AFTER_REPORTS = 3
    settings.RECOMMEND_HOLD_WEIGHT = 3.0
    review = post(reader, work, "Something nasty")
    for _ in range(5):  # fresh accounts alone never hold it: they weigh too little
        report(review, fresh_reporter())
    report(review, trusted_reporter())
    report(review, trusted_reporter())
    assert status(review) == ReviewStatus.PUBLISHED
    report(review, trusted_reporter())
    assert status(review) == ReviewStatus.HELD
    hold = ReviewDecision.objects.get(review=review)
    assert hold.action == "hold" and hold.moderator is None and hold.status_after == ReviewStatus.HELD
    entries = {r.trusted: r.weight for r in ReviewReport.objects.filter(review=review)}
    assert entries[True] == 1.0 and entries[False] < 0.5
    # The very same rule as a work's: three trusted reports hold a work too.
    for _ in range(3):
        gallery.report(user=trusted_reporter(), publication_id=work.public_id, reason="spam")
    work.refresh_from_db()
    assert work.status == PublicationStatus.HELD


def test_the_hold_follows_the_works_settings(work: Publication, reader: User, settings: Any) -> None:
    settings.RECOMMEND_HOLD_AFTER_REPORTS = 1
    settings.RECOMMEND_HOLD_WEIGHT = 1.0
    review = post(reader, work)
    report(review, trusted_reporter())
    assert status(review) == ReviewStatus.HELD


def test_a_report_is_once_per_person_and_never_ones_own(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work)
    with pytest.raises(PermissionDenied):
        report(review, reader)
    someone = UserFactory()
    first = report(review, someone, "spam", "buy now")
    again = report(review, someone, "other", "again and again")
    assert again.pk == first.pk and ReviewReport.objects.count() == 1
    assert first.text == review.body  # what it said when reported (the author may edit later)
    report(review, team.owner)  # the work's creator may report too


def test_a_report_needs_a_reason_and_a_short_note(work: Publication, reader: User) -> None:
    review = post(reader, work)
    for reason in ("", "boring", None, ["spam"]):
        with pytest.raises(ValidationFailed) as refused:
            services.review_report(user=UserFactory(), review_id=review.pk, reason=reason)
        assert "reason" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.review_report(user=UserFactory(), review_id=review.pk, reason="spam", note="n" * 1001)
    assert "note" in refused.value.fields
    assert not ReviewReport.objects.exists()


def test_no_report_of_what_is_not_shown(work: Publication, reader: User) -> None:
    review = post(reader, work)
    services.review_delete(user=reader, review_id=review.pk)
    with pytest.raises(NotFound):
        report(review, UserFactory())
    shown = post(reader, work, "still here")
    Publication.objects.filter(pk=work.pk).update(status=PublicationStatus.REMOVED)
    with pytest.raises(NotFound):
        report(shown, UserFactory())
    with pytest.raises(NotFound):
        services.review_report(user=UserFactory(), review_id=10**12, reason="spam")
    assert not ReviewReport.objects.exists()


def test_only_staff_moderate(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work)
    report(review, UserFactory())
    for person in (None, reader, team.owner, UserFactory()):
        with pytest.raises(PermissionDenied):
            services.review_moderate(moderator=person, review_id=review.pk, action="remove")
        with pytest.raises(PermissionDenied):
            selectors.moderation_queue(user=person)
    assert status(review) == ReviewStatus.PUBLISHED and not ReviewDecision.objects.exists()


def test_removing_and_restoring_are_recorded_settle_reports_and_tell_the_author(
        work: Publication, reader: User, staff: User, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.RECOMMEND_HOLD_AFTER_REPORTS = 1
    settings.RECOMMEND_HOLD_WEIGHT = 1.0
    review = post(reader, work, "Harsh words")
    reply = post(UserFactory(), work, "Calm down", parent=review)
    report(review, trusted_reporter())
    assert [e.review for e in selectors.moderation_queue(user=staff)] == [review]
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.review_moderate(moderator=staff, review_id=review.pk, action="remove",
                                            note="Insults",
                                            last_decision=ReviewDecision.objects.get(review=review).pk)
    assert decision.status_before == ReviewStatus.HELD and decision.status_after == ReviewStatus.REMOVED
    assert status(review) == ReviewStatus.REMOVED
    assert not ReviewReport.objects.filter(resolved=False).exists()
    assert ReviewReport.objects.get().settled_by == decision
    assert selectors.moderation_queue(user=staff) == []
    note = Notification.objects.get(recipient=reader)
    assert note.kind == Kind.MODERATION and note.params["note"] == "Insults"
    # Its thread keeps its shape: the reply stays under a line saying it was removed.
    roots = list(selectors.thread_roots(publication=work, viewer=None))
    [thread] = selectors.entries_for(roots=roots, publication=work, viewer=None, replies_limit=5,
                                     can_post=True)
    assert not thread.readable and thread.placeholder == "Removed by a moderator."
    assert [e.review for e in thread.replies] == [reply]
    restored = services.review_moderate(moderator=staff, review_id=review.pk, action="restore",
                                        last_decision=decision.pk)
    assert restored.status_after == ReviewStatus.PUBLISHED and status(review) == ReviewStatus.PUBLISHED
    assert list(ReviewDecision.objects.filter(review=review).values_list("action", flat=True)
                .order_by("id")) == ["hold", "remove", "restore"]


def test_two_moderators_at_once(work: Publication, reader: User, staff: User) -> None:
    review = post(reader, work)
    report(review, UserFactory())
    other = UserFactory(is_staff=True)
    first = services.review_moderate(moderator=staff, review_id=review.pk, action="remove", last_decision=0)
    # The same moderator's double submission answers with the decision made ...
    assert services.review_moderate(moderator=staff, review_id=review.pk, action="remove",
                                    last_decision=0).pk == first.pk
    # ... another who saw the review before it is refused.
    with pytest.raises(Conflict) as refused:
        services.review_moderate(moderator=other, review_id=review.pk, action="restore", last_decision=0)
    assert refused.value.code == "decided_meanwhile"
    assert ReviewDecision.objects.count() == 1


def test_a_decision_needs_a_known_action_and_a_short_note(work: Publication, reader: User,
                                                          staff: User) -> None:
    review = post(reader, work)
    for action in ("warn", "hold", "", None):
        with pytest.raises(ValidationFailed):
            services.review_moderate(moderator=staff, review_id=review.pk, action=action)
    with pytest.raises(ValidationFailed):
        services.review_moderate(moderator=staff, review_id=review.pk, action="remove", note="n" * 2001)
    for bad in (-1, "3", True, 2**70):
        with pytest.raises(ValidationFailed):
            services.review_moderate(moderator=staff, review_id=review.pk, action="remove", last_decision=bad)
    with pytest.raises(NotFound):
        services.review_moderate(moderator=staff, review_id=2**70, action="remove")
    services.review_delete(user=reader, review_id=review.pk)
    with pytest.raises(Conflict):
        services.review_moderate(moderator=staff, review_id=review.pk, action="restore")
    assert not ReviewDecision.objects.exists()


def test_the_queue_puts_the_most_reported_first(work: Publication, reader: User, staff: User) -> None:
    quiet, loud = post(reader, work, "quiet"), post(UserFactory(), work, "loud")
    post(UserFactory(), work, "unreported")
    report(quiet, UserFactory())
    report(loud, UserFactory())
    report(loud, UserFactory())
    queue = selectors.moderation_queue(user=staff)
    assert [(e.review.body, e.open_reports) for e in queue] == [("loud", 2), ("quiet", 1)]
    assert all(e.last_decision == 0 and e.waiting_since is not None for e in queue)
