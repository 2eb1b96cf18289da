"""The project pages: list, create, project page by role, members, invitations, archive, delete."""

import pytest
from django.test import Client
from django.urls import reverse

from projects import services
from projects.models import Activity, Invitation, InvitationStatus, Membership, Project
from projects.roles import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import InvitationFactory, MembershipFactory, ProjectFactory, Team

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def detail(team: Team) -> str:
    return reverse("projects:detail", args=[team.project.pk])


# --- list and create ------------------------------------------------------------------------


def test_home_is_a_page_not_a_redirect(client: Client, as_user, team: Team) -> None:
    # `/` is core's now (tests/web/test_home.py): the public home, or the member's dashboard.
    assert client.get("/").status_code == 200
    response = as_user(team.owner).get("/")
    assert response.status_code == 200 and "Moon Loom" in response.content.decode()


def test_project_list_shows_my_projects_only(as_user, team: Team) -> None:
    ProjectFactory(name="Someone else's secret")
    response = as_user(team.viewer).get(reverse("projects:list"))
    assert response.status_code == 200
    page = html(response)
    assert "Moon Loom" in page and "Viewer" in page and "3 members" in page
    assert "Someone else&#x27;s secret" not in page and "secret" not in page
    page = html(as_user(team.outsider).get(reverse("projects:list")))
    assert "Moon Loom" not in page and "No projects yet." in page


def test_create_a_project(as_user) -> None:
    user = UserFactory()
    response = as_user(user).post(reverse("projects:create"),
                                  {"name": "  Loom Tales ", "description": "Pilot episode."})
    project = Project.objects.get(name="Loom Tales")
    assert response.url == reverse("projects:detail", args=[project.pk])
    assert Membership.objects.get(project=project, user=user.pk).role == Role.OWNER
    page = html(as_user(user).get(response.url))
    assert "Loom Tales" in page and "Pilot episode." in page and "created the project" in page
    assert "Project “Loom Tales” created." in page
    assert reverse("projects:create") not in html(as_user(user).get(reverse("projects:detail",
                                                                           args=[project.pk])))


def test_create_errors_keep_the_input(as_user) -> None:
    user = UserFactory()
    response = as_user(user).post(reverse("projects:create"),
                                  {"name": "   ", "description": "Keep this text"})
    assert response.status_code == 400
    page = html(response)
    assert "Give the project a name of 1 to 120 characters." in page
    assert "Keep this text" in page
    assert not Project.objects.exists()
    assert as_user(user).get(reverse("projects:create")).status_code == 405


def test_archived_projects_have_their_own_tab(as_user, team: Team) -> None:
    client = as_user(team.owner)
    response = client.post(reverse("projects:archive", args=[team.project.pk]),
                           {"archived": "1"}, follow=True)
    page = html(response)
    assert "This project is archived: it is read-only." in page
    assert "Unarchive" in page
    team.project.refresh_from_db()
    assert team.project.is_archived
    assert "Moon Loom" not in html(client.get(reverse("projects:list")))
    page = html(client.get(reverse("projects:list") + "?archived=1"))
    assert "Moon Loom" in page and "Archived" in page and "is-archived" in page
    # read-only: no edit or invite forms, even for the owner; unarchive brings them back
    page = html(client.get(detail(team)))
    assert reverse("projects:update", args=[team.project.pk]) not in page
    assert reverse("projects:invite", args=[team.project.pk]) not in page
    client.post(reverse("projects:archive", args=[team.project.pk]), {"archived": "0"})
    team.project.refresh_from_db()
    assert not team.project.is_archived
    assert reverse("projects:invite", args=[team.project.pk]) in html(client.get(detail(team)))


def test_editors_cannot_archive(as_user, team: Team) -> None:
    response = as_user(team.editor).post(reverse("projects:archive", args=[team.project.pk]),
                                         {"archived": "1"}, follow=True)
    assert "cannot archive or unarchive the project" in html(response)
    team.project.refresh_from_db()
    assert not team.project.is_archived


# --- the project page by role ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "editor", "viewer"])
def test_members_see_the_project_page(as_user, team: Team, who: str) -> None:
    response = as_user(team.user(who)).get(detail(team))
    assert response.status_code == 200
    page = html(response)
    assert "Moon Loom" in page and "A storyboard about looms." in page
    assert f"You are {who.capitalize()}" in page
    for member in (team.owner, team.editor, team.viewer):
        assert f"@{member.username}" in page
    assert 'id="activity-list"' in page
    assert f'data-ws-path="/ws/projects/{team.project.pk}/events"' in page
    assert "js/project.bundle.js" in page
    assert "Leave project" in page or who == "owner"  # the only owner cannot leave


def test_non_members_get_404_and_anonymous_users_log_in(client: Client, as_user,
                                                        team: Team) -> None:
    response = client.get(detail(team))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client = as_user(team.outsider)
    assert client.get(detail(team)).status_code == 404
    assert client.get(reverse("projects:detail", args=[999999])).status_code == 404
    pk = team.project.pk
    for url, data in [
        (reverse("projects:update", args=[pk]), {"name": "Mine now"}),
        (reverse("projects:archive", args=[pk]), {"archived": "1"}),
        (reverse("projects:delete", args=[pk]), {"confirm_name": "Moon Loom"}),
        (reverse("projects:invite", args=[pk]), {"invitee": team.outsider.username,
                                                 "role": "owner"}),
        (reverse("projects:member_role", args=[pk, team.membership(team.owner).pk]),
         {"role": "viewer"}),
        (reverse("projects:member_remove", args=[pk, team.membership(team.owner).pk]), {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    team.project.refresh_from_db()
    assert team.project.name == "Moon Loom" and not team.project.is_archived
    assert team.membership(team.owner).role == Role.OWNER


def test_controls_follow_the_role(as_user, team: Team) -> None:
    pk = team.project.pk
    update = reverse("projects:update", args=[pk])
    invite = reverse("projects:invite", args=[pk])
    delete = reverse("projects:delete", args=[pk])
    archive = reverse("projects:archive", args=[pk])
    role_form = reverse("projects:member_role", args=[pk, team.membership(team.editor).pk])

    page = html(as_user(team.owner).get(detail(team)))
    assert all(url in page for url in (update, invite, delete, archive, role_form))
    assert "last owner" in page  # the only owner gets no role select or leave button

    page = html(as_user(team.editor).get(detail(team)))
    assert update in page
    assert not any(url in page for url in (invite, delete, archive, role_form))

    page = html(as_user(team.viewer).get(detail(team)))
    assert not any(url in page for url in (update, invite, delete, archive, role_form))
    # a viewer can still leave
    assert reverse("projects:member_remove", args=[pk, team.membership(team.viewer).pk]) in page


def test_rename_and_describe(as_user, team: Team) -> None:
    response = as_user(team.editor).post(
        reverse("projects:update", args=[team.project.pk]),
        {"name": "Moon Loom II", "description": "Second season."}, follow=True)
    page = html(response)
    assert "Project details saved." in page
    assert "renamed the project to “Moon Loom II”" in page
    assert "changed the description" in page
    team.project.refresh_from_db()
    assert (team.project.name, team.project.description) == ("Moon Loom II", "Second season.")


def test_viewers_are_refused_by_the_service_and_keep_their_input(as_user, team: Team) -> None:
    response = as_user(team.viewer).post(reverse("projects:update", args=[team.project.pk]),
                                         {"name": "Viewer was here", "description": ""})
    assert response.status_code == 403
    page = html(response)
    assert "Your role (Viewer) cannot rename or describe the project" in page
    team.project.refresh_from_db()
    assert team.project.name == "Moon Loom"


def test_bad_rename_keeps_the_input(as_user, team: Team) -> None:
    response = as_user(team.owner).post(reverse("projects:update", args=[team.project.pk]),
                                        {"name": "x" * 121, "description": "kept description"})
    assert response.status_code == 400
    assert "kept description" in html(response)
    assert "Ensure this value has at most 120 characters" in html(response)


# --- delete ---------------------------------------------------------------------------------


def test_delete_needs_the_exact_name(as_user, team: Team) -> None:
    client = as_user(team.owner)
    url = reverse("projects:delete", args=[team.project.pk])
    page = html(client.get(url))
    assert "Delete this project?" in page and "Moon Loom" in page
    for wrong in ["", "moon loom", "Moon"]:
        response = client.post(url, {"confirm_name": wrong})
        assert response.status_code == 400
        page = html(response)
        assert "Type the project&#x27;s name to confirm deletion." in page
        assert "Must be exactly “Moon Loom”." in page
        assert Project.objects.filter(pk=team.project.pk).exists()
    response = client.post(url, {"confirm_name": "Moon Loom"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("projects:list")
    assert "Project “Moon Loom” was deleted." in html(response)
    assert not Project.objects.filter(pk=team.project.pk).exists()
    assert client.get(detail(team)).status_code == 404


def test_only_owners_can_delete(as_user, team: Team) -> None:
    client = as_user(team.editor)
    url = reverse("projects:delete", args=[team.project.pk])
    response = client.get(url, follow=True)
    assert "Only owners can delete a project." in html(response)
    response = client.post(url, {"confirm_name": "Moon Loom"})
    assert response.status_code == 403
    assert "cannot delete the project" in html(response)
    assert Project.objects.filter(pk=team.project.pk).exists()


# --- members --------------------------------------------------------------------------------


def test_owner_changes_a_role(as_user, team: Team) -> None:
    membership = team.membership(team.viewer)
    response = as_user(team.owner).post(
        reverse("projects:member_role", args=[team.project.pk, membership.pk]),
        {"role": "editor"}, follow=True)
    page = html(response)
    assert f"{team.viewer.name} is now Editor." in page
    assert f"made {team.viewer.name} Editor" in page
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR


def test_the_last_owner_cannot_be_demoted_or_leave(as_user, team: Team) -> None:
    mine = team.membership(team.owner)
    client = as_user(team.owner)
    response = client.post(reverse("projects:member_role", args=[team.project.pk, mine.pk]),
                           {"role": "viewer"}, follow=True)
    assert "A project needs at least one owner" in html(response)
    response = client.post(reverse("projects:member_remove", args=[team.project.pk, mine.pk]),
                           follow=True)
    assert "A project needs at least one owner" in html(response)
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_unknown_role_is_refused(as_user, team: Team) -> None:
    membership = team.membership(team.viewer)
    response = as_user(team.owner).post(
        reverse("projects:member_role", args=[team.project.pk, membership.pk]),
        {"role": "emperor"}, follow=True)
    assert "Unknown role. Allowed roles: viewer, editor, owner." in html(response)


def test_owner_removes_a_member_and_a_member_leaves(as_user, team: Team) -> None:
    editor = team.membership(team.editor)
    response = as_user(team.owner).post(
        reverse("projects:member_remove", args=[team.project.pk, editor.pk]), follow=True)
    assert f"{team.editor.name} was removed from the project." in html(response)
    assert not Membership.objects.filter(pk=editor.pk).exists()

    viewer = team.membership(team.viewer)
    client = as_user(team.viewer)
    response = client.post(reverse("projects:member_remove", args=[team.project.pk, viewer.pk]),
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("projects:list")
    assert "You left “Moon Loom”." in html(response)
    assert client.get(detail(team)).status_code == 404


def test_members_cannot_remove_others(as_user, team: Team) -> None:
    owner = team.membership(team.owner)
    response = as_user(team.editor).post(
        reverse("projects:member_remove", args=[team.project.pk, owner.pk]), follow=True)
    assert "cannot remove members" in html(response)
    assert Membership.objects.filter(pk=owner.pk).exists()


# --- invitations ----------------------------------------------------------------------------


def test_invite_then_accept_through_the_pages(client: Client, team: Team) -> None:
    guest = UserFactory(username="guest", display_name="Gwen Guest")
    client.force_login(team.owner)
    response = client.post(reverse("projects:invite", args=[team.project.pk]),
                           {"invitee": "guest", "role": "editor"}, follow=True)
    page = html(response)
    assert "Invited Gwen Guest as Editor." in page
    assert "invited Gwen Guest as Editor" in page  # the activity entry
    invitation = Invitation.objects.get(project=team.project, invitee=guest.pk)
    assert reverse("projects:invitation_revoke", args=[team.project.pk, invitation.pk]) in page

    client.force_login(guest)
    page = html(client.get(reverse("projects:list")))
    assert '<span class="count-badge"' in page  # the pending count in the nav
    page = html(client.get(reverse("projects:invitations")))
    assert "Moon Loom" in page and "invited you as <strong>Editor</strong>" in page
    accept = reverse("projects:invitation_accept", args=[invitation.pk])
    assert accept in page
    assert client.get(accept).status_code == 405
    response = client.post(accept, follow=True)
    assert response.redirect_chain[-1][0] == detail(team)
    page = html(response)
    assert "Welcome to “Moon Loom”: you joined as Editor." in page
    assert "Gwen Guest</strong> joined as Editor" in page
    assert Membership.objects.get(project=team.project, user=guest.pk).role == Role.EDITOR
    assert "No pending invitations." in html(client.get(reverse("projects:invitations")))
    # accepting twice is refused politely
    response = client.post(accept, follow=True)
    assert "This invitation is accepted." in html(response)


def test_decline_an_invitation(as_user, team: Team) -> None:
    guest = UserFactory()
    invitation = services.invitation_create(project=team.project, user=team.owner,
                                            invitee=guest.username, role="viewer")
    response = as_user(guest).post(
        reverse("projects:invitation_decline", args=[invitation.pk]), follow=True)
    assert "You declined the invitation to “Moon Loom”." in html(response)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Membership.objects.filter(project=team.project, user=guest.pk).exists()


def test_someone_elses_invitation_cannot_be_accepted(as_user, team: Team) -> None:
    guest = UserFactory()
    invitation = services.invitation_create(project=team.project, user=team.owner,
                                            invitee=guest.username)
    response = as_user(team.outsider).post(
        reverse("projects:invitation_accept", args=[invitation.pk]), follow=True)
    assert "No such invitation." in html(response)
    assert not Membership.objects.filter(project=team.project, user=team.outsider).exists()


def test_invite_errors_are_shown_on_the_form(as_user, team: Team) -> None:
    client = as_user(team.owner)
    url = reverse("projects:invite", args=[team.project.pk])
    response = client.post(url, {"invitee": "no-such-user", "role": "editor"})
    assert response.status_code == 400
    page = html(response)
    assert "No user “no-such-user”. Check the spelling or invite by e-mail." in page
    assert 'value="no-such-user"' in page
    response = client.post(url, {"invitee": team.editor.username, "role": "viewer"})
    assert response.status_code == 409
    assert "Already a member." in html(response)
    response = client.post(url, {"invitee": "x@example.com", "role": "king"})
    assert response.status_code == 400
    assert "Select a valid choice." in html(response)
    assert not Invitation.objects.exists()


def test_invite_by_email_and_revoke(as_user, team: Team) -> None:
    client = as_user(team.owner)
    client.post(reverse("projects:invite", args=[team.project.pk]),
                {"invitee": "New.Person@Example.com", "role": "viewer"})
    invitation = Invitation.objects.get(project=team.project)
    assert invitation.email == "new.person@example.com" and invitation.invitee is None
    page = html(client.get(detail(team)))
    assert "new.person@example.com" in page
    response = client.post(
        reverse("projects:invitation_revoke", args=[team.project.pk, invitation.pk]), follow=True)
    page = html(response)
    assert "The invitation of new.person@example.com was revoked." in page  # to the owner
    assert "revoked the invitation of n•••@example.com" in page  # the activity every member reads
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


def test_viewers_see_masked_addresses_and_owners_the_full_one(as_user, team: Team) -> None:
    services.invitation_create(project=team.project, user=team.owner, invitee="hidden.one@example.com")
    for who in (team.viewer, team.editor):
        page = html(as_user(who).get(detail(team)))
        assert "hidden.one@example.com" not in page
        assert "h•••@example.com" in page
    assert "hidden.one@example.com" in html(as_user(team.owner).get(detail(team)))


def test_unverified_users_are_told_why_invitations_by_email_are_missing(as_user, team: Team) -> None:
    newcomer = UserFactory(email="fresh@example.com", verified=False)
    InvitationFactory(project=team.project, invitee=None, email="fresh@example.com")
    page = html(as_user(newcomer).get(reverse("projects:invitations")))
    assert "appear here once you have verified it" in page
    assert reverse("accounts:verify_email_resend") in page
    assert "No pending invitations." in page


def test_viewers_see_pending_invitations_without_controls(as_user, team: Team) -> None:
    guest = UserFactory(display_name="Pending Pat")
    invitation = services.invitation_create(project=team.project, user=team.owner,
                                            invitee=guest.username)
    page = html(as_user(team.viewer).get(detail(team)))
    assert "Pending Pat" in page
    assert reverse("projects:invitation_revoke", args=[team.project.pk, invitation.pk]) not in page
    response = as_user(team.viewer).post(
        reverse("projects:invitation_revoke", args=[team.project.pk, invitation.pk]), follow=True)
    assert "cannot revoke invitations" in html(response)


# --- activity -------------------------------------------------------------------------------


def test_activity_items_carry_their_id_actor_and_time(as_user, team: Team) -> None:
    services.project_update(project=team.project, user=team.editor, name="Loom Two")
    activity = Activity.objects.get(project=team.project, verb="project.renamed")
    page = html(as_user(team.viewer).get(detail(team)))
    assert f'data-activity-id="{activity.pk}"' in page
    assert f"{team.editor.name}</strong> renamed the project to “Loom Two”" in page
    assert f'datetime="{activity.created_at.isoformat()}"' in page


def test_activity_of_a_removed_actor_still_renders(as_user, team: Team) -> None:
    outsider_project = MembershipFactory(project=team.project, role=Role.EDITOR)
    services.project_update(project=team.project, user=outsider_project.user,
                            description="by someone who leaves")
    outsider_project.user.delete()
    page = html(as_user(team.owner).get(detail(team)))
    assert "Someone</strong> changed the description" in page


def test_the_404_page_is_the_sites(as_user, team: Team) -> None:
    response = as_user(team.outsider).get(detail(team))
    assert response.status_code == 404
    page = html(response)
    assert "Page not found" in page and f'href="{reverse("home")}"' in page
    assert "Moon Loom" not in page
