"""Moderation (recommend/moderation.py and its API): staff only, the queue's order, each decision's
effect on the gallery and the feed, reports settled, two moderators at once, the outcome hook."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from recommend import moderation, services
from recommend.feed import feed_page
from recommend.models import ModerationAction, ModerationDecision, Publication, PublicationStatus, Report
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import publish, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return project_with_team()


@pytest.fixture
def staff() -> User:
    moderator: User = UserFactory(is_staff=True)
    return moderator


def trusted_reporter(settings: Any) -> User:
    days = settings.RECOMMEND_REPORTER_MIN_AGE_DAYS + 1
    user: User = UserFactory(date_joined=timezone.now() - timedelta(days=days))
    return user


def report(work: Publication, reporter: User | None = None, *, reason: str = "spam",
           note: str = "") -> Report:
    return services.report(user=reporter or UserFactory(), publication_id=work.public_id, reason=reason,
                           note=note)


def api_as(user: User | None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


def in_feed(work: Publication) -> bool:
    return work.pk in {item.publication.pk for item in feed_page(user=None, size=50).items}


def shown(work: Publication) -> bool:
    return APIClient().get(f"/api/v1/gallery/works/{work.public_id}").status_code == 200


def queue_ids(user: User) -> list[str]:
    return [p.public_id for p in moderation.moderation_queue(user=user)]


def latest(work: Publication) -> int:
    return work.decisions.order_by("-id").values_list("id", flat=True).first() or 0


# --- who may ---------------------------------------------------------------------------------------


def test_only_staff_read_the_queue_and_decide(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    for person in (team.owner, team.outsider, None):
        with pytest.raises(PermissionDenied):
            moderation.moderation_queue(user=person)
        with pytest.raises(PermissionDenied):
            moderation.moderation_decide(publication_id=work.public_id, moderator=person, action="remove",
                                         last_decision=0)
    assert queue_ids(staff) == [work.public_id]
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED and not ModerationDecision.objects.exists()


def test_the_api_refuses_anyone_but_staff_in_its_error_shape(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    body = {"publication": work.public_id, "action": "remove", "note": "", "last_decision": 0}
    for person, code in ((None, 401), (team.outsider, 403), (team.owner, 403)):
        for answer in (api_as(person).get("/api/v1/moderation"),
                       api_as(person).post("/api/v1/moderation", body, format="json")):
            assert answer.status_code == code
            error = answer.json()["error"]
            assert set(error) == {"code", "message", "fields"} and "Traceback" not in error["message"]
    # The older endpoint too.
    refused = api_as(team.outsider).post(f"/api/v1/gallery/works/{work.public_id}/moderate", {"remove": True},
                                         format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED


# --- the queue -------------------------------------------------------------------------------------


def test_the_queue_puts_the_most_reported_first_then_the_longest_waiting(team: Team, staff: User,
                                                                        settings: Any) -> None:
    quiet = publish(team.project, team.owner, title="Quiet", tags=["ocean"], seed=1)
    older = publish(team.project, team.owner, title="Older", tags=["ocean"], seed=2)
    newer = publish(team.project, team.owner, title="Newer", tags=["ocean"], seed=3)
    most = publish(team.project, team.owner, title="Most", tags=["ocean"], seed=4)
    report(older)
    report(older)
    report(newer)
    report(newer)
    for _ in range(3):
        report(most)
    Report.objects.filter(publication=older).update(created_at=timezone.now() - timedelta(days=2))
    assert queue_ids(staff) == [most.public_id, older.public_id, newer.public_id]
    assert quiet.public_id not in queue_ids(staff)
    # A work held by an admin without open reports is in the queue too, last.
    held = publish(team.project, team.owner, title="Held", tags=["ocean"], seed=5)
    Publication.objects.filter(pk=held.pk).update(status=PublicationStatus.HELD)
    assert queue_ids(staff)[-1] == held.public_id
    page = list(moderation.moderation_queue(user=staff))
    items = moderation.queue_items(user=staff, publications=page)
    assert [item.open_reports for item in items] == [3, 2, 2, 0]
    assert items[1].waiting_since is not None and items[3].waiting_since is None


def test_a_queue_item_has_reports_registration_and_warnings(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    registered = register(work.asset, team.owner)
    first = report(work, reason="offensive", note="Look at the corner.")
    report(work, reason="spam")
    item = moderation.moderation_item(user=staff, publication_id=work.public_id)
    assert item.reports[0].pk == first.pk and item.reports[0].note == "Look at the corner."
    assert item.registration is not None and item.registration.pk == registered.pk
    assert item.last_decision == 0 and item.warnings == 0 and item.decisions == []
    with pytest.raises(NotFound):
        moderation.moderation_item(user=staff, publication_id="pub_nothing")


# --- decisions -------------------------------------------------------------------------------------


def test_remove_takes_a_work_out_of_the_feed_and_restore_brings_it_back(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    other = publish(team.project, team.owner, title="Forest", tags=["forest"], seed=1)
    registered = register(work.asset, team.owner)
    reports = [report(work), report(work)]
    assert in_feed(work) and shown(work)

    removed = moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="remove",
                                           note="Spam links in the description.", last_decision=0)
    work.refresh_from_db()
    assert (removed.status_before, removed.status_after) == ("published", "removed")
    assert work.status == PublicationStatus.REMOVED
    assert not in_feed(work) and in_feed(other) and not shown(work)
    # The render and its registration stay.
    registered.refresh_from_db()
    assert registered.status == "registered" and work.asset.pk
    # The reports it settled are marked, and the work leaves the queue.
    assert {r.pk for r in removed.settled_reports.all()} == {r.pk for r in reports}
    assert not Report.objects.filter(publication=work, resolved=False).exists()
    assert work.public_id not in queue_ids(staff)

    restored = moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="restore",
                                            last_decision=removed.pk)
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED and restored.status_after == "published"
    assert in_feed(work) and shown(work)


def test_warn_keeps_the_work_published_and_needs_a_note(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    with pytest.raises(ValidationFailed) as refused:
        moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="warn", note="  ",
                                     last_decision=0)
    assert "note" in refused.value.fields
    decision = moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="warn",
                                            note="Credit the source next time.", last_decision=0)
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED and in_feed(work)
    assert decision.action == ModerationAction.WARN and decision.note == "Credit the source next time."
    assert work.public_id not in queue_ids(staff)
    other = publish(team.project, team.owner, title="Forest", tags=["forest"], seed=1)
    report(other)
    assert moderation.queue_items(user=staff, publications=[other])[0].warnings == 1


def test_a_held_work_is_in_its_history_and_restore_lifts_the_hold(
        team: Team, staff: User, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    for _ in range(settings.RECOMMEND_HOLD_AFTER_REPORTS):
        report(work, trusted_reporter(settings))
    work.refresh_from_db()
    assert work.status == PublicationStatus.HELD and not in_feed(work)
    hold = work.decisions.get()
    assert hold.action == ModerationAction.HOLD and hold.moderator is None
    item = moderation.moderation_item(user=staff, publication_id=work.public_id)
    assert item.last_decision == hold.pk
    with django_capture_on_commit_callbacks(execute=True):  # (the feed's catalogue is rebuilt on commit)
        moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="restore",
                                     last_decision=hold.pk)
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED and work.reports == 0 and in_feed(work)
    kinds = [event.kind for event in moderation.moderation_history(user=staff, publication=work)]
    assert kinds == ["published", "reported", "reported", "reported", "hold", "restore"]


def test_a_report_after_the_page_was_read_keeps_the_work_in_the_queue(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    seen = report(work)
    late = report(work)
    moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="restore",
                                 reports=[seen.pk], last_decision=0)
    late.refresh_from_db()
    assert not late.resolved and work.public_id in queue_ids(staff)
    with pytest.raises(ValidationFailed):  # not a report of this work
        moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="restore",
                                     reports=[10**9], last_decision=latest(work))


def test_two_moderators_at_once_one_wins_the_other_gets_a_conflict(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    other_staff: User = UserFactory(is_staff=True)
    seen = latest(work)  # both read the queue
    first = moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="remove",
                                         last_decision=seen)
    with pytest.raises(Conflict):
        moderation.moderation_decide(publication_id=work.public_id, moderator=other_staff, action="restore",
                                     last_decision=seen)
    # The same moderator's double submission answers with the decision already made.
    again = moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="remove",
                                         last_decision=seen)
    assert again.pk == first.pk and ModerationDecision.objects.count() == 1
    work.refresh_from_db()
    assert work.status == PublicationStatus.REMOVED


def test_notes_are_bounded_and_actions_checked(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    for bad in ({"action": "delete"}, {"action": "hold"}, {"action": "remove", "note": "x" * 2001},
                {"action": "remove", "note": 7}, {"action": "remove", "reports": ["1"]},
                {"action": "remove", "reports": list(range(1, 1100))},
                {"action": "remove", "last_decision": -1}, {"action": "remove", "last_decision": 10**30},
                {"action": "remove", "reports": [10**30]}):
        arguments: dict[str, Any] = {"note": "", "last_decision": 0, **bad}
        with pytest.raises(ValidationFailed):
            moderation.moderation_decide(publication_id=work.public_id, moderator=staff, **arguments)
    with pytest.raises(NotFound):
        moderation.moderation_decide(publication_id="pub_none", moderator=staff, action="remove",
                                     last_decision=0)
    assert not ModerationDecision.objects.exists()


def test_the_outcome_hook_is_called_once_after_commit(team: Team, staff: User, monkeypatch: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    told: list[int] = []
    monkeypatch.setattr(moderation, "moderation_outcome_notify", lambda decision: told.append(decision.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decision = moderation.moderation_decide(publication_id=work.public_id, moderator=staff,
                                                action="remove", last_decision=0)
    assert told == []  # not before commit
    for callback in callbacks:
        callback()
    assert told == [decision.pk]
    with django_capture_on_commit_callbacks(execute=True):  # a double submission tells nobody again
        moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="remove",
                                     last_decision=0)
    assert told == [decision.pk]


def test_the_creator_reads_the_outcome_in_their_inbox(team: Team, staff: User,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    from inbox.models import Notification

    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="warn",
                                     note="Please credit the music.", last_decision=0)
    told = Notification.objects.get(recipient=team.owner)
    assert (told.kind, told.actor, told.link) == ("moderation", staff, f"/projects/{team.project.pk}/")
    assert "Harbour" in told.params["work"] and told.params["note"] == "Please credit the music."
    assert not Notification.objects.exclude(recipient=team.owner).exists()  # the moderator is not told


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_lists_the_queue_and_takes_decisions(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    register(work.asset, team.owner)
    report(work, reason="offensive", note="Rude words.")
    api = api_as(staff)
    body = api.get("/api/v1/moderation").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["publication"]["id"] == work.public_id and item["status"] == "published"
    assert item["open_reports"] == 1 and item["reports"][0]["note"] == "Rude words."
    assert item["reports"][0]["reason"] == "offensive" and item["last_decision"] == 0
    assert item["registration"]["status"] == "registered"
    assert item["registration"]["certificate_url"].startswith("/works/")
    assert item["url"] == f"/moderation/{work.public_id}/"

    decision = {"publication": work.public_id, "action": "remove", "note": "Hateful.",
                "reports": [r["id"] for r in item["reports"]], "last_decision": 0}
    made = api.post("/api/v1/moderation", decision, format="json")
    assert made.status_code == 201
    assert made.json()["action"] == "remove" and made.json()["reports_settled"] == 1
    assert made.json()["moderator"] == staff.username
    assert api.get("/api/v1/moderation").json()["count"] == 0
    assert APIClient().get(f"/api/v1/gallery/works/{work.public_id}").status_code == 404

    other_staff = api_as(UserFactory(is_staff=True))
    late = other_staff.post("/api/v1/moderation", {**decision, "action": "restore"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "decided_meanwhile"


def test_the_api_refuses_bad_decisions_in_its_error_shape(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    api = api_as(staff)
    base = {"publication": work.public_id, "action": "remove", "last_decision": 0}
    for bad, field in (({"note": "x" * 2001}, "note"), ({"action": "burn"}, "action"),
                       ({"last_decision": "x"}, "last_decision"), ({"reports": [0]}, "reports.0"),
                       ({"publication": "p" * 41}, "publication"),
                       ({"last_decision": 10**30}, "last_decision"),
                       ({"reports": [10**30]}, "reports.0"), ({"reports": list(range(1, 1100))}, "reports")):
        answer = api.post("/api/v1/moderation", {**base, **bad}, format="json")
        assert answer.status_code == 400, bad
        assert field in answer.json()["error"]["fields"]
    missing = api.post("/api/v1/moderation", {**base, "publication": "pub_nothing"}, format="json")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.post("/api/v1/moderation", [1, 2], format="json").status_code == 400


def test_the_older_moderate_endpoint_records_a_decision(team: Team, staff: User) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    report(work)
    answer = api_as(staff).post(f"/api/v1/gallery/works/{work.public_id}/moderate", {"remove": True},
                                format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "removed"
    decision = work.decisions.get()
    assert decision.action == ModerationAction.REMOVE and decision.moderator == staff
    assert not Report.objects.filter(publication=work, resolved=False).exists()


def test_the_api_gives_a_works_decisions_and_history(team: Team, staff: User, settings: Any) -> None:
    work = publish(team.project, team.owner, title="Harbour", tags=["ocean"])
    for _ in range(settings.RECOMMEND_HOLD_AFTER_REPORTS):
        report(work, trusted_reporter(settings))
    moderation.moderation_decide(publication_id=work.public_id, moderator=staff, action="warn",
                                 note="Mind the tags.", last_decision=latest(work))
    path = f"/api/v1/moderation/{work.public_id}"
    body = api_as(staff).get(path).json()
    assert body["status"] == "published" and body["open_reports"] == 0 and body["creator_warnings"] == 1
    assert [d["action"] for d in body["decisions"]] == ["warn", "hold"]
    assert body["decisions"][0]["reports_settled"] == 3 and body["decisions"][1]["moderator"] is None
    assert [e["kind"] for e in body["history"]] == ["published", "reported", "reported", "reported", "hold",
                                                    "warn"]
    assert body["history"][-1]["who"] == staff.username and body["history"][-1]["note"] == "Mind the tags."
    assert all(e["settled"] for e in body["history"] if e["kind"] == "reported")
    assert api_as(staff).get("/api/v1/moderation/pub_nothing").status_code == 404
    assert api_as(team.owner).get(path).status_code == 403
    assert api_as(None).get(path).status_code == 401
