"""The reviews' API: lists for anyone (published works), post, reply, edit, delete, report and
moderate, each refusal in the API's error shape (never a page, never a 500), 429 on the rate limit."""

from typing import Any

import pytest

from accounts.models import User
from recommend.models import Publication, PublicationStatus, Signal, SignalKind
from reviews.models import Review, ReviewDecision, ReviewReport, ReviewStatus
from tests.accounts.factories import ApiTokenFactory, UserFactory
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish
from tests.reviews.helpers import api_as, error_of, post

pytestmark = pytest.mark.django_db


def reviews_url(work: Publication) -> str:
    return f"/api/v1/gallery/works/{work.public_id}/reviews"


def review_url(review: Review | int, tail: str = "") -> str:
    pk = review if isinstance(review, int) else review.pk
    return f"/api/v1/gallery/reviews/{pk}{tail}"


def test_anyone_reads_a_published_works_threads(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work, "Lovely")
    post(team.owner, work, "Thanks", parent=review)
    answer = api_as(None).get(reviews_url(work))
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 1 and body["next"] is None
    [thread] = body["results"]
    assert thread["id"] == review.pk and thread["body"] == "Lovely" and thread["parent"] is None
    assert thread["author"]["username"] == "reader" and thread["reply_count"] == 1
    assert thread["publication"] == work.public_id and thread["status"] == "published"
    assert thread["viewer"] == {"can_edit": False, "can_delete": False, "can_report": False,
                                "reported": False}
    [reply] = thread["replies"]
    assert reply["body"] == "Thanks" and reply["parent"] == review.pk
    one = api_as(None).get(review_url(review)).json()
    assert one["body"] == "Lovely" and "replies" not in one
    replies = api_as(None).get(review_url(review, "/replies")).json()
    assert [r["body"] for r in replies["results"]] == ["Thanks"]


def test_posting_and_replying(work: Publication, reader: User, team: Any,
                              django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_as(reader).post(reviews_url(work), {"body": "Great work"}, format="json")
    assert answer.status_code == 201
    created = answer.json()
    assert created["body"] == "Great work" and created["viewer"]["can_edit"] is True
    assert Signal.objects.filter(kind=SignalKind.REVIEW, user=reader).count() == 1
    reply = api_as(team.owner).post(reviews_url(work), {"body": "Thanks", "parent": created["id"]},
                                    format="json")
    assert reply.status_code == 201 and reply.json()["parent"] == created["id"]
    answer = api_as(reader).post(reviews_url(work), {"body": "Welcome", "parent": reply.json()["id"]},
                                 format="json").json()
    assert answer["parent"] == created["id"] and answer["reply_to"]["username"] == team.owner.username


def test_posting_needs_an_account_and_a_token_with_write(work: Publication, reader: User) -> None:
    anonymous = api_as(None).post(reviews_url(work), {"body": "hi"}, format="json")
    assert anonymous.status_code in (401, 403) and error_of(anonymous)
    token = ApiTokenFactory(user=reader, scopes=["read"])
    read_only = api_as(None)
    read_only.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    refused = read_only.post(reviews_url(work), {"body": "hi"}, format="json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "token_scope"
    assert read_only.get(reviews_url(work)).status_code == 200
    writer = ApiTokenFactory(user=reader, scopes=["read", "write"])
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {writer.raw}")
    assert client.post(reviews_url(work), {"body": "by token"}, format="json").status_code == 201


@pytest.mark.parametrize(("data", "field"), [
    ({"body": ""}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 2001}, "body"), ({}, "body"),
    ({"body": "a\u0000b"}, "body"), ({"body": ["a"]}, "body"), ({"body": {"x": 1}}, "body"),
    ({"body": "ok", "parent": "abc"}, "parent"), ({"body": "ok", "parent": 0}, "parent"),
    ({"body": "ok", "parent": 2**70}, "parent"), ({"body": "ok", "parent": 10**9}, "parent")])
def test_bad_input_is_refused_in_the_error_shape_and_nothing_written(
        work: Publication, reader: User, data: dict[str, Any], field: str) -> None:
    answer = api_as(reader).post(reviews_url(work), data, format="json")
    assert answer.status_code == 400, answer.content
    assert field in error_of(answer)["fields"]
    assert not Review.objects.exists()


def test_a_lone_surrogate_or_a_control_character_is_refused(work: Publication, reader: User) -> None:
    for raw in (b'{"body": "\\ud800"}', b'{"body": "bell\\u0007"}'):
        answer = api_as(reader).post(reviews_url(work), raw, content_type="application/json")
        assert answer.status_code == 400 and "body" in error_of(answer)["fields"]
    assert not Review.objects.exists()


def test_a_reply_to_a_review_of_another_work_is_refused(work: Publication, reader: User) -> None:
    other_team = project_with_team()
    other = publish(other_team.project, other_team.owner, title="Other", tags=["city"], seed=3)
    elsewhere = post(reader, other)
    answer = api_as(reader).post(reviews_url(work), {"body": "x", "parent": elsewhere.pk}, format="json")
    assert answer.status_code == 400 and "parent" in error_of(answer)["fields"]
    assert Review.objects.count() == 1


@pytest.mark.parametrize("status", [PublicationStatus.UNPUBLISHED, PublicationStatus.HELD,
                                    PublicationStatus.REMOVED])
def test_no_review_of_a_work_out_of_the_gallery(work: Publication, reader: User, status: str) -> None:
    post(reader, work)
    Publication.objects.filter(pk=work.pk).update(status=status)
    answer = api_as(UserFactory()).post(reviews_url(work), {"body": "x"}, format="json")
    assert answer.status_code == 404 and error_of(answer)["code"] == "not_found"
    listing = api_as(UserFactory()).get(reviews_url(work))
    assert listing.status_code == 404 and error_of(listing)
    assert Review.objects.count() == 1


def test_the_rate_limit_answers_429_in_the_api_shape(work: Publication, reader: User, settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 2
    client = api_as(reader)
    for n in range(2):
        assert client.post(reviews_url(work), {"body": f"r{n}"}, format="json").status_code == 201
    answer = client.post(reviews_url(work), {"body": "too many"}, format="json")
    assert answer.status_code == 429
    error = error_of(answer)
    assert error["code"] == "throttled" and "minute" in error["message"]
    assert Review.objects.count() == 2


def test_editing_and_deleting(work: Publication, reader: User, team: Any) -> None:
    review = post(reader, work, "Frist")
    stranger = api_as(UserFactory())
    refused = stranger.patch(review_url(review), {"body": "Defaced"}, format="json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "permission_denied"
    refused = stranger.delete(review_url(review))
    assert refused.status_code == 403 and error_of(refused)
    edited = api_as(reader).patch(review_url(review), {"body": "First"}, format="json")
    assert edited.status_code == 200 and edited.json()["body"] == "First" and edited.json()["edited_at"]
    too_long = api_as(reader).patch(review_url(review), {"body": "y" * 2001}, format="json")
    assert too_long.status_code == 400 and "body" in error_of(too_long)["fields"]
    post(UserFactory(), work, "reply", parent=review)
    assert api_as(reader).delete(review_url(review)).status_code == 204
    [thread] = api_as(None).get(reviews_url(work)).json()["results"]
    assert thread["status"] == "deleted" and thread["body"] == "" and thread["author"] is None
    assert thread["placeholder"] == "Deleted by its author." and len(thread["replies"]) == 1
    gone = api_as(reader).patch(review_url(review), {"body": "back"}, format="json")
    assert gone.status_code == 409 and error_of(gone)["code"] == "review_gone"
    mine = post(UserFactory(), work, "on your work")
    assert api_as(team.owner).delete(review_url(mine)).status_code == 204  # the work's creator may


@pytest.mark.parametrize("path", ["/api/v1/gallery/reviews/99999999999999999999999",
                                  "/api/v1/gallery/reviews/4611686018427387905/replies",
                                  "/api/v1/gallery/reviews/1234567/report",
                                  "/api/v1/gallery/works/pub_nothing/reviews"])
def test_unknown_or_huge_ids_are_404_in_the_error_shape(reader: User, path: str) -> None:
    client = api_as(reader)
    for answer in (client.get(path), client.post(path, {"reason": "spam", "body": "x"}, format="json"),
                   client.patch(path, {"body": "x"}, format="json"), client.delete(path)):
        assert answer.status_code in (404, 405), (path, answer.status_code)
        error_of(answer)


def test_a_malformed_body_is_a_400_not_a_500(work: Publication, reader: User) -> None:
    client = api_as(reader)
    answer = client.post(reviews_url(work), b"{not json", content_type="application/json")
    assert answer.status_code == 400 and error_of(answer)
    answer = client.post(reviews_url(work), b'[1, 2]', content_type="application/json")
    assert answer.status_code == 400 and error_of(answer)


def test_reporting(work: Publication, reader: User) -> None:
    review = post(reader, work, "Spam spam")
    someone = api_as(UserFactory())
    assert someone.post(review_url(review, "/report"), {"reason": "spam"}, format="json").status_code == 204
    assert someone.post(review_url(review, "/report"), {"reason": "spam"}, format="json").status_code == 204
    assert ReviewReport.objects.count() == 1
    own = api_as(reader).post(review_url(review, "/report"), {"reason": "spam"}, format="json")
    assert own.status_code == 403 and error_of(own)
    bad = someone.post(review_url(review, "/report"), {"reason": "bored"}, format="json")
    assert bad.status_code == 400 and "reason" in error_of(bad)["fields"]


def test_moderating(work: Publication, reader: User, staff: User) -> None:
    review = post(reader, work, "Reported")
    api_as(UserFactory()).post(review_url(review, "/report"), {"reason": "offensive"}, format="json")
    for person in (None, reader, UserFactory()):
        queue = api_as(person).get("/api/v1/gallery/reviews/reported")
        assert queue.status_code in (401, 403) and error_of(queue)
        refused = api_as(person).post(review_url(review, "/moderate"), {"action": "remove"}, format="json")
        assert refused.status_code in (401, 403) and error_of(refused)
    [item] = api_as(staff).get("/api/v1/gallery/reviews/reported").json()
    assert item["id"] == review.pk and item["open_reports"] == 1 and item["reports"][0]["text"] == "Reported"
    decided = api_as(staff).post(review_url(review, "/moderate"),
                                 {"action": "remove", "note": "rude", "last_decision": item["last_decision"]},
                                 format="json")
    assert decided.status_code == 200 and decided.json()["status_after"] == "removed"
    assert ReviewDecision.objects.get().moderator == staff
    stale = api_as(staff).post(review_url(review, "/moderate"), {"action": "restore", "last_decision": 0},
                               format="json")
    assert stale.status_code == 409 and error_of(stale)["code"] == "decided_meanwhile"
    review.refresh_from_db()
    assert review.status == ReviewStatus.REMOVED
    assert api_as(None).get(review_url(review)).status_code == 404  # not shown, no replies under it
    assert api_as(staff).get(review_url(review)).json()["body"] == "Reported"


def test_the_list_paginates(work: Publication, settings: Any) -> None:
    settings.REVIEWS_PER_MINUTE = 100
    for n in range(25):
        post(UserFactory(), work, f"n{n}")
    first = api_as(None).get(reviews_url(work)).json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    assert first["results"][0]["body"] == "n24"
    second = api_as(None).get(reviews_url(work), {"page": 2}).json()
    assert [r["body"] for r in second["results"]] == [f"n{n}" for n in range(4, -1, -1)]
    assert api_as(None).get(reviews_url(work), {"page": 99}).status_code == 404


def test_many_accounts_from_one_address_are_bounded_too(work: Publication, settings: Any) -> None:
    from django.test import Client

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review_post": "3/min"}}
    for n in range(2):  # each account well within its own limit, all from 127.0.0.1 ...
        answer = api_as(UserFactory()).post(reviews_url(work), {"body": f"sock puppet {n}"}, format="json")
        assert answer.status_code == 201
    page = Client()
    page.force_login(UserFactory())
    page_url = f"/gallery/works/{work.public_id}/reviews/"
    assert page.post(page_url, {"body": "from the page"}).status_code == 302
    refused = api_as(UserFactory()).post(reviews_url(work), {"body": "one too many"}, format="json")
    assert refused.status_code == 429 and error_of(refused)["code"] == "throttled"
    assert "Retry-After" in refused
    on_the_page = page.post(page_url, {"body": "kept text"})
    text = on_the_page.content.decode()
    assert on_the_page.status_code == 429 and "Too many reviews from your network" in text
    assert "kept text" in text
    assert Review.objects.count() == 3
    assert api_as(UserFactory()).get(reviews_url(work)).status_code == 200  # reading is not counted
