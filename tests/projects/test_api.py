"""Every endpoint of projects/api/urls.py, through DRF's test client."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import User
from projects.activity import verb_text
from projects.models import Activity, Invitation, InvitationStatus, Membership, Project
from projects.roles import Role
from tests.accounts.factories import ApiTokenFactory, UserFactory
from tests.core.helpers import assert_error
from tests.projects.factories import InvitationFactory, MembershipFactory, Team

pytestmark = pytest.mark.django_db


def as_user(api: APIClient, user: User) -> APIClient:
    api.force_login(user)
    return api


def test_create_and_list_projects(api: APIClient) -> None:
    user = UserFactory()
    as_user(api, user)
    response = api.post("/api/v1/projects", {"name": "Loom", "description": "Threads"},
                        format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Loom"
    assert created["role"] == "owner"
    assert created["is_archived"] is False
    MembershipFactory(user=user, role=Role.VIEWER)  # someone else's project, shared with user
    MembershipFactory()  # not shared
    listed = api.get("/api/v1/projects").json()
    assert listed["count"] == 2
    assert {p["role"] for p in listed["results"]} == {"owner", "viewer"}


def test_create_project_errors(api: APIClient) -> None:
    as_user(api, UserFactory())
    assert_error(api.post("/api/v1/projects", {}, format="json"), 400, "invalid",
                 fields={"name"})
    assert_error(api.post("/api/v1/projects", {"name": "x" * 121}, format="json"), 400,
                 "invalid", fields={"name"})
    assert_error(api.post("/api/v1/projects", {"name": "   "}, format="json"), 400, "invalid",
                 fields={"name"})
    assert not Project.objects.exists()


def test_project_list_filters_archived(api: APIClient, team: Team) -> None:
    archived = MembershipFactory(user=team.owner, role=Role.OWNER).project
    archived.archived_at = timezone.now()
    archived.save()
    as_user(api, team.owner)

    def ids(query: dict[str, str]) -> set[int]:
        return {p["id"] for p in api.get("/api/v1/projects", query).json()["results"]}

    assert ids({}) == {team.project.id}
    assert ids({"archived": "false"}) == {team.project.id}
    assert ids({"archived": "true"}) == {archived.id}
    assert ids({"archived": "ALL"}) == {team.project.id, archived.id}
    assert_error(api.get("/api/v1/projects", {"archived": "maybe"}), 400, "invalid",
                 fields={"archived"})


def test_project_list_pagination_is_capped_at_100(api: APIClient) -> None:
    user = UserFactory.create()
    projects = Project.objects.bulk_create(Project(name=f"P{i}") for i in range(105))
    Membership.objects.bulk_create(Membership(project=p, user=user, role=Role.VIEWER)
                                   for p in projects)
    as_user(api, user)
    page = api.get("/api/v1/projects").json()
    assert page["count"] == 105
    assert len(page["results"]) == 20
    assert page["next"].endswith("/api/v1/projects?page=2")
    assert all(p["role"] == "viewer" for p in page["results"])
    capped = api.get("/api/v1/projects", {"page_size": 1000}).json()
    assert len(capped["results"]) == 100
    rest = api.get(capped["next"]).json()
    assert len(rest["results"]) == 5 and rest["next"] is None
    seen = {p["id"] for p in capped["results"]} | {p["id"] for p in rest["results"]}
    assert seen == {p.id for p in projects}
    assert len(api.get("/api/v1/projects", {"page_size": 7}).json()["results"]) == 7


def test_project_detail_update_and_delete(api: APIClient, team: Team) -> None:
    url = f"/api/v1/projects/{team.project.pk}"
    as_user(api, team.editor)
    body = api.get(url).json()
    assert (body["id"], body["role"]) == (team.project.pk, "editor")
    response = api.patch(url, {"name": "Renamed", "description": "More"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("Renamed", "More")
    assert_error(api.patch(url, {"name": ""}, format="json"), 400, "invalid", fields={"name"})
    assert_error(api.delete(url, {"confirm_name": "Renamed"}, format="json"), 403,
                 "permission_denied")

    as_user(api, team.owner)
    assert_error(api.delete(url, {}, format="json"), 400, "invalid", fields={"confirm_name"})
    assert_error(api.delete(url, {"confirm_name": "renamed"}, format="json"), 400, "invalid",
                 fields={"confirm_name"})
    assert api.delete(url, {"confirm_name": "Renamed"}, format="json").status_code == 204
    assert not Project.objects.filter(pk=team.project.pk).exists()
    assert_error(api.get(url), 404, "not_found")


def test_a_delete_without_a_body_confirms_the_name_in_the_query(api: APIClient, team: Team) -> None:
    """OpenAPI gives a DELETE no body (and some clients send none): the schema documents the query."""
    url = f"/api/v1/projects/{team.project.pk}"
    as_user(api, team.owner)
    assert_error(api.delete(f"{url}?confirm_name=nope"), 400, "invalid", fields={"confirm_name"})
    assert api.delete(f"{url}?confirm_name={team.project.name.replace(' ', '%20')}").status_code == 204
    assert not Project.objects.filter(pk=team.project.pk).exists()


def test_archive_and_unarchive(api: APIClient, team: Team) -> None:
    base = f"/api/v1/projects/{team.project.pk}"
    as_user(api, team.owner)
    response = api.post(f"{base}/archive")
    assert response.status_code == 200
    assert response.json()["is_archived"] is True
    assert response.json()["archived_at"]
    assert_error(api.patch(base, {"name": "No"}, format="json"), 403, "archived")
    assert_error(api.post(f"{base}/invitations", {"invitee": team.outsider.username},
                          format="json"), 403, "archived")
    response = api.post(f"{base}/unarchive")
    assert response.status_code == 200
    assert response.json()["is_archived"] is False
    assert api.patch(base, {"name": "Yes"}, format="json").status_code == 200


def test_members(api: APIClient, team: Team) -> None:
    base = f"/api/v1/projects/{team.project.pk}/members"
    as_user(api, team.viewer)
    listed = api.get(base).json()
    assert listed["count"] == 3
    assert [(m["user"]["username"], m["role"]) for m in listed["results"]] == [
        (team.owner.username, "owner"), (team.editor.username, "editor"),
        (team.viewer.username, "viewer")]

    as_user(api, team.owner)
    editor = team.membership(team.editor)
    response = api.patch(f"{base}/{editor.pk}", {"role": "owner"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "owner"
    assert_error(api.patch(f"{base}/{editor.pk}", {"role": "boss"}, format="json"), 400,
                 "invalid", fields={"role"})
    assert_error(api.patch(f"{base}/{10**9}", {"role": "viewer"}, format="json"), 404,
                 "not_found")
    assert api.delete(f"{base}/{team.membership(team.viewer).pk}").status_code == 204
    assert api.get(base).json()["count"] == 2


def test_last_owner_conflict_over_the_api(api: APIClient, team: Team) -> None:
    base = f"/api/v1/projects/{team.project.pk}/members"
    owner = team.membership(team.owner)
    as_user(api, team.owner)
    error = assert_error(api.patch(f"{base}/{owner.pk}", {"role": "editor"}, format="json"),
                         409, "last_owner", fields={"role"})
    assert "owner" in error["message"]
    assert_error(api.delete(f"{base}/{owner.pk}"), 409, "last_owner")


def test_a_member_leaves(api: APIClient, team: Team) -> None:
    me = team.membership(team.viewer)
    as_user(api, team.viewer)
    assert api.delete(f"/api/v1/projects/{team.project.pk}/members/{me.pk}").status_code == 204
    assert_error(api.get(f"/api/v1/projects/{team.project.pk}"), 404, "not_found")


def test_project_invitations(api: APIClient, team: Team,
                             django_capture_on_commit_callbacks) -> None:
    base = f"/api/v1/projects/{team.project.pk}/invitations"
    as_user(api, team.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(base, {"invitee": team.outsider.username, "role": "viewer"},
                            format="json")
    assert response.status_code == 201
    created = response.json()
    assert created["invitee"]["username"] == team.outsider.username
    assert (created["role"], created["status"]) == ("viewer", "pending")
    assert created["project"] == {"id": team.project.pk, "name": team.project.name}
    assert created["invited_by"]["id"] == team.owner.id
    assert len(mail.outbox) == 1

    response = api.post(base, {"invitee": "fresh@example.com"}, format="json")
    assert response.status_code == 201
    assert (response.json()["invitee"], response.json()["email"]) == (None, "fresh@example.com")
    assert response.json()["role"] == "editor"  # the default

    assert api.get(base).json()["count"] == 2
    assert_error(api.post(base, {"invitee": "ghost"}, format="json"), 400, "invalid",
                 fields={"invitee"})
    assert_error(api.post(base, {"invitee": "ghost", "role": "god"}, format="json"), 400,
                 "invalid", fields={"role"})
    assert_error(api.post(base, {"invitee": team.editor.username}, format="json"), 409,
                 "already_member", fields={"invitee"})
    assert_error(api.post(base, {"invitee": team.outsider.email}, format="json"), 409,
                 "already_invited", fields={"invitee"})

    assert api.delete(f"{base}/{created['id']}").status_code == 204
    assert Invitation.objects.get(pk=created["id"]).status == InvitationStatus.REVOKED
    assert_error(api.delete(f"{base}/{created['id']}"), 409, "invitation_closed")
    assert api.get(base).json()["count"] == 1


def test_my_invitations_accept_and_decline(api: APIClient, team: Team) -> None:
    me = UserFactory(email="me@example.com")
    by_account = InvitationFactory(project=team.project, invitee=me, role=Role.VIEWER)
    other = MembershipFactory(role=Role.OWNER).project
    by_email = InvitationFactory(project=other, invitee=None, email="ME@example.com")
    InvitationFactory(project=team.project)  # someone else's
    InvitationFactory(invitee=me, expires_at=timezone.now() - timedelta(days=1))  # expired

    as_user(api, me)
    listed = api.get("/api/v1/invitations").json()
    assert {i["id"] for i in listed["results"]} == {by_account.pk, by_email.pk}

    response = api.post(f"/api/v1/invitations/{by_account.pk}/accept")
    assert response.status_code == 200
    assert (response.json()["user"]["id"], response.json()["role"]) == (me.id, "viewer")
    assert api.get(f"/api/v1/projects/{team.project.pk}").json()["role"] == "viewer"
    assert_error(api.post(f"/api/v1/invitations/{by_account.pk}/accept"), 409,
                 "invitation_closed")

    response = api.post(f"/api/v1/invitations/{by_email.pk}/decline")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["invitee"]["id"] == me.id
    assert_error(api.get(f"/api/v1/projects/{other.pk}"), 404, "not_found")
    assert api.get("/api/v1/invitations").json()["count"] == 0


def test_activity_list(api: APIClient, team: Team) -> None:
    as_user(api, team.owner)
    base = f"/api/v1/projects/{team.project.pk}"
    api.patch(base, {"name": "One"}, format="json")
    api.post(f"{base}/invitations", {"invitee": team.outsider.username, "role": "viewer"},
             format="json")
    as_user(api, team.viewer)
    page = api.get(f"{base}/activity").json()
    assert page["count"] == 2
    newest, oldest = page["results"]
    assert newest["verb"] == "member.invited"
    assert newest["text"] == f"invited {team.outsider.name} as Viewer"
    assert newest["actor"]["username"] == team.owner.username
    assert newest["target_type"] == "projects.invitation"
    assert oldest["text"] == "renamed the project to “One”"
    assert Activity.objects.filter(project=team.project).count() == 2


def test_activity_text_follows_the_readers_language(api: APIClient, team: Team) -> None:
    team.viewer.preferred_language = "zh-hans"
    team.viewer.save()
    as_user(api, team.owner)
    base = f"/api/v1/projects/{team.project.pk}"
    api.patch(base, {"name": "One"}, format="json")
    english = api.get(f"{base}/activity").json()["results"][0]["text"]
    assert english == "renamed the project to “One”"
    as_user(api, team.viewer)
    response = api.get(f"{base}/activity", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "zh-hans"
    with translation.override("zh-hans"):
        expected = verb_text("project.renamed", {"name": "One"})
    assert response.json()["results"][0]["text"] == expected
    assert "One" in expected


def test_bearer_token_works_for_projects(api: APIClient, team: Team) -> None:
    token = ApiTokenFactory(user=team.editor)
    response = api.patch(f"/api/v1/projects/{team.project.pk}", {"name": "By token"},
                         format="json", HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    assert response.status_code == 200
    assert Activity.objects.get(project=team.project).actor == team.editor


def test_a_missing_project_is_404_for_everyone(api: APIClient, team: Team) -> None:
    as_user(api, team.owner)
    for url in ("/api/v1/projects/999999", "/api/v1/projects/999999/members",
                "/api/v1/projects/999999/activity", "/api/v1/projects/999999/invitations"):
        assert_error(api.get(url), 404, "not_found")
    assert_error(api.post("/api/v1/invitations/999999/accept"), 404, "not_found")
    assert_error(api.post("/api/v1/invitations/999999/decline"), 404, "not_found")
