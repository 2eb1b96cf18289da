"""`/`: the public home for visitors (what Storyloom does, the gallery's best works, verify, sign
up) and the dashboard for people logged in (their projects, renders in progress, works waiting for
their confirmation, activity), never showing another person's private project or render."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from generation.models import Job, JobKind, JobStatus
from projects.models import Activity, Project
from projects.roles import Role
from recommend import serving
from recommend.models import PublicationStatus
from recommend.services import like_set
from rights.models import Owner, RegistrationMode, Work, WorkStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, Team
from tests.recommend.gallery_data import publish, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gallery(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    serving.reset()


def html(response: Any) -> str:
    return response.content.decode()


def _job(project: Project, user: User, *, status: str, progress: float = 0.0, prompt: str = "") -> Job:
    return Job.objects.create(project=project, requester=user, kind=JobKind.VIDEO, preset="tiny-ltx-video",
                              prompt=prompt or f"a {status} render", width=256, height=256, frames=9,
                              steps=4, guidance=3.0, seed=1, status=status, progress=progress)


def _work(project: Project | None, maker: User, *, title: str, status: str,
          owners: list[tuple[User, bool]], entitled: dict[str, int] | None = None) -> Work:
    work = Work.objects.create(title=title, created_by=maker, project=project, mime="image/png", size=100,
                               sha256=hashlib.sha256(title.encode()).hexdigest(), iscc="ISCC:TEST",
                               terms_sha256="0" * 64,
                               mode=RegistrationMode.SINGLE, status=status, entitled=entitled or {})
    for position, (user, confirmed) in enumerate(owners):
        Owner.objects.create(work=work, user=user, address=f"0x{position + 1:040x}",
                             bps=10_000 // len(owners), position=position,
                             confirmed_at=work.created_at if confirmed else None)
    return work


# --- the public home ---------------------------------------------------------------------------


def test_a_visitor_sees_the_home_with_the_best_works_sign_up_and_verify(client: Client, team: Team) -> None:
    quiet = publish(team.project, team.owner, title="Quiet harbour", tags=["ocean"], seed=1)
    loved = publish(team.project, team.owner, title="Lanterns on the bay", tags=["ocean"], seed=2)
    register(loved.asset, team.owner)
    for fan in UserFactory.create_batch(2):
        like_set(user=fan, publication_id=loved.public_id, liked=True)
    response = client.get("/")
    assert response.status_code == 200  # no redirect to the log-in form any more
    page = html(response)
    assert "Write a story together. Watch it become video." in page
    for feature in ("Co-write storyboards live", "Render video", "Register and verify rights",
                    "A gallery that learns your taste"):
        assert feature in page
    # the gallery's best works, the most liked first, with their links, creators and registration
    assert page.index("Lanterns on the bay") < page.index("Quiet harbour")
    assert reverse("gallery:work", args=[loved.public_id]) in page
    assert reverse("gallery:work", args=[quiet.public_id]) in page
    assert "2 likes" in page and "✓ Registered" in page
    assert f'href="{reverse("accounts:signup")}"' in page and f'href="{reverse("accounts:login")}"' in page
    assert f'action="{reverse("verify")}"' in page and 'name="query"' in page
    # the project itself stays private: only what was published shows
    assert "Moon Loom" not in page and "A storyboard about looms." not in page


def test_the_home_leaves_out_unpublished_works_and_says_when_there_are_none(client: Client,
                                                                             team: Team) -> None:
    hidden = publish(team.project, team.owner, title="Taken down", tags=["city"], seed=3)
    hidden.status = PublicationStatus.HELD
    hidden.save(update_fields=["status"])
    page = html(client.get("/"))
    assert "Taken down" not in page
    assert "Nothing published yet." in page


def test_the_home_in_chinese(client: Client, team: Team) -> None:
    publish(team.project, team.owner, title="Lanterns on the bay", tags=["ocean"], seed=2)
    page = html(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert '<html lang="zh-hans">' in page
    for chinese in ("一起写故事，看它变成视频。", "实时共写分镜", "渲染视频", "登记并验证版权",
                    "懂你口味的画廊", "来自画廊", "查看谁拥有一件作品", "注册", "登录", "验证"):
        assert chinese in page, chinese
    for english in ("Write a story together", "Co-write storyboards live", "From the gallery",
                    "Check who owns a work", "Start your first storyboard"):
        assert english not in page, english


def test_head_and_other_methods(client: Client) -> None:
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405


def test_the_visitor_home_costs_a_bounded_number_of_queries(client: Client, team: Team,
                                                            django_assert_max_num_queries: Any) -> None:
    for n in range(8):
        publish(team.project, team.owner, title=f"Work {n}", tags=["ocean", f"t{n}"], seed=n)
    with django_assert_max_num_queries(6):  # one query per part, however many works there are
        assert client.get("/").status_code == 200


# --- the dashboard -----------------------------------------------------------------------------


@pytest.fixture
def others() -> dict[str, Any]:
    """Another person's private project, with its render, work and activity."""
    stranger = UserFactory.create(display_name="Stranger Danger")
    secret = ProjectFactory.create(name="Secret Garden", created_by=stranger)
    MembershipFactory(project=secret, user=stranger, role=Role.OWNER)
    job = _job(secret, stranger, status=JobStatus.RUNNING, progress=55, prompt="a hidden waterfall")
    work = _work(secret, stranger, title="Hidden Painting", status=WorkStatus.CONFIRMING,
                 owners=[(stranger, False)])
    Activity.objects.create(project=secret, actor=stranger, verb="project.renamed",
                            data={"name": "Secret Garden"})
    return {"user": stranger, "project": secret, "job": job, "work": work}


def test_the_dashboard_shows_exactly_the_persons_own(as_user: Any, team: Team,
                                                     others: dict[str, Any]) -> None:
    editor = team.editor
    running = _job(team.project, editor, status=JobStatus.RUNNING, progress=42.4, prompt="a loom at night")
    queued = _job(team.project, editor, status=JobStatus.QUEUED, prompt="morning mist")
    _job(team.project, editor, status=JobStatus.SUCCEEDED, progress=100, prompt="an old finished render")
    _job(team.project, team.owner, status=JobStatus.RUNNING, prompt="the owner's own render")
    awaiting = _work(team.project, team.owner, title="Loom Triptych", status=WorkStatus.CONFIRMING,
                     owners=[(team.owner, True), (editor, False)])
    _work(team.project, team.owner, title="Already Confirmed", status=WorkStatus.CONFIRMING,
          owners=[(team.owner, False), (editor, True)])
    cut = _work(team.project, team.owner, title="Share Cut", status=WorkStatus.DRAFT,
                owners=[(team.owner, True)], entitled={str(editor.pk): 5000})
    Activity.objects.create(project=team.project, actor=team.owner, verb="project.renamed",
                            data={"name": "Moon Loom"})
    archived = ProjectFactory.create(name="Dusty Archive", created_by=editor)
    MembershipFactory(project=archived, user=editor, role=Role.OWNER)
    Project.objects.filter(pk=archived.pk).update(archived_at=archived.created_at)

    response = as_user(editor).get("/")
    assert response.status_code == 200
    page = html(response)
    assert "Welcome back" in page
    # their projects (not archived ones), with a way to start a new one
    assert "Moon Loom" in page and reverse("projects:detail", args=[team.project.pk]) in page
    assert "Dusty Archive" not in page
    assert f'{reverse("projects:list")}#new-project' in page
    # their renders in progress, running first, with progress and a link to the project's studio
    assert running.public_id in page and queued.public_id in page
    assert page.index(running.public_id) < page.index(queued.public_id)
    assert 'value="42"' in page and "42%" in page
    assert f'{reverse("projects:detail", args=[team.project.pk])}#studio' in page
    assert "an old finished render" not in page and "the owner&#x27;s own render" not in page
    # works waiting for their word
    assert reverse("works:detail", args=[awaiting.public_id]) in page
    assert reverse("works:detail", args=[cut.public_id]) in page
    assert "Already Confirmed" not in page
    # activity in their projects
    assert "renamed the project to “Moon Loom”" in page
    # nothing of the stranger's private project
    for private in ("Secret Garden", "Stranger Danger", "a hidden waterfall", "Hidden Painting",
                    others["job"].public_id, others["work"].public_id):
        assert private not in page, private


def test_a_new_person_sees_empty_states(as_user: Any, others: dict[str, Any]) -> None:
    page = html(as_user(UserFactory()).get("/"))
    assert "No projects yet." in page
    assert "Nothing is rendering for you right now." in page
    assert "No work is waiting for you." in page
    assert "Nothing has happened in your projects yet." in page
    assert "Secret Garden" not in page


def test_staff_see_only_their_own_on_the_dashboard(as_user: Any, others: dict[str, Any]) -> None:
    page = html(as_user(UserFactory(is_staff=True, is_superuser=True)).get("/"))
    for private in ("Secret Garden", "a hidden waterfall", "Hidden Painting"):
        assert private not in page, private


@pytest.mark.parametrize("query", ["?page=99999999999999999999", "?next=//evil.example",
                                   "?q=%00%ff" + "x" * 5000])
def test_odd_query_strings_change_nothing(client: Client, as_user: Any, team: Team, query: str) -> None:
    assert client.get("/" + query).status_code == 200
    response = as_user(team.owner).get("/" + query)
    assert response.status_code == 200 and 'href="//evil.example' not in response.content.decode()


def test_a_former_member_no_longer_sees_the_project(as_user: Any, team: Team) -> None:
    _job(team.project, team.viewer, status=JobStatus.QUEUED, prompt="left behind")
    Activity.objects.create(project=team.project, actor=team.owner, verb="project.described")
    team.membership(team.viewer).delete()
    page = html(as_user(team.viewer).get("/"))
    assert "Moon Loom" not in page and "left behind" not in page and "changed the description" not in page


def test_pending_invitations_are_pointed_out(as_user: Any, team: Team) -> None:
    from tests.projects.factories import InvitationFactory

    InvitationFactory(project=team.project, invitee=team.outsider)
    page = html(as_user(team.outsider).get("/"))
    assert "You have 1 invitation to a project waiting." in page
    assert reverse("projects:invitations") in page


def test_the_dashboard_costs_a_bounded_number_of_queries(as_user: Any, team: Team,
                                                         django_assert_max_num_queries: Any) -> None:
    client = as_user(team.editor)
    for n in range(5):
        project = ProjectFactory.create(name=f"Extra {n}", created_by=team.editor)
        MembershipFactory(project=project, user=team.editor, role=Role.OWNER)
        _job(project, team.editor, status=JobStatus.RUNNING, progress=10 * n)
        _work(project, team.owner, title=f"Shared {n}", status=WorkStatus.CONFIRMING,
              owners=[(team.owner, True), (team.editor, False)])
        Activity.objects.create(project=project, actor=team.owner, verb="project.described")
    with django_assert_max_num_queries(11):  # session and navigation, then one or two per part
        assert client.get("/").status_code == 200


def test_log_in_lands_on_the_dashboard(client: Client, team: Team) -> None:
    from tests.accounts.factories import DEFAULT_PASSWORD

    response = client.post(reverse("accounts:login"), {"username": team.owner.username,
                                                       "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home") == "/"


# --- the navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_navigation_has_verify_and_the_logo_goes_home(client: Client, team: Team,
                                                          signed_in: bool) -> None:
    if signed_in:
        client.force_login(team.owner)
    page = html(client.get(reverse("gallery:home") if not signed_in else reverse("projects:list")))
    header = page.partition("</header>")[0]
    main_nav = header.split('class="site-nav"', 1)[1]
    assert 'class="brand" href="/"' in header
    assert f'href="{reverse("verify")}"' in main_nav
    assert "/api/docs/" not in header  # in the footer now
    footer = page.split('<footer class="site-footer', 1)[1]
    assert f'href="{reverse("api-docs")}"' in footer
