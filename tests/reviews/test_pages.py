"""The reviews on the gallery's pages with the Django test client: the thread under a work, posting
and replying with plain forms (no script), errors back on a page with what was typed, editing,
deleting and reporting, a thread's own page, and the moderators' queue."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from recommend.models import Publication, PublicationStatus
from reviews import services
from reviews.models import BODY_MAX, Review, ReviewDecision, ReviewReport, ReviewStatus
from tests.accounts.factories import UserFactory
from tests.reviews.helpers import post

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return response.content.decode()


def as_(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def work_url(work: Publication) -> str:
    return reverse("gallery:work", args=[work.public_id])


def post_url(work: Publication) -> str:
    return reverse("reviews:post", args=[work.public_id])


def test_the_work_page_shows_its_threads_and_a_form(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work, "Lovely <b>light</b>\non the water")
    post(team.owner, work, "Thank you!", parent=review)
    page = html(as_(None).get(work_url(work)))
    assert 'id="reviews"' in page and "Reviews" in page and "(2)" in page
    assert "Lovely &lt;b&gt;light&lt;/b&gt;\non the water" in page  # plain text, escaped
    assert "Thank you!" in page and f'id="review-{review.pk}"' in page
    assert 'id="review-form"' not in page and "Log in to write a review." in page
    signed_in = html(as_(UserFactory()).get(work_url(work)))
    assert 'id="review-form"' in signed_in and f'name="parent" value="{review.pk}"' in signed_in
    assert 'name="csrfmiddlewaretoken"' in signed_in
    assert reverse("reviews:report", args=[review.pk]) in signed_in
    assert reverse("reviews:edit", args=[review.pk]) not in signed_in  # not theirs
    mine = html(as_(reader).get(work_url(work)))
    assert reverse("reviews:edit", args=[review.pk]) in mine
    assert reverse("reviews:delete", args=[review.pk]) in mine
    Review.objects.all().delete()
    assert "No reviews yet." in html(as_(None).get(work_url(work)))


def test_posting_a_review_and_a_reply_without_scripts(work: Publication, reader: User, team: Any) -> None:
    client = as_(reader, csrf=True)
    page = client.get(work_url(work))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(page)).group(1)
    answer = client.post(post_url(work), {"body": "A fine harbour.", "csrfmiddlewaretoken": token})
    review = Review.objects.get()
    assert answer.status_code == 302 and answer["Location"] == work_url(work) + f"#review-{review.pk}"
    assert review.author == reader and review.body == "A fine harbour."
    owner = as_(team.owner)
    replied = owner.post(post_url(work), {"body": "Thanks!", "parent": review.pk})
    reply = Review.objects.get(parent=review)
    assert replied.status_code == 302
    assert replied["Location"] == f"/gallery/reviews/{review.pk}/#review-{reply.pk}"
    thread = html(owner.get(replied["Location"]))
    assert "A fine harbour." in thread and "Thanks!" in thread


def test_a_form_without_its_csrf_token_is_refused(work: Publication, reader: User) -> None:
    answer = as_(reader, csrf=True).post(post_url(work), {"body": "No token"})
    assert answer.status_code == 403 and not Review.objects.exists()


def test_logged_out_visitors_are_sent_to_log_in(work: Publication) -> None:
    answer = as_(None).post(post_url(work), {"body": "Anonymous"})
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(("body", "expected"), [("   ", "This field is required."),
                                                 ("x" * (BODY_MAX + 1), "2000 characters"),
                                                 ("nul\x00byte", "Null characters are not allowed.")])
def test_a_refused_review_comes_back_with_its_error_and_text(work: Publication, reader: User, body: str,
                                                             expected: str) -> None:
    answer = as_(reader).post(post_url(work), {"body": body})
    assert answer.status_code == 400 and expected in html(answer)
    assert 'id="review-page-form"' in html(answer)
    assert not Review.objects.exists()


def test_the_rate_limit_answers_429_on_the_page_with_the_text_kept(work: Publication, reader: User,
                                                                   settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 1
    client = as_(reader)
    client.post(post_url(work), {"body": "first"})
    answer = client.post(post_url(work), {"body": "second, typed with care"})
    assert answer.status_code == 429
    assert "wait a minute" in html(answer) and "second, typed with care" in html(answer)
    assert Review.objects.count() == 1


def test_a_reply_to_a_review_of_another_work_is_refused_on_the_page(work: Publication, reader: User,
                                                                    team: Any) -> None:
    from tests.recommend.gallery_data import publish

    other = publish(team.project, team.owner, title="Other", tags=["forest"], seed=4)
    elsewhere = post(reader, other)
    answer = as_(reader).post(post_url(work), {"body": "misplaced", "parent": elsewhere.pk})
    assert answer.status_code == 400 and "no such review of this work" in html(answer)
    assert Review.objects.count() == 1


def test_no_form_and_no_review_on_a_work_out_of_the_gallery(work: Publication, reader: User,
                                                            team: Any) -> None:
    post(reader, work, "Before it left")
    Publication.objects.filter(pk=work.pk).update(status=PublicationStatus.UNPUBLISHED)
    owner_view = html(as_(team.owner).get(work_url(work)))
    assert "Before it left" in owner_view and 'id="review-form"' not in owner_view
    assert "takes no new reviews" in owner_view
    assert as_(reader).get(work_url(work)).status_code == 404
    assert as_(reader).post(post_url(work), {"body": "sneaking in"}).status_code == 404
    assert Review.objects.count() == 1


def test_editing_on_its_own_page(work: Publication, reader: User) -> None:
    review = post(reader, work, "Frist")
    url = reverse("reviews:edit", args=[review.pk])
    client = as_(reader)
    form = client.get(url)
    assert form.status_code == 200 and "Frist" in html(form)
    saved = client.post(url, {"body": "First"})
    assert saved.status_code == 302 and saved["Location"].endswith(f"#review-{review.pk}")
    review.refresh_from_db()
    assert review.body == "First" and review.edited_at is not None
    assert "(edited)" in html(client.get(work_url(work)))
    assert client.post(url, {"body": ""}).status_code == 400
    stranger = as_(UserFactory())
    assert stranger.get(url).status_code == 403 and stranger.post(url, {"body": "Defaced"}).status_code == 403
    review.refresh_from_db()
    assert review.body == "First"


def test_deleting(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work, "Oops")
    post(team.owner, work, "No worries", parent=review)
    url = reverse("reviews:delete", args=[review.pk])
    assert as_(UserFactory()).post(url).status_code == 403
    assert as_(reader).get(url).status_code == 405
    answer = as_(reader).post(url)
    assert answer.status_code == 302
    page = html(as_(None).get(work_url(work)))
    assert "Oops" not in page and "Deleted by its author." in page and "No worries" in page
    assert as_(reader).post(reverse("reviews:delete", args=[10**15])).status_code == 404
    assert as_(reader).post("/gallery/reviews/99999999999999999999999/delete/").status_code == 404


def test_reporting_on_its_own_page(work: Publication, reader: User) -> None:
    review = post(reader, work, "Spammy")
    url = reverse("reviews:report", args=[review.pk])
    someone = as_(UserFactory())
    form = someone.get(url)
    assert form.status_code == 200 and "Spammy" in html(form) and 'value="spam"' in html(form)
    assert someone.post(url, {"reason": "nonsense"}).status_code == 400
    answer = someone.post(url, {"reason": "spam", "note": "links everywhere"})
    assert answer.status_code == 302
    assert ReviewReport.objects.get().note == "links everywhere"
    assert "Reported" in html(someone.get(work_url(work)))
    own = as_(reader).post(url, {"reason": "spam"})
    assert own.status_code == 403 and "your own review" in html(own)


def test_a_thread_has_its_own_page(work: Publication, reader: User, team: Any, settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 100
    review = post(reader, work, "Root")
    for n in range(8):
        post(UserFactory(), work, f"reply number {n}", parent=review)
    page = html(as_(None).get(work_url(work)))
    assert "reply number 4" in page and "reply number 5" not in page  # the first five under the work
    assert "See the whole thread (8 replies)" in page
    thread = html(as_(None).get(reverse("reviews:thread", args=[review.pk])))
    assert all(f"reply number {n}" in thread for n in range(8))
    reply = Review.objects.filter(parent=review).first()
    assert as_(None).get(reverse("reviews:thread", args=[reply.pk])).status_code == 200  # any of its reviews
    assert as_(None).get(reverse("reviews:thread", args=[10**14])).status_code == 404
    Review.objects.filter(pk=review.pk).update(status=ReviewStatus.HELD)
    Review.objects.filter(parent=review).update(status=ReviewStatus.DELETED)
    assert as_(None).get(reverse("reviews:thread", args=[review.pk])).status_code == 404


def test_reviews_paginate_under_the_work(work: Publication, settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 100
    for n in range(23):
        post(UserFactory(), work, f"review no. {n:02d}")
    first = html(as_(None).get(work_url(work)))
    assert "review no. 22" in first and "review no. 02" not in first and "?reviews=2#reviews" in first
    second = html(as_(None).get(work_url(work) + "?reviews=2"))
    assert "review no. 02" in second and "review no. 22" not in second
    assert as_(None).get(work_url(work) + "?reviews=abc").status_code == 200


def test_the_moderation_queue_shows_reported_reviews_beside_works(work: Publication, reader: User,
                                                                  staff: User) -> None:
    review = post(reader, work, "Reported words")
    services.review_report(user=UserFactory(), review_id=review.pk, reason="offensive", note="rude")
    page = html(as_(staff).get(reverse("gallery:moderation:queue")))
    assert 'id="reported-reviews"' in page and "Reported words" in page and "rude" in page
    decide = reverse("reviews:decide", args=[review.pk])
    assert as_(reader).post(decide, {"action": "remove", "last_decision": 0}).status_code == 403
    answer = as_(staff).post(decide, {"action": "remove", "note": "", "last_decision": 0})
    assert answer.status_code == 302 and answer["Location"].endswith("#reported-reviews")
    review.refresh_from_db()
    assert review.status == ReviewStatus.REMOVED and ReviewDecision.objects.get().moderator == staff
    stale = as_(staff).post(decide, {"action": "restore", "last_decision": 0}, follow=True)
    assert "meanwhile" in html(stale)
    review.refresh_from_db()
    assert review.status == ReviewStatus.REMOVED
    assert "No review has an open report" in html(as_(staff).get(reverse("gallery:moderation:queue")))


def test_the_work_page_makes_as_many_queries_for_many_reviews_as_for_few(work: Publication, reader: User,
                                                                         settings: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.REVIEWS_PER_MINUTE = 1000
    client = as_(reader)

    def queries() -> int:
        client.get(work_url(work))  # (sessions, content types and caches warmed the first time)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(work_url(work)).status_code == 200
        return len(captured)

    root = post(UserFactory(), work, "one")
    post(UserFactory(), work, "a reply", parent=root)
    few = queries()
    for n in range(25):
        root = post(UserFactory(), work, f"thread {n}")
        for m in range(6):
            post(UserFactory(), work, f"reply {m}", parent=root)
    services.review_report(user=reader, review_id=root.pk, reason="spam")
    assert queries() == few


def test_the_thread_and_its_forms_read_in_chinese(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work, "好看")
    post(team.owner, work, "谢谢", parent=review)
    reader.preferred_language = "zh-hans"
    reader.save()
    page = html(as_(reader).get(work_url(work)))
    for chinese in ("评价", "发布评价", "回复", "编辑", "删除", "创作者"):
        assert chinese in page, chinese
    for english in ("Post the review", "Your review", "Reply", "Edit", "Delete this review", "creator<"):
        assert english not in page, english
    chinese_reader = as_(UserFactory(preferred_language="zh-hans"))
    form = html(chinese_reader.get(reverse("reviews:report", args=[review.pk])))
    assert "举报对“Harbour at dawn”的评价" in form and "Report a review" not in form
