"""Publishing and engagement: who may publish, what is refused (and leaves nothing behind), and how
each engagement changes the state, the counters and the signal log."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from recommend import preferences, services
from recommend.models import (
    Follow,
    Hide,
    Like,
    Publication,
    PublicationStatus,
    Signal,
    SignalKind,
    Tag,
)
from rights.licences import LicenceKind
from rights.models import Work, WorkStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import image_asset, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return project_with_team()


def kinds(user: User) -> list[str]:
    return list(Signal.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def test_an_owner_publishes_a_render_with_clean_tags(team: Team) -> None:
    asset = image_asset(team.project, team.editor, prompt="gulls over a grey harbour")
    work = services.publication_publish(project=team.project, user=team.owner, asset_id=asset.pk,
                                        title="  Harbour  ", tags="#Ocean, birds  ocean")
    assert (work.title, work.prompt, work.creator, work.language, work.licence) == (
        "Harbour", "gulls over a grey harbour", team.owner, "en", LicenceKind.CC_BY)
    assert sorted(work.tags.values_list("name", flat=True)) == ["birds", "ocean"]
    with pytest.raises(Conflict):
        services.publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title="Again")


@pytest.mark.parametrize("who", ["editor", "viewer", "outsider"])
def test_only_owners_publish(team: Team, who: str) -> None:
    asset = image_asset(team.project, team.editor, prompt="a lantern")
    with pytest.raises(NotFound if who == "outsider" else PermissionDenied):
        services.publication_publish(project=team.project, user=team.user(who), asset_id=asset.pk, title="x")
    assert not Publication.objects.exists()


def test_bad_input_names_every_field_and_writes_nothing(team: Team) -> None:
    asset = image_asset(team.project, team.editor, prompt="a lantern")
    with pytest.raises(ValidationFailed) as refused:
        services.publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title=" ",
                                     tags=["good", "bad tag!"], language="xx-nowhere", licence="mine")
    assert set(refused.value.fields) == {"title", "tags", "language", "licence"}
    assert "bad" in refused.value.fields["tags"][0]
    with pytest.raises(ValidationFailed) as too_many:
        services.publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title="x",
                                     tags=[f"t{i}" for i in range(11)])
    assert "10" in too_many.value.fields["tags"][0]
    assert not Publication.objects.exists() and not Tag.objects.exists()


def test_a_registered_render_keeps_its_registered_licence(team: Team) -> None:
    asset = image_asset(team.project, team.editor, prompt="a lantern")
    Work.objects.create(title="Lantern", created_by=team.owner, project=team.project, asset=asset,
                        mime="image/png", size=1, sha256=asset.sha256, iscc="ISCC:X", terms_sha256="0" * 64,
                        licence=LicenceKind.CC_BY_NC, status=WorkStatus.REGISTERED)
    work = services.publication_publish(project=team.project, user=team.owner, asset_id=asset.pk,
                                        title="Lantern", licence=LicenceKind.CC_BY)
    assert work.licence == LicenceKind.CC_BY_NC
    with pytest.raises(ValidationFailed) as refused:
        services.publication_update(publication_id=work.public_id, user=team.owner, licence=LicenceKind.CC_BY)
    assert "licence" in refused.value.fields


def test_unpublish_and_publish_again(team: Team) -> None:
    work = publish(team.project, team.owner, title="Dunes", tags=["desert"])
    services.publication_update(publication_id=work.public_id, user=team.owner, status="unpublished")
    with pytest.raises(NotFound):
        services.like_set(user=team.outsider, publication_id=work.public_id, liked=True)
    with pytest.raises(PermissionDenied):
        services.publication_update(publication_id=work.public_id, user=team.editor, status="published")
    work = services.publication_update(publication_id=work.public_id, user=team.owner, status="published",
                                       tags=["desert", "sand"])
    assert work.status == PublicationStatus.PUBLISHED
    assert sorted(work.tags.values_list("name", flat=True)) == ["desert", "sand"]


def test_likes_and_saves_count_once_and_log_signals(team: Team) -> None:
    work = publish(team.project, team.owner, title="Reef", tags=["ocean"])
    fan: User = UserFactory()
    for _ in range(2):
        services.like_set(user=fan, publication_id=work.public_id, liked=True, feed="f1", position=3,
                          reason="interest")
        services.save_set(user=fan, publication_id=work.public_id, saved=True)
    work.refresh_from_db()
    assert (work.likes, work.saves) == (1, 1)
    services.like_set(user=fan, publication_id=work.public_id, liked=False)
    services.save_set(user=fan, publication_id=work.public_id, saved=False)
    work.refresh_from_db()
    assert (work.likes, work.saves) == (0, 0)
    assert kinds(fan) == ["like", "save", "unlike", "unsave"]
    like = Signal.objects.get(user=fan, kind=SignalKind.LIKE)
    assert (like.feed, like.position, like.reason) == ("f1", 3, "interest")
    assert fan.collections.get().name == "Saved"


def test_the_page_reports_impressions_views_and_shares_in_one_batch(team: Team) -> None:
    work = publish(team.project, team.owner, title="Reef", tags=["ocean"])
    fan: User = UserFactory()
    count = services.signals_record(user=fan, events=[
        {"publication": work.public_id, "kind": "impression", "feed": "f1", "position": 0},
        {"publication": work.public_id, "kind": "view", "dwell_ms": 8000},
        {"publication": work.public_id, "kind": "share"},
        {"publication": "pub_gone", "kind": "view"},  # gone since: skipped
    ])
    work.refresh_from_db()
    assert count == 3 and (work.views, work.shares) == (1, 1)
    assert kinds(fan) == ["impression", "view", "share"]
    for bad in ([{"publication": work.public_id, "kind": "like"}],
                [{"publication": work.public_id, "kind": "view", "dwell_ms": -1}],
                [], [{"publication": work.public_id, "kind": "view"}] * 101):
        with pytest.raises(ValidationFailed):
            services.signals_record(user=fan, events=bad)
    assert Signal.objects.filter(user=fan).count() == 3  # a refused batch records nothing


def test_hide_report_and_hold_after_enough_reports(team: Team, settings: Any) -> None:
    """A hold needs trusted reporters: a verified address on an account old enough (a fresh one's
    report is kept for the moderators but holds nothing: tests/abuse/test_gallery_fairness.py)."""
    settings.RECOMMEND_HOLD_AFTER_REPORTS = 2
    settings.RECOMMEND_HOLD_WEIGHT = 2.0
    work = publish(team.project, team.owner, title="Spam?", tags=["city"])
    joined = timezone.now() - timedelta(days=settings.RECOMMEND_REPORTER_MIN_AGE_DAYS + 1)
    first: User = UserFactory(date_joined=joined)
    second: User = UserFactory(date_joined=joined)
    services.hide(user=first, publication_id=work.public_id, less_like_it=True)
    assert Hide.objects.get(user=first).less_like_it
    with pytest.raises(ValidationFailed) as refused:
        services.report(user=first, publication_id=work.public_id, reason="because")
    assert "reason" in refused.value.fields
    with pytest.raises(PermissionDenied):
        services.report(user=team.owner, publication_id=work.public_id, reason="spam")
    services.report(user=first, publication_id=work.public_id, reason="spam")
    services.report(user=first, publication_id=work.public_id, reason="spam")  # once per person
    services.report(user=UserFactory(), publication_id=work.public_id, reason="spam")  # fresh: not trusted
    work.refresh_from_db()
    assert (work.reports, work.status) == (2, PublicationStatus.PUBLISHED)
    services.report(user=second, publication_id=work.public_id, reason="offensive", note="no")
    work.refresh_from_db()
    assert (work.reports, work.status) == (3, PublicationStatus.HELD)
    assert Hide.objects.filter(user=second, publication=work).exists()
    with pytest.raises(PermissionDenied):
        services.report_resolve(publication_id=work.public_id, moderator=first, remove=False)
    moderator: User = UserFactory(is_staff=True)
    work = services.report_resolve(publication_id=work.public_id, moderator=moderator, remove=False)
    work.refresh_from_db()
    assert (work.status, work.reports) == (PublicationStatus.PUBLISHED, 0)
    assert kinds(first) == ["see_less", "report"]


def test_follow_and_nobody_follows_themselves(team: Team) -> None:
    fan: User = UserFactory()
    services.follow_set(user=fan, creator=team.owner, following=True)
    services.follow_set(user=fan, creator=team.owner, following=True)
    assert Follow.objects.filter(follower=fan, creator=team.owner).count() == 1
    with pytest.raises(ValidationFailed):
        services.follow_set(user=fan, creator=fan, following=True)
    services.follow_set(user=fan, creator=team.owner, following=False)
    assert not Follow.objects.exists()


def test_a_gallery_remix_renders_into_your_own_project(team: Team) -> None:
    work = publish(team.project, team.owner, title="Reef", tags=["ocean"], prompt="a coral reef")
    mine = project_with_team()
    job = services.gallery_remix(user=mine.editor, publication_id=work.public_id, project=mine.project,
                                 prompt="a coral reef at night")
    assert (job.project, job.parent, job.prompt) == (mine.project, work.asset, "a coral reef at night")
    assert kinds(mine.editor) == ["remix"]
    with pytest.raises(PermissionDenied):
        services.gallery_remix(user=mine.viewer, publication_id=work.public_id, project=mine.project)


def test_preferences_are_checked_field_by_field(team: Team) -> None:
    fan: User = UserFactory()
    prefs = preferences.onboarding_complete(user=fan, tags=["#Ocean", "forest"], variety=50)
    assert (prefs.tag_weights, prefs.variety, prefs.onboarded_at is not None) == (
        {"ocean": 1.0, "forest": 1.0}, 50, True)
    with pytest.raises(ValidationFailed) as refused:
        preferences.preferences_update(user=fan, tag_weights={"ocean": 5}, variety=101,
                                       blocked_creators=["nobody-here"], blocked_tags=["bad tag!"])
    assert set(refused.value.fields) == {"tag_weights", "variety", "blocked_creators", "blocked_tags"}
    prefs = preferences.preferences_update(user=fan, tag_weights={"ocean": 2, "city": -1},
                                           blocked_tags=["desert"], blocked_creators=[team.owner.username])
    assert prefs.tag_weights == {"ocean": 2.0, "city": -1.0}
    assert list(prefs.blocked_creators.all()) == [team.owner]
    assert [t.name for t in prefs.blocked_tags.all()] == ["desert"]
    assert not Like.objects.exists()
