"""The moderators' pages with the Django test client: staff only (anonymous to the login, others
403), the queue with its works, reports and registrations, a work's page with its history and the
decision form (CSRF, bounded notes, two moderators at once), each decision's effect on the gallery,
and the pages in Chinese."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from recommend import services, serving
from recommend.models import ModerationDecision, Publication, PublicationStatus, Report
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team
from tests.recommend.gallery_data import publish, register

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/"


@pytest.fixture(autouse=True)
def gallery(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECOMMEND_DIR = tmp_path / "recommend"
    serving.reset()


@pytest.fixture
def staff() -> User:
    moderator: User = UserFactory(is_staff=True, username="mod_ada")
    return moderator


def html(response: Any) -> str:
    return response.content.decode()


def as_client(user: User | None, **options: Any) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def reported(team: Team, title: str = "Harbour", *, reports: int = 1, seed: int = 0,
             note: str = "") -> Publication:
    work = publish(team.project, team.owner, title=title, tags=["ocean"], seed=seed)
    for _ in range(reports):
        services.report(user=UserFactory(), publication_id=work.public_id, reason="offensive", note=note)
    return work


def detail(work: Publication) -> str:
    return f"/moderation/{work.public_id}/"


def decide(work: Publication) -> str:
    return f"/moderation/{work.public_id}/decide/"


def form_of(page: str) -> dict[str, Any]:
    """The decision form's hidden values as the page gives them."""
    last = re.search(r'name="last_decision" value="(\d+)"', page)
    assert last is not None
    return {"last_decision": last.group(1), "reports": re.findall(r'name="reports" value="(\d+)"', page)}


def test_the_urls_are_named() -> None:
    assert reverse("gallery:moderation:queue") == QUEUE
    assert reverse("gallery:moderation:detail", args=["pub_1"]) == "/moderation/pub_1/"


def test_anonymous_go_to_the_login_and_others_are_refused(team: Team, staff: User) -> None:
    work = reported(team)
    anonymous = Client()
    for answer in (anonymous.get(QUEUE), anonymous.get(detail(work)),
                   anonymous.post(decide(work), {"action": "remove", "last_decision": "0"})):
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("accounts:login"))
    for person in (team.owner, team.viewer, team.outsider):
        client = as_client(person)
        for answer in (client.get(QUEUE), client.get(detail(work)), client.get(detail(work) + "x/"),
                       client.post(decide(work), {"action": "remove", "last_decision": "0"})):
            assert answer.status_code in (403, 404)
            assert "Traceback" not in html(answer) and "moderation.py" not in html(answer)
        assert client.get(QUEUE).status_code == 403
        assert 'href="/moderation/"' not in html(client.get(reverse("gallery:home")))
    assert not ModerationDecision.objects.exists()
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED


def test_the_queue_shows_works_reports_and_registrations_in_order(team: Team, staff: User) -> None:
    few = reported(team, "Few reports", reports=1, seed=1)
    many = reported(team, "Many reports", reports=3, seed=2, note="<script>alert(1)</script>")
    quiet = publish(team.project, team.owner, title="Quiet", tags=["ocean"], seed=3)
    work = register(many.asset, team.owner)
    response = as_client(staff).get(QUEUE)
    assert response.status_code == 200
    page = html(response)
    ids = re.findall(r'<li class="card mod-item" data-id="(pub_[0-9a-f]+)"', page)
    assert ids == [many.public_id, few.public_id] and quiet.public_id not in page
    assert re.search(r'<a href="/moderation/" aria-current="page">Moderation</a>', page)
    assert f'src="/api/v1/gallery/works/{many.public_id}/media/thumbnail"' in page
    assert team.owner.username in page and "Offensive or hateful" in page and "3 open reports" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert f'href="/works/{work.public_id}/"' in page and "Not registered" in page
    reporter = Report.objects.filter(publication=many).select_related("user").first()
    assert reporter is not None and f"@{reporter.user.username}" in page
    # The thumbnail of a held work answers for staff.
    Publication.objects.filter(pk=many.pk).update(status=PublicationStatus.HELD)
    media = as_client(staff).get(f"/api/v1/gallery/works/{many.public_id}/media/thumbnail")
    assert media.status_code == 200


def test_removing_takes_the_work_out_of_the_gallery_and_restoring_brings_it_back(
        team: Team, staff: User, django_capture_on_commit_callbacks: Any) -> None:
    work = reported(team, reports=2)
    other = publish(team.project, team.owner, title="Forest", tags=["forest"], seed=5)
    client = as_client(staff)
    page = html(client.get(detail(work)))
    assert 'name="csrfmiddlewaretoken"' in page and 'id="decide-form"' in page
    assert "registration on the chain stays as it is" in page
    values = form_of(page)
    assert values["last_decision"] == "0" and len(values["reports"]) == 2

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(decide(work), {**values, "action": "remove", "note": "Hateful words."},
                             follow=True)
    assert answer.status_code == 200
    page = html(answer)
    assert "Removed: “Harbour” is out of the gallery." in page
    assert re.search(r'<tr data-decision="remove">', page) and "Hateful words." in page
    work.refresh_from_db()
    assert work.status == PublicationStatus.REMOVED
    public = Client()
    assert public.get(reverse("gallery:work", args=[work.public_id])).status_code == 404
    feed = html(public.get(reverse("gallery:home")))
    assert work.public_id not in feed and other.public_id in feed
    # The reports it settled leave the queue; the decision is listed under it.
    queue = html(client.get(QUEUE))
    assert f'data-id="{work.public_id}"' not in queue and "Nothing to moderate." in queue
    assert f'<a href="/moderation/{work.public_id}/">Harbour</a>' in queue

    values = form_of(html(client.get(detail(work))))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(decide(work), {**values, "action": "restore", "note": ""}, follow=True)
    assert "is in the gallery again" in html(answer)
    assert public.get(reverse("gallery:work", args=[work.public_id])).status_code == 200
    assert work.public_id in html(public.get(reverse("gallery:home")))
    history = html(client.get(detail(work)))
    events = re.findall(r'<li data-event="(\w+)">', history)
    assert events == ["published", "reported", "reported", "remove", "restore"]


def test_warning_keeps_the_work_published(team: Team, staff: User) -> None:
    work = reported(team)
    client = as_client(staff)
    values = form_of(html(client.get(detail(work))))
    missing = client.post(decide(work), {**values, "action": "warn", "note": ""})
    assert missing.status_code == 400 and "the creator reads it" in html(missing)
    answer = client.post(decide(work), {**values, "action": "warn", "note": "Credit the source."},
                         follow=True)
    assert "the work stays published" in html(answer)
    work.refresh_from_db()
    assert work.status == PublicationStatus.PUBLISHED
    assert Client().get(reverse("gallery:work", args=[work.public_id])).status_code == 200


def test_the_form_needs_its_csrf_token(team: Team, staff: User) -> None:
    work = reported(team)
    strict = as_client(staff, enforce_csrf_checks=True)
    answer = strict.post(decide(work), {"action": "remove", "last_decision": "0"})
    assert answer.status_code == 403
    assert not ModerationDecision.objects.exists()


def test_bad_input_is_refused_on_the_form(team: Team, staff: User) -> None:
    work = reported(team)
    client = as_client(staff)
    values = form_of(html(client.get(detail(work))))
    for bad in ({"action": "remove", "note": "x" * 2001}, {"action": "burn"}, {"action": "remove",
                "last_decision": "abc"}, {"action": "remove", "reports": ["1; drop"]}, {}):
        answer = client.post(decide(work), {**values, **bad})
        assert answer.status_code == 400, bad
        assert 'class="field__errors"' in html(answer) or 'alert--error' in html(answer)
    assert client.post(decide(work), {**values, "action": "remove", "reports": ["999999"]}).status_code == 400
    huge = {**values, "action": "remove", "last_decision": "9" * 30}
    assert client.post(decide(work), huge).status_code == 400
    assert client.post("/moderation/pub_nothing/decide/", {**values, "action": "remove"}).status_code == 404
    assert client.get("/moderation/pub_nothing/").status_code == 404
    assert not ModerationDecision.objects.exists()


def test_two_moderators_at_once_the_second_is_told(team: Team, staff: User) -> None:
    work = reported(team)
    first, second = as_client(staff), as_client(UserFactory(is_staff=True))
    values = form_of(html(first.get(detail(work))))
    assert form_of(html(second.get(detail(work)))) == values
    assert first.post(decide(work), {**values, "action": "remove", "note": ""}).status_code == 302
    late = second.post(decide(work), {**values, "action": "restore", "note": ""}, follow=True)
    assert late.status_code == 200 and "Someone decided on this work meanwhile" in html(late)
    # A double submission of the first makes no second decision.
    assert first.post(decide(work), {**values, "action": "remove", "note": ""}).status_code == 302
    assert ModerationDecision.objects.count() == 1
    work.refresh_from_db()
    assert work.status == PublicationStatus.REMOVED


def test_the_pages_in_chinese(team: Team, staff: User) -> None:
    work = reported(team)
    client = as_client(staff)
    client.cookies["django_language"] = "zh-hans"
    queue = html(client.get(QUEUE))
    assert '<html lang="zh-hans">' in queue
    assert "审核" in queue and "条未处理的举报" in queue and "Moderation" not in queue
    page = html(client.get(detail(work)))
    for chinese in ("作出决定", "恢复", "从画廊移除", "警告创作者", "历史"):
        assert chinese in page, chinese
    for english in ("Decide", "Open reports", "History", "Removing takes the work"):
        assert english not in page, english
