"""Issue 12: a viewer must not turn a pending e-mail invitation into an editor seat for
themselves (read the address, sign up with it, accept) — only the owner of a *verified*
address may accept an invitation sent to it, and only owners see invited addresses."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from projects import services as project_services
from projects.models import Activity, Invitation, InvitationStatus, Membership
from projects.roles import Role
from tests.core.helpers import assert_error
from tests.projects.factories import Team, project_with_team

pytestmark = pytest.mark.django_db

VICTIM = "victim.person@example.com"
PASSWORD = "weft-and-warp-2026"
VERIFY_LINK = re.compile(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team(name="Moon Loom")


@pytest.fixture
def invitation(team: Team, django_capture_on_commit_callbacks) -> Invitation:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = project_services.invitation_create(project=team.project, user=team.owner,
                                                        invitee=VICTIM, role="editor")
    assert invitation.invitee is None
    mail.outbox.clear()
    return invitation


def client_for(user: User) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def signup(username: str, email: str) -> tuple[User, APIClient]:
    """Sign up through the API (as the attacker does) and sign in with the new account."""
    api = APIClient()
    response = api.post("/api/v1/auth/signup", {"username": username, "email": email,
                                                "password": PASSWORD}, format="json")
    assert response.status_code == 201, response.json()
    assert api.login(username=username, password=PASSWORD)
    return User.objects.get(username=username), api


def verification_path(address: str) -> str:
    """The link of the newest verification e-mail sent to `address`."""
    sent = [m for m in mail.outbox if m.to == [address]]
    assert sent, [m.to for m in mail.outbox]
    match = VERIFY_LINK.search(sent[-1].body)
    assert match, sent[-1].body
    return match.group(1)


# --- the viewer learns no address -----------------------------------------------------------


def test_viewers_and_editors_do_not_see_invited_addresses(team: Team, invitation: Invitation) -> None:
    url = f"/api/v1/projects/{team.project.pk}/invitations"
    for who in (team.viewer, team.editor):
        response = client_for(who).get(url)
        assert response.status_code == 200
        assert VICTIM not in response.content.decode()
        listed = response.json()["results"][0]
        assert listed["email"] != VICTIM
        assert listed["email"].endswith("@example.com") and "•" in listed["email"]
        activity = client_for(who).get(f"/api/v1/projects/{team.project.pk}/activity")
        assert VICTIM not in activity.content.decode()
        page = Client()
        page.force_login(who)
        assert VICTIM not in page.get(f"/projects/{team.project.pk}/").content.decode()
    owner_view = client_for(team.owner).get(url).json()["results"][0]
    assert owner_view["email"] == VICTIM
    owner_page = Client()
    owner_page.force_login(team.owner)
    assert VICTIM in owner_page.get(f"/projects/{team.project.pk}/").content.decode()


def test_the_invited_activity_stores_no_raw_address(team: Team, invitation: Invitation) -> None:
    invited = Activity.objects.get(project=team.project, verb="member.invited")
    assert VICTIM not in str(invited.data)


# --- the stranger cannot accept with an unverified address ---------------------------------


def test_signing_up_with_the_invited_address_is_not_enough(team: Team, invitation: Invitation) -> None:
    stranger, api = signup("stranger", VICTIM.upper())
    assert stranger.email_verified_at is None
    assert api.get("/api/v1/profile").json()["email_verified"] is False
    assert api.get("/api/v1/invitations").json()["count"] == 0
    error = assert_error(api.post(f"/api/v1/invitations/{invitation.pk}/accept"), 403,
                         "email_unverified")
    assert "verify" in error["message"].lower()
    assert_error(api.post(f"/api/v1/invitations/{invitation.pk}/decline"), 403, "email_unverified")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.invitee) == (InvitationStatus.PENDING, None)
    assert not Membership.objects.filter(project=team.project, user=stranger).exists()

    # The page says the same, and does not let them in either.
    page = Client()
    page.force_login(stranger)
    response = page.post(f"/projects/invitations/{invitation.pk}/accept/", follow=True)
    assert "verify" in response.content.decode().lower()
    assert not Membership.objects.filter(project=team.project, user=stranger).exists()


def test_inviting_the_address_of_an_unverified_account_does_not_link_it(
        team: Team, django_capture_on_commit_callbacks) -> None:
    _squatter, api = signup("squatter", VICTIM)  # signed up *before* the invitation
    invitation = project_services.invitation_create(project=team.project, user=team.owner,
                                                    invitee=VICTIM)
    assert invitation.invitee is None  # an e-mail invitation, not one to the squatter's account
    assert_error(api.post(f"/api/v1/invitations/{invitation.pk}/accept"), 403, "email_unverified")


def test_the_owner_of_the_address_verifies_then_accepts(team: Team, invitation: Invitation) -> None:
    newcomer, api = signup("newcomer", VICTIM)
    path = verification_path(VICTIM)
    page = Client()
    response = page.get(path)
    assert response.status_code == 200
    assert "verified" in response.content.decode().lower()
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is not None
    assert api.get("/api/v1/profile").json()["email_verified"] is True

    assert [i["id"] for i in api.get("/api/v1/invitations").json()["results"]] == [invitation.pk]
    response = api.post(f"/api/v1/invitations/{invitation.pk}/accept")
    assert response.status_code == 200, response.json()
    assert Membership.objects.get(project=team.project, user=newcomer).role == Role.EDITOR

    # A used link does not verify again.
    assert page.get(path).status_code == 400


def test_a_link_dies_when_the_address_changes(team: Team, invitation: Invitation) -> None:
    user, api = signup("mover", VICTIM)
    old_path = verification_path(VICTIM)
    response = api.patch("/api/v1/profile", {"email": "elsewhere@example.com"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["email_verified"] is False

    response = Client().get(old_path)
    assert response.status_code == 400
    assert "invalid" in response.content.decode().lower()
    user.refresh_from_db()
    assert (user.email, user.email_verified_at) == ("elsewhere@example.com", None)

    # The new address got its own link, which works.
    assert Client().get(verification_path("elsewhere@example.com")).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # ... and the invitation to the old address is not theirs any more.
    assert_error(api.post(f"/api/v1/invitations/{invitation.pk}/accept"), 404, "not_found")


def test_changing_a_verified_address_resets_verification(team: Team) -> None:
    api = client_for(team.outsider)
    assert api.get("/api/v1/profile").json()["email_verified"] is True
    response = api.patch("/api/v1/profile", {"email": "NEW.home@example.com"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["email"], response.json()["email_verified"]) == (
        "new.home@example.com", False)
    assert verification_path("new.home@example.com")
    assert_error(api.patch("/api/v1/profile", {"email": team.owner.email.upper()}, format="json"),
                 400, "invalid", fields={"email"})


def test_resend_the_verification_mail(team: Team) -> None:
    _user, api = signup("resender", "resend@example.com")
    mail.outbox.clear()
    response = api.post("/api/v1/profile/email/verify")
    assert response.status_code == 202, response.json()
    assert verification_path("resend@example.com")
    for _ in range(5):
        last = api.post("/api/v1/profile/email/verify")
    assert_error(last, 429, "throttled")
    verified = client_for(team.owner)
    assert_error(verified.post("/api/v1/profile/email/verify"), 409, "already_verified")
