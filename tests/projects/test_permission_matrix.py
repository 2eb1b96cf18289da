"""Each role x each action, through the services and selectors, then through the API.

The rule is written out here (ALLOWED) rather than derived from projects.roles, and a test
checks that MIN_ROLE says the same thing.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from collab import selectors as collab_selectors
from collab import services as collab_services
from collab.models import StoryboardUpdate, StoryboardVersion
from generation import services as generation_services
from generation.models import Asset, Job
from kernel.errors import NotFound, PermissionDenied, ServiceError
from projects import selectors, services
from projects.models import Activity, Invitation, InvitationStatus, Membership, Project
from projects.roles import ALLOWED_WHEN_ARCHIVED, MIN_ROLE, RANK, Action, Role
from recommend import services as gallery
from recommend.models import Publication
from rights import services as register_works
from rights.models import Work
from tests.accounts.factories import UserFactory
from tests.generation.factories import image_render
from tests.projects.factories import InvitationFactory, MembershipFactory, Team

pytestmark = pytest.mark.django_db

MEMBERS = ["owner", "editor", "viewer"]
ACTORS = [*MEMBERS, "outsider", "anonymous"]

ALLOWED: dict[str, set[str]] = {
    Action.VIEW: {"owner", "editor", "viewer"},
    Action.VIEW_ACTIVITY: {"owner", "editor", "viewer"},
    Action.UPDATE: {"owner", "editor"},
    Action.ARCHIVE: {"owner"},
    Action.DELETE: {"owner"},
    Action.INVITE: {"owner"},
    Action.CHANGE_ROLE: {"owner"},
    Action.REMOVE_MEMBER: {"owner"},
    Action.REVOKE_INVITATION: {"owner"},
    Action.EDIT_STORYBOARD: {"owner", "editor"},
    Action.SAVE_VERSION: {"owner", "editor"},
    Action.RESTORE_VERSION: {"owner", "editor"},
    Action.GENERATE: {"owner", "editor"},
    Action.REGISTER_WORK: {"owner", "editor"},
    Action.PUBLISH: {"owner"},
}
REFUSED_WHEN_ARCHIVED = {Action.UPDATE, Action.INVITE, Action.EDIT_STORYBOARD,
                         Action.SAVE_VERSION, Action.RESTORE_VERSION, Action.GENERATE}


def actor_of(team: Team, who: str) -> User | AnonymousUser:
    return AnonymousUser() if who == "anonymous" else team.user(who)


def snapshot(project_id: int) -> Any:
    """Everything an action could change, to prove a refused one changed nothing."""
    return (
        list(Project.objects.filter(pk=project_id).values("name", "description", "archived_at")),
        sorted(Membership.objects.filter(project_id=project_id).values_list("user_id", "role")),
        sorted(Invitation.objects.filter(project_id=project_id).values_list("id", "status")),
        Activity.objects.filter(project_id=project_id).count(),
        StoryboardUpdate.objects.filter(document__project_id=project_id).count(),
        StoryboardVersion.objects.filter(document__project_id=project_id).count(),
        Job.objects.filter(project_id=project_id).count(),
        Work.objects.filter(project_id=project_id).count(),
        Publication.objects.filter(project_id=project_id).count(),
    )


@dataclass
class Case:
    """An action done through a service or selector.

    `setup` prepares what the action needs (as the owner, through factories) and returns it;
    `perform` does the action as the user under test and returns a check of its effect.
    """

    id: str
    action: str
    perform: Callable[[Team, Any, Any], Callable[[], None]]
    setup: Callable[[Team], Any] = lambda team: None
    verb: str | None = None


def expect(condition: bool, what: str) -> None:
    assert condition, what


def view(team: Team, user: Any, _: Any) -> Callable[[], None]:
    project = selectors.project_get(project_id=team.project.id, user=user)
    return lambda: expect(project == team.project, "the project")


def view_members(team: Team, user: Any, _: Any) -> Callable[[], None]:
    members = {m.user for m in selectors.member_list(project=team.project, user=user)}
    return lambda: expect(members == {team.owner, team.editor, team.viewer}, "the members")


def view_invitations(team: Team, user: Any, pending: Invitation) -> Callable[[], None]:
    listed = list(selectors.invitation_list_for_project(project=team.project, user=user))
    return lambda: expect(listed == [pending], "the pending invitation")


def renamed(team: Team) -> None:
    services.project_update(project=team.project, user=team.owner, name="Seen")


def view_activity(team: Team, user: Any, _: Any) -> Callable[[], None]:
    verbs = [a.verb for a in selectors.activity_list(project=team.project, user=user)]
    return lambda: expect("project.renamed" in verbs, f"the activity, not {verbs}")


def update(team: Team, user: Any, _: Any) -> Callable[[], None]:
    services.project_update(project=team.project, user=user, name="Renamed", description="New")

    def check() -> None:
        team.project.refresh_from_db()
        assert (team.project.name, team.project.description) == ("Renamed", "New")
    return check


def archive(team: Team, user: Any, _: Any) -> Callable[[], None]:
    services.project_set_archived(project=team.project, user=user, archived=True)

    def check() -> None:
        team.project.refresh_from_db()
        assert team.project.is_archived
    return check


def archived(team: Team) -> None:
    services.project_set_archived(project=team.project, user=team.owner, archived=True)


def unarchive(team: Team, user: Any, _: Any) -> Callable[[], None]:
    services.project_set_archived(project=team.project, user=user, archived=False)

    def check() -> None:
        team.project.refresh_from_db()
        assert not team.project.is_archived
    return check


def delete(team: Team, user: Any, _: Any) -> Callable[[], None]:
    services.project_delete(project=team.project, user=user, confirm_name=team.project.name)
    return lambda: expect(not Project.objects.filter(pk=team.project.pk).exists(), "deleted")


def invite(team: Team, user: Any, newcomer: User) -> Callable[[], None]:
    services.invitation_create(project=team.project, user=user, invitee=newcomer.username,
                               role=Role.VIEWER)
    return lambda: expect(Invitation.objects.filter(
        project=team.project, invitee=newcomer, status=InvitationStatus.PENDING,
        role=Role.VIEWER).exists(), "an invitation")


def extra_member(team: Team) -> Membership:
    return MembershipFactory.create(project=team.project, role=Role.VIEWER)


def change_role(team: Team, user: Any, target: Membership) -> Callable[[], None]:
    services.membership_change_role(project=team.project, user=user, membership_id=target.pk,
                                    role=Role.EDITOR)

    def check() -> None:
        target.refresh_from_db()
        assert target.role == Role.EDITOR
    return check


def remove_member(team: Team, user: Any, target: Membership) -> Callable[[], None]:
    services.membership_remove(project=team.project, user=user, membership_id=target.pk)
    return lambda: expect(not Membership.objects.filter(pk=target.pk).exists(), "removed")


def pending_invitation(team: Team) -> Invitation:
    return InvitationFactory.create(project=team.project, invited_by=team.owner)


def revoke_invitation(team: Team, user: Any, invitation: Invitation) -> Callable[[], None]:
    services.invitation_revoke(project=team.project, user=user, invitation_id=invitation.pk)

    def check() -> None:
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.REVOKED
    return check


def add_scene(team: Team, user: Any, _: Any) -> Callable[[], None]:
    collab_services.scene_add(project=team.project, user=user, prompt="a quiet harbour")
    return lambda: expect([s["prompt"] for s in storyboard(team)["scenes"]] == ["a quiet harbour"],
                          "the scene")


def storyboard(team: Team) -> dict:
    return collab_selectors.storyboard_get(project=team.project, user=team.owner)


def save_version(team: Team, user: Any, _: Any) -> Callable[[], None]:
    version = collab_services.version_save(project=team.project, user=user, label="draft 1")
    return lambda: expect(StoryboardVersion.objects.filter(pk=version.pk).exists(), "saved")


def saved_version(team: Team) -> StoryboardVersion:
    collab_services.scene_add(project=team.project, user=team.owner, prompt="first take")
    version = collab_services.version_save(project=team.project, user=team.owner, label="v1")
    collab_services.scene_add(project=team.project, user=team.owner, prompt="second take")
    return version


def restore_version(team: Team, user: Any, version: StoryboardVersion) -> Callable[[], None]:
    collab_services.version_restore(project=team.project, user=user, version_id=version.pk)
    return lambda: expect([s["prompt"] for s in storyboard(team)["scenes"]] == ["first take"],
                          "restored")


def generate(team: Team, user: Any, _: Any) -> Callable[[], None]:
    job = generation_services.job_submit(project=team.project, user=user, kind="video",
                                         preset="tiny-ltx-video", prompt="a lighthouse")
    return lambda: expect(Job.objects.filter(pk=job.pk, requester=user).exists(), "a queued job")


def project_asset(team: Team) -> Asset:
    """A rendered image of the project's (made directly: what a finished job leaves)."""
    buffer = io.BytesIO()
    Image.effect_mandelbrot((32, 32), (-2, -1.5, 1, 1.5), 50).convert("RGB").save(buffer, "PNG")
    return image_render(team.project, team.editor, buffer.getvalue(), size=32, prompt="a lantern", seed=1)


def register(team: Team, user: Any, asset: Asset) -> Callable[[], None]:
    work, _similar = register_works.work_create(user=user, title="The lantern", licence="cc-by-4.0",
                                                asset_id=asset.pk)
    return lambda: expect(work.owners.filter(user=team.editor).exists(), "its requester co-owns it")


def publish(team: Team, user: Any, asset: Asset) -> Callable[[], None]:
    publication = gallery.publication_publish(project=team.project, user=user, asset_id=asset.pk,
                                              title="The lantern", tags=["night"])
    return lambda: expect(publication.tags.filter(name="night").exists(), "published with its tags")


CASES = [
    Case("project_get", Action.VIEW, view),
    Case("member_list", Action.VIEW, view_members),
    Case("invitation_list_for_project", Action.VIEW, view_invitations, pending_invitation),
    Case("activity_list", Action.VIEW_ACTIVITY, view_activity, renamed),
    Case("project_update", Action.UPDATE, update, verb="project.renamed"),
    Case("archive", Action.ARCHIVE, archive, verb="project.archived"),
    Case("unarchive", Action.ARCHIVE, unarchive, archived, verb="project.unarchived"),
    Case("project_delete", Action.DELETE, delete),
    Case("invitation_create", Action.INVITE, invite, lambda team: UserFactory(),
         verb="member.invited"),
    Case("membership_change_role", Action.CHANGE_ROLE, change_role, extra_member,
         verb="member.role_changed"),
    Case("membership_remove", Action.REMOVE_MEMBER, remove_member, extra_member,
         verb="member.removed"),
    Case("invitation_revoke", Action.REVOKE_INVITATION, revoke_invitation, pending_invitation,
         verb="invitation.revoked"),
    Case("scene_add", Action.EDIT_STORYBOARD, add_scene, verb="storyboard.scene_added"),
    Case("version_save", Action.SAVE_VERSION, save_version, verb="storyboard.version_saved"),
    Case("version_restore", Action.RESTORE_VERSION, restore_version, saved_version,
         verb="storyboard.version_restored"),
    Case("job_submit", Action.GENERATE, generate),
    Case("work_create", Action.REGISTER_WORK, register, project_asset),
    Case("publication_publish", Action.PUBLISH, publish, project_asset),
]


def test_every_action_is_in_the_matrix() -> None:
    assert {case.action for case in CASES} == set(Action.values) == set(ALLOWED)
    assert set(MIN_ROLE) == set(Action.values)


@pytest.mark.parametrize("action", Action.values)
def test_min_role_says_what_the_matrix_says(action: str) -> None:
    by_rank = {role for role in MEMBERS if RANK[Role(role)] >= RANK[MIN_ROLE[action]]}
    assert by_rank == ALLOWED[action]


def test_archived_projects_refuse_exactly_the_writes() -> None:
    assert set(Action.values) - ALLOWED_WHEN_ARCHIVED == REFUSED_WHEN_ARCHIVED


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_service_matrix(team: Team, case: Case, who: str) -> None:
    user = actor_of(team, who)
    context = case.setup(team)
    if who in ALLOWED[case.action]:
        check = case.perform(team, user, context)
        check()
        if case.verb:
            assert Activity.objects.filter(project=team.project, verb=case.verb,
                                           actor=team.user(who)).count() == 1
        return

    before = snapshot(team.project.pk)
    with pytest.raises(ServiceError) as caught:
        case.perform(team, user, context)
    error = caught.value
    if who in MEMBERS:
        assert isinstance(error, PermissionDenied)
        assert error.code == "permission_denied"
        assert error.status == 403
        assert str(Role(who).label) in error.message  # says which role it is
    else:  # a project's existence is not revealed to non-members
        assert isinstance(error, NotFound)
        assert error.code == "not_found"
    assert snapshot(team.project.pk) == before


# --- accept / decline: only the invitee ---

INVITATION_ACTORS = ["invitee", *ACTORS]


@pytest.mark.parametrize("who", INVITATION_ACTORS)
@pytest.mark.parametrize("respond", ["accept", "decline"])
def test_invitation_response_matrix(team: Team, who: str, respond: str) -> None:
    invitee = UserFactory.create()
    invitation = InvitationFactory(project=team.project, invited_by=team.owner, invitee=invitee,
                                   role=Role.VIEWER)
    user = invitee if who == "invitee" else actor_of(team, who)
    service = services.invitation_accept if respond == "accept" else services.invitation_decline
    if who == "invitee":
        service(invitation_id=invitation.pk, user=user)
        invitation.refresh_from_db()
        expected = InvitationStatus.ACCEPTED if respond == "accept" else InvitationStatus.DECLINED
        assert invitation.status == expected
        assert invitation.responded_at is not None
        is_member = Membership.objects.filter(project=team.project, user=invitee,
                                              role=Role.VIEWER).exists()
        assert is_member == (respond == "accept")
        verb = "member.joined" if respond == "accept" else "member.declined"
        assert Activity.objects.filter(project=team.project, verb=verb, actor=invitee).exists()
        return
    before = snapshot(team.project.pk)
    with pytest.raises(ServiceError) as caught:
        service(invitation_id=invitation.pk, user=user)
    if who == "anonymous":
        assert isinstance(caught.value, PermissionDenied)
        assert caught.value.code == "not_authenticated"
    else:
        assert isinstance(caught.value, NotFound)
    assert snapshot(team.project.pk) == before


@pytest.mark.parametrize("who", ACTORS)
def test_anyone_signed_in_creates_projects(db: None, who: str) -> None:
    user = AnonymousUser() if who == "anonymous" else UserFactory()
    if who == "anonymous":
        with pytest.raises(PermissionDenied) as caught:
            services.project_create(user=user, name="Mine")
        assert caught.value.code == "not_authenticated"
        assert not Project.objects.exists()
        return
    project = services.project_create(user=user, name="Mine")
    assert Membership.objects.get(project=project).role == Role.OWNER


@pytest.mark.parametrize("who", ["editor", "viewer"])
def test_any_member_may_leave(team: Team, who: str) -> None:
    me = team.membership(team.user(who))
    services.membership_remove(project=team.project, user=team.user(who), membership_id=me.pk)
    assert not Membership.objects.filter(pk=me.pk).exists()
    assert Activity.objects.filter(project=team.project, verb="member.left",
                                   actor=team.user(who)).exists()


@pytest.mark.parametrize("who", ["editor", "viewer", "outsider", "anonymous"])
def test_only_owners_remove_others(team: Team, who: str) -> None:
    target = team.membership(team.viewer if who != "viewer" else team.editor)
    with pytest.raises((PermissionDenied, NotFound)) as caught:
        services.membership_remove(project=team.project, user=actor_of(team, who),
                                   membership_id=target.pk)
    expected = PermissionDenied if who in MEMBERS else NotFound
    assert type(caught.value) is expected
    assert Membership.objects.filter(pk=target.pk).exists()


def test_project_list_shows_only_the_users_projects(team: Team) -> None:
    other = MembershipFactory(user=team.outsider, role=Role.OWNER).project
    for who in MEMBERS:
        assert list(selectors.project_list(user=team.user(who))) == [team.project]
    assert list(selectors.project_list(user=team.outsider)) == [other]
    assert list(selectors.project_list(user=AnonymousUser())) == []


# --- archived ---


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_archived_project_matrix_for_the_owner(team: Team, case: Case) -> None:
    context = case.setup(team)
    if case.id == "archive":  # archiving it again is a no-op, tested with the services
        return
    if not team.project.is_archived:
        archived(team)
    if case.action in REFUSED_WHEN_ARCHIVED:
        before = snapshot(team.project.pk)
        with pytest.raises(PermissionDenied) as caught:
            case.perform(team, team.owner, context)
        assert caught.value.code == "archived"
        assert snapshot(team.project.pk) == before
    else:
        case.perform(team, team.owner, context)()


def test_archived_project_refuses_an_editors_update_as_archived(team: Team) -> None:
    services.project_set_archived(project=team.project, user=team.owner, archived=True)
    with pytest.raises(PermissionDenied) as caught:
        services.project_update(project=team.project, user=team.editor, name="No")
    assert caught.value.code == "archived"
    with pytest.raises(PermissionDenied) as caught:
        services.project_update(project=team.project, user=team.viewer, name="No")
    assert caught.value.code == "permission_denied"  # the role is the first reason


# --- the same matrix through the API: status codes ---


@dataclass
class Endpoint:
    id: str
    action: str
    method: str
    path: str  # formatted with the project id, `extra` membership and `invitation`
    body: dict[str, Any] | None
    ok: int


ENDPOINTS = [
    Endpoint("get", Action.VIEW, "get", "/api/v1/projects/{p}", None, 200),
    Endpoint("members", Action.VIEW, "get", "/api/v1/projects/{p}/members", None, 200),
    Endpoint("invitations", Action.VIEW, "get", "/api/v1/projects/{p}/invitations", None, 200),
    Endpoint("activity", Action.VIEW_ACTIVITY, "get", "/api/v1/projects/{p}/activity", None, 200),
    Endpoint("update", Action.UPDATE, "patch", "/api/v1/projects/{p}", {"name": "API"}, 200),
    Endpoint("archive", Action.ARCHIVE, "post", "/api/v1/projects/{p}/archive", None, 200),
    Endpoint("delete", Action.DELETE, "delete", "/api/v1/projects/{p}",
             {"confirm_name": "{name}"}, 204),
    Endpoint("invite", Action.INVITE, "post", "/api/v1/projects/{p}/invitations",
             {"invitee": "{newcomer}"}, 201),
    Endpoint("change_role", Action.CHANGE_ROLE, "patch", "/api/v1/projects/{p}/members/{extra}",
             {"role": "editor"}, 200),
    Endpoint("remove", Action.REMOVE_MEMBER, "delete", "/api/v1/projects/{p}/members/{extra}",
             None, 204),
    Endpoint("revoke", Action.REVOKE_INVITATION, "delete",
             "/api/v1/projects/{p}/invitations/{invitation}", None, 204),
    Endpoint("storyboard", Action.VIEW, "get", "/api/v1/projects/{p}/storyboard", None, 200),
    Endpoint("versions", Action.VIEW, "get", "/api/v1/projects/{p}/storyboard/versions", None, 200),
    Endpoint("version", Action.VIEW, "get", "/api/v1/projects/{p}/storyboard/versions/{version}",
             None, 200),
    Endpoint("contributions", Action.VIEW, "get", "/api/v1/projects/{p}/storyboard/contributions",
             None, 200),
    Endpoint("scene_add", Action.EDIT_STORYBOARD, "post", "/api/v1/projects/{p}/storyboard/scenes",
             {"prompt": "from the API"}, 201),
    Endpoint("version_save", Action.SAVE_VERSION, "post", "/api/v1/projects/{p}/storyboard/versions",
             {"label": "API draft"}, 201),
    Endpoint("version_restore", Action.RESTORE_VERSION, "post",
             "/api/v1/projects/{p}/storyboard/versions/{version}/restore", None, 200),
    Endpoint("jobs", Action.VIEW, "get", "/api/v1/projects/{p}/jobs", None, 200),
    Endpoint("job_submit", Action.GENERATE, "post", "/api/v1/projects/{p}/jobs",
             {"kind": "image", "preset": "tiny-pixart", "prompt": "from the API", "steps": "2"}, 201),
    Endpoint("works", Action.VIEW, "get", "/api/v1/projects/{p}/works", None, 200),
    Endpoint("work_create", Action.REGISTER_WORK, "post", "/api/v1/projects/{p}/works",
             {"asset": "{asset}", "title": "From the API", "licence": "cc-by-4.0"}, 201),
    Endpoint("publications", Action.VIEW, "get", "/api/v1/projects/{p}/publications", None, 200),
    Endpoint("publish", Action.PUBLISH, "post", "/api/v1/projects/{p}/publications",
             {"asset": "{asset}", "title": "From the API"}, 201),
]


def test_the_api_matrix_covers_every_action() -> None:
    assert {endpoint.action for endpoint in ENDPOINTS} == set(Action.values)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.id)
def test_api_matrix(team: Team, api: APIClient, endpoint: Endpoint, who: str) -> None:
    values = {
        "p": team.project.pk, "name": team.project.name, "newcomer": UserFactory().username,
        "extra": extra_member(team).pk,
        "invitation": InvitationFactory(project=team.project, invited_by=team.owner).pk,
        "version": saved_version(team).pk,
        "asset": project_asset(team).pk,
    }
    path = endpoint.path.format(**values)
    body = {k: v.format(**values) for k, v in (endpoint.body or {}).items()}
    if who != "anonymous":
        api.force_login(team.user(who))
    before = snapshot(team.project.pk)
    response = getattr(api, endpoint.method)(path, body, format="json")
    if who in ALLOWED[endpoint.action]:
        assert response.status_code == endpoint.ok, response.json()
        return
    expected = {"anonymous": (401, "not_authenticated"), "outsider": (404, "not_found")}.get(
        who, (403, "permission_denied"))
    assert response.status_code == expected[0], response.json()
    assert response.json()["error"]["code"] == expected[1]
    assert snapshot(team.project.pk) == before


@pytest.mark.parametrize("who", ["invitee", *ACTORS])
def test_api_invitation_response_matrix(team: Team, api: APIClient, who: str) -> None:
    invitee = UserFactory.create()
    invitation = InvitationFactory(project=team.project, invited_by=team.owner, invitee=invitee)
    if who == "invitee":
        api.force_login(invitee)
    elif who != "anonymous":
        api.force_login(team.user(who))
    response = api.post(f"/api/v1/invitations/{invitation.pk}/accept")
    expected = {"invitee": 200, "anonymous": 401}.get(who, 404)
    assert response.status_code == expected
    invitation.refresh_from_db()
    assert (invitation.status == InvitationStatus.ACCEPTED) == (who == "invitee")
