from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils import timezone, translation

from accounts import services as account_services
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from projects import selectors, services, tasks
from projects.activity import activity_payload, verb_text
from projects.models import Activity, Invitation, InvitationStatus, Membership, Project
from projects.roles import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import InvitationFactory, MembershipFactory, Team

pytestmark = pytest.mark.django_db


def verbs(project: Project) -> list[str]:
    return list(Activity.objects.filter(project=project).order_by("id")
                .values_list("verb", flat=True))


# --- create, update, archive, delete ---


def test_project_create_makes_the_creator_owner() -> None:
    user = UserFactory()
    project = services.project_create(user=user, name="  Loom  ", description=" A tale ")
    assert (project.name, project.description, project.created_by) == ("Loom", "A tale", user)
    membership = Membership.objects.get(project=project)
    assert (membership.user, membership.role) == (user, Role.OWNER)
    activity = Activity.objects.get(project=project)
    assert (activity.verb, activity.actor) == ("project.created", user)
    assert (activity.target_type, activity.target_id) == ("projects.project", str(project.pk))


@pytest.mark.parametrize(("fields", "bad"), [
    ({"name": ""}, {"name"}),
    ({"name": "   "}, {"name"}),
    ({"name": "x" * 121}, {"name"}),
    ({"name": "ok", "description": "d" * 5001}, {"description"}),
    ({"name": "", "description": "d" * 5001}, {"name", "description"}),
])
def test_project_create_validates(fields: dict[str, str], bad: set[str]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.project_create(user=UserFactory(), **fields)
    assert set(caught.value.fields) == bad
    assert not Project.objects.exists()


def test_project_update_records_what_changed(team: Team) -> None:
    services.project_update(project=team.project, user=team.editor, name="Second draft")
    services.project_update(project=team.project, user=team.editor, description="Longer")
    services.project_update(project=team.project, user=team.editor, name="Second draft",
                            description="Longer")  # nothing changed: nothing recorded
    team.project.refresh_from_db()
    assert (team.project.name, team.project.description) == ("Second draft", "Longer")
    assert verbs(team.project) == ["project.renamed", "project.described"]
    renamed = Activity.objects.get(project=team.project, verb="project.renamed")
    assert renamed.data == {"name": "Second draft"}
    assert renamed.actor == team.editor
    with pytest.raises(ValidationFailed) as caught:
        services.project_update(project=team.project, user=team.owner, name=" ")
    assert set(caught.value.fields) == {"name"}


def test_archive_and_unarchive(team: Team) -> None:
    services.project_set_archived(project=team.project, user=team.owner, archived=True)
    services.project_set_archived(project=team.project, user=team.owner, archived=True)
    assert team.project.is_archived
    assert selectors.project_list(user=team.owner).count() == 0
    assert list(selectors.project_list(user=team.owner, archived=True)) == [team.project]
    assert list(selectors.project_list(user=team.owner, archived=None)) == [team.project]

    for refused in (
        lambda: services.project_update(project=team.project, user=team.owner, name="No"),
        lambda: services.invitation_create(project=team.project, user=team.owner,
                                           invitee=UserFactory().username),
    ):
        with pytest.raises(PermissionDenied) as caught:
            refused()
        assert caught.value.code == "archived"
        assert "unarchive" in caught.value.message
    # Reading still works on an archived project.
    assert selectors.project_get(project_id=team.project.pk, user=team.viewer) == team.project

    services.project_set_archived(project=team.project, user=team.owner, archived=False)
    team.project.refresh_from_db()
    assert not team.project.is_archived
    services.project_update(project=team.project, user=team.owner, name="Back")
    assert verbs(team.project) == ["project.archived", "project.unarchived", "project.renamed"]


@pytest.mark.parametrize("typed", ["", "wrong", "PROJECT", "Projec"])
def test_delete_needs_the_exact_name(team: Team, typed: str) -> None:
    Project.objects.filter(pk=team.project.pk).update(name="Project")
    team.project.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        services.project_delete(project=team.project, user=team.owner, confirm_name=typed)
    assert set(caught.value.fields) == {"confirm_name"}
    assert "Project" in caught.value.fields["confirm_name"][0]
    assert Project.objects.filter(pk=team.project.pk).exists()


def test_delete_removes_everything_of_the_project(team: Team) -> None:
    InvitationFactory(project=team.project)
    services.project_delete(project=team.project, user=team.owner, confirm_name=team.project.name)
    assert not Project.objects.exists()
    assert not Membership.objects.exists()
    assert not Invitation.objects.exists()
    assert not Activity.objects.exists()


# --- roles and the last owner ---


def test_change_role(team: Team) -> None:
    viewer = team.membership(team.viewer)
    services.membership_change_role(project=team.project, user=team.owner,
                                    membership_id=viewer.pk, role="editor")
    services.membership_change_role(project=team.project, user=team.owner,
                                    membership_id=viewer.pk, role="editor")  # no change
    viewer.refresh_from_db()
    assert viewer.role == Role.EDITOR
    activity = Activity.objects.get(project=team.project, verb="member.role_changed")
    assert activity.data == {"member": team.viewer.name, "role": "editor"}
    with translation.override("en"):
        assert verb_text(activity.verb, activity.data) == f"made {team.viewer.name} Editor"


def test_change_role_validates(team: Team) -> None:
    viewer = team.membership(team.viewer)
    with pytest.raises(ValidationFailed) as caught:
        services.membership_change_role(project=team.project, user=team.owner,
                                        membership_id=viewer.pk, role="admin")
    assert set(caught.value.fields) == {"role"}
    assert "owner" in caught.value.fields["role"][0]
    elsewhere = MembershipFactory()
    with pytest.raises(NotFound):
        services.membership_change_role(project=team.project, user=team.owner,
                                        membership_id=elsewhere.pk, role="viewer")
    elsewhere.refresh_from_db()
    assert elsewhere.role == Role.EDITOR


def test_the_only_owner_cannot_be_demoted_removed_or_leave(team: Team) -> None:
    owner = team.membership(team.owner)
    for role in ("editor", "viewer"):
        with pytest.raises(Conflict) as caught:
            services.membership_change_role(project=team.project, user=team.owner,
                                            membership_id=owner.pk, role=role)
        assert caught.value.code == "last_owner"
        assert caught.value.status == 409
        assert set(caught.value.fields) == {"role"}
    with pytest.raises(Conflict) as caught:
        services.membership_remove(project=team.project, user=team.owner, membership_id=owner.pk)
    assert caught.value.code == "last_owner"
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_with_two_owners_one_can_be_demoted_but_not_both(team: Team) -> None:
    editor = team.membership(team.editor)
    services.membership_change_role(project=team.project, user=team.owner,
                                    membership_id=editor.pk, role="owner")
    owner = team.membership(team.owner)
    # The new owner demotes the first one.
    services.membership_change_role(project=team.project, user=team.editor,
                                    membership_id=owner.pk, role="viewer")
    owner.refresh_from_db()
    assert owner.role == Role.VIEWER
    # Now the former editor is the last owner and cannot demote themselves.
    with pytest.raises(Conflict) as caught:
        services.membership_change_role(project=team.project, user=team.editor,
                                        membership_id=editor.pk, role="editor")
    assert caught.value.code == "last_owner"
    # And the demoted one has lost owner rights.
    with pytest.raises(PermissionDenied):
        services.membership_change_role(project=team.project, user=team.owner,
                                        membership_id=editor.pk, role="viewer")


def test_with_two_owners_one_can_leave_or_be_removed(team: Team) -> None:
    second = MembershipFactory(project=team.project, role=Role.OWNER)
    third = MembershipFactory(project=team.project, role=Role.OWNER)
    services.membership_remove(project=team.project, user=team.owner, membership_id=second.pk)
    services.membership_remove(project=team.project, user=third.user, membership_id=third.pk)
    assert list(Membership.objects.filter(project=team.project, role=Role.OWNER)
                .values_list("user", flat=True)) == [team.owner.pk]
    assert verbs(team.project) == ["member.removed", "member.left"]
    removed = Activity.objects.get(project=team.project, verb="member.removed")
    assert removed.data == {"member": second.user.name}


def test_remove_an_unknown_member(team: Team) -> None:
    with pytest.raises(NotFound):
        services.membership_remove(project=team.project, user=team.owner, membership_id=10**9)
    elsewhere = MembershipFactory()
    with pytest.raises(NotFound):
        services.membership_remove(project=team.project, user=team.owner,
                                   membership_id=elsewhere.pk)
    assert Membership.objects.filter(pk=elsewhere.pk).exists()


def test_a_removed_member_loses_access(team: Team) -> None:
    services.membership_remove(project=team.project, user=team.owner,
                               membership_id=team.membership(team.editor).pk)
    with pytest.raises(NotFound):
        selectors.project_get(project_id=team.project.pk, user=team.editor)


# --- invitations ---


def test_invite_by_username(team: Team, django_capture_on_commit_callbacks) -> None:
    friend = UserFactory(username="Friend", email="friend@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(project=team.project, user=team.owner,
                                                invitee=" friend ", role="viewer")
    assert (invitation.invitee, invitation.email, invitation.role) == (
        friend, "friend@example.com", Role.VIEWER)
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["friend@example.com"]
    assert team.project.name in mail.outbox[0].subject
    assert team.owner.name in mail.outbox[0].subject
    assert list(selectors.invitation_list_for_user(user=friend)) == [invitation]
    activity = Activity.objects.get(project=team.project, verb="member.invited")
    assert activity.data == {"invitee": friend.name, "role": "viewer"}
    assert (activity.target_type, activity.target_id) == ("projects.invitation",
                                                          str(invitation.pk))


def test_the_mail_waits_for_the_commit(team: Team,
                                                 django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invitation_create(project=team.project, user=team.owner,
                                   invitee="later@example.com")
    assert len(callbacks) == 2  # the live event and the mail, both only after commit
    assert mail.outbox == []


def test_invite_an_unknown_email_then_the_person_signs_up_and_accepts(
        team: Team, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(project=team.project, user=team.owner,
                                                invitee="New.Person@Example.com", role="editor")
    assert invitation.invitee is None
    assert invitation.email == "new.person@example.com"
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    assert "http://127.0.0.1:8000/accounts/signup/?next=%2Fprojects%2Finvitations%2F" in (
        mail.outbox[0].body)

    newcomer = account_services.user_signup(username="newperson",
                                            email="NEW.PERSON@example.com",
                                            password="a-strong-pass-8812")
    # Until they follow the link mailed to the address, the invitation is not theirs.
    assert list(selectors.invitation_list_for_user(user=newcomer)) == []
    with pytest.raises(PermissionDenied) as caught:
        services.invitation_accept(invitation_id=invitation.pk, user=newcomer)
    assert caught.value.code == "email_unverified"
    link = mail.outbox[-1].body.split("/accounts/verify/", 1)[1].split()[0].strip("/")
    uidb64, token = link.split("/")
    account_services.email_verify(uidb64=uidb64, token=token)
    newcomer.refresh_from_db()
    assert list(selectors.invitation_list_for_user(user=newcomer)) == [invitation]
    assert list(selectors.invitation_list_for_user(user=team.outsider)) == []

    membership = services.invitation_accept(invitation_id=invitation.pk, user=newcomer)
    assert (membership.user, membership.role) == (newcomer, Role.EDITOR)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.invitee) == (InvitationStatus.ACCEPTED, newcomer)
    assert list(selectors.invitation_list_for_user(user=newcomer)) == []
    assert selectors.project_get(project_id=team.project.pk, user=newcomer) == team.project
    joined = Activity.objects.get(project=team.project, verb="member.joined")
    assert (joined.actor, joined.data) == (newcomer, {"role": "editor"})


def test_invite_by_the_email_of_an_existing_user_links_the_account(team: Team) -> None:
    invitation = services.invitation_create(project=team.project, user=team.owner,
                                            invitee=team.outsider.email.upper())
    assert invitation.invitee == team.outsider


@pytest.mark.parametrize(("invitee", "role", "field"), [
    ("", "editor", "invitee"),
    ("   ", "editor", "invitee"),
    ("nobody-by-that-name", "editor", "invitee"),
    ("not-an@address", "editor", "invitee"),
    ("a@@b.com", "editor", "invitee"),
    ("ok@example.com", "admin", "role"),
])
def test_invitation_input_is_validated(team: Team, invitee: str, role: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.invitation_create(project=team.project, user=team.owner, invitee=invitee,
                                   role=role)
    assert set(caught.value.fields) == {field}
    assert not Invitation.objects.exists()


def test_members_cannot_be_invited_again(team: Team) -> None:
    for identifier in (team.editor.username, team.editor.email, team.owner.username):
        with pytest.raises(Conflict) as caught:
            services.invitation_create(project=team.project, user=team.owner,
                                       invitee=identifier)
        assert caught.value.code == "already_member"
        assert set(caught.value.fields) == {"invitee"}


def test_a_pending_invitation_is_not_duplicated(team: Team) -> None:
    services.invitation_create(project=team.project, user=team.owner,
                               invitee=team.outsider.username)
    services.invitation_create(project=team.project, user=team.owner, invitee="x@example.com")
    for identifier in (team.outsider.username, team.outsider.email, "X@Example.com"):
        with pytest.raises(Conflict) as caught:
            services.invitation_create(project=team.project, user=team.owner,
                                       invitee=identifier)
        assert caught.value.code == "already_invited"
    assert Invitation.objects.count() == 2


def test_an_expired_pending_invitation_may_be_renewed(team: Team) -> None:
    old = InvitationFactory(project=team.project, invitee=team.outsider,
                            expires_at=timezone.now() - timedelta(minutes=1))
    new = services.invitation_create(project=team.project, user=team.owner,
                                     invitee=team.outsider.username)
    old.refresh_from_db()
    assert old.status == InvitationStatus.EXPIRED
    assert new.status == InvitationStatus.PENDING
    assert list(selectors.invitation_list_for_user(user=team.outsider)) == [new]


def test_an_expired_invitation_cannot_be_accepted(team: Team) -> None:
    invitation = InvitationFactory(project=team.project, invitee=team.outsider,
                                   expires_at=timezone.now() - timedelta(seconds=1))
    assert list(selectors.invitation_list_for_user(user=team.outsider)) == []
    assert list(selectors.invitation_list_for_project(project=team.project,
                                                      user=team.owner)) == []
    for respond in (services.invitation_accept, services.invitation_decline):
        with pytest.raises(Conflict) as caught:
            respond(invitation_id=invitation.pk, user=team.outsider)
        assert caught.value.code == "invitation_closed"
        assert "expired" in caught.value.message
    assert not Membership.objects.filter(user=team.outsider).exists()


def test_someone_else_cannot_accept_your_invitation(team: Team) -> None:
    invitation = InvitationFactory(project=team.project, invitee=team.outsider)
    email_invitation = InvitationFactory(project=team.project, invitee=None,
                                         email="someone@example.com")
    intruder = UserFactory.create()
    for pk in (invitation.pk, email_invitation.pk, 10**9):
        with pytest.raises(NotFound):
            services.invitation_accept(invitation_id=pk, user=intruder)
    with pytest.raises(PermissionDenied) as caught:
        services.invitation_accept(invitation_id=invitation.pk, user=AnonymousUser())
    assert caught.value.code == "not_authenticated"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(user=intruder).exists()


def test_an_answered_invitation_is_closed(team: Team) -> None:
    accepted = InvitationFactory(project=team.project, invitee=team.outsider)
    services.invitation_accept(invitation_id=accepted.pk, user=team.outsider)
    declined = InvitationFactory.create(project=team.project, invitee=UserFactory())
    services.invitation_decline(invitation_id=declined.pk, user=declined.invitee)
    assert not Membership.objects.filter(user=declined.invitee).exists()
    for invitation, user in ((accepted, team.outsider), (declined, declined.invitee)):
        for respond in (services.invitation_accept, services.invitation_decline):
            with pytest.raises(Conflict) as caught:
                respond(invitation_id=invitation.pk, user=user)
            assert caught.value.code == "invitation_closed"
    assert verbs(team.project) == ["member.joined", "member.declined"]


def test_revoke(team: Team) -> None:
    invitation = InvitationFactory(project=team.project, invitee=team.outsider)
    services.invitation_revoke(project=team.project, user=team.owner, invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    with pytest.raises(Conflict):
        services.invitation_revoke(project=team.project, user=team.owner,
                                   invitation_id=invitation.pk)
    with pytest.raises(Conflict):
        services.invitation_accept(invitation_id=invitation.pk, user=team.outsider)
    elsewhere = InvitationFactory()
    with pytest.raises(NotFound):
        services.invitation_revoke(project=team.project, user=team.owner,
                                   invitation_id=elsewhere.pk)
    activity = Activity.objects.get(project=team.project, verb="invitation.revoked")
    assert activity.data == {"invitee": team.outsider.name}


def test_invitations_expire(team: Team) -> None:
    past = timezone.now() - timedelta(hours=1)
    stale = InvitationFactory(project=team.project, expires_at=past)
    stale_email = InvitationFactory(project=team.project, invitee=None, email="e@example.com",
                                    expires_at=past)
    fresh = InvitationFactory(project=team.project)
    answered = InvitationFactory(project=team.project, expires_at=past,
                                 status=InvitationStatus.ACCEPTED)
    assert services.invitations_expire() == 2
    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "expired", stale_email.pk: "expired", fresh.pk: "pending",
                        answered.pk: "accepted"}
    assert services.invitations_expire() == 0
    InvitationFactory(project=team.project, expires_at=past)
    assert tasks.invitations_expire() == 1  # the Celery beat task calls the service


# --- the activity log ---


def test_each_action_records_its_verb(team: Team) -> None:
    owner = team.owner
    project = services.project_create(user=owner, name="Story")
    guest = UserFactory.create()
    shy = UserFactory()
    services.project_update(project=project, user=owner, name="Story 2")
    services.project_update(project=project, user=owner, description="About looms")
    invitation = services.invitation_create(project=project, user=owner, invitee=guest.username)
    membership = services.invitation_accept(invitation_id=invitation.pk, user=guest)
    services.membership_change_role(project=project, user=owner, membership_id=membership.pk,
                                    role="viewer")
    declined = services.invitation_create(project=project, user=owner, invitee=shy.username)
    services.invitation_decline(invitation_id=declined.pk, user=shy)
    revoked = services.invitation_create(project=project, user=owner, invitee="r@example.com")
    services.invitation_revoke(project=project, user=owner, invitation_id=revoked.pk)
    services.membership_remove(project=project, user=guest, membership_id=membership.pk)
    again = services.invitation_create(project=project, user=owner, invitee=guest.username)
    services.invitation_accept(invitation_id=again.pk, user=guest)
    services.membership_remove(project=project, user=owner,
                               membership_id=Membership.objects.get(project=project,
                                                                    user=guest).pk)
    services.project_set_archived(project=project, user=owner, archived=True)
    services.project_set_archived(project=project, user=owner, archived=False)

    expected = [
        ("project.created", owner), ("project.renamed", owner), ("project.described", owner),
        ("member.invited", owner), ("member.joined", guest), ("member.role_changed", owner),
        ("member.invited", owner), ("member.declined", shy), ("member.invited", owner),
        ("invitation.revoked", owner), ("member.left", guest), ("member.invited", owner),
        ("member.joined", guest), ("member.removed", owner), ("project.archived", owner),
        ("project.unarchived", owner),
    ]
    recorded = list(Activity.objects.filter(project=project).order_by("id")
                    .values_list("verb", "actor"))
    assert recorded == [(verb, user.pk) for verb, user in expected]
    listed = list(selectors.activity_list(project=project, user=owner))
    assert [a.verb for a in listed] == [verb for verb, _ in reversed(expected)]  # newest first
    with translation.override("en"):
        for activity in listed:
            text = verb_text(activity.verb, activity.data)
            assert text and text != activity.verb
            assert "%(" not in text


def test_activity_payload(team: Team) -> None:
    services.project_update(project=team.project, user=team.owner, name="Payload")
    activity = Activity.objects.get(project=team.project)
    with translation.override("en"):
        payload = activity_payload(activity)
    assert payload == {
        "id": activity.id, "verb": "project.renamed", "text": "renamed the project to “Payload”",
        "actor": {"id": team.owner.id, "username": team.owner.username, "name": team.owner.name},
        "target": None, "data": {"name": "Payload"},
        "created_at": activity.created_at.isoformat(),
    }


def test_verb_text_survives_unknown_verbs_and_bad_data() -> None:
    assert verb_text("job.submitted", {}) == "job.submitted"
    assert verb_text("member.joined", {}) == "member.joined"
    with translation.override("en"):
        assert verb_text("member.joined", {"role": "viewer"}) == "joined as Viewer"
        assert verb_text("member.joined", {"role": "Custom"}) == "joined as Custom"
