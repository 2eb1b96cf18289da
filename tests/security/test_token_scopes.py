"""Issue 12: API tokens carry scopes and may expire; a token does only what it was scoped for,
and a password change can revoke every token."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create
from generation.models import Job
from tests.accounts.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory
from tests.core.helpers import assert_error
from tests.projects.factories import Team, project_with_team

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-secret-5521"
JOB = {"kind": "image", "preset": "tiny-pixart", "prompt": "a lantern"}


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team()


def bearer(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_a_read_only_token_reads_but_cannot_write(team: Team) -> None:
    token = ApiTokenFactory(user=team.editor, scopes=["read"])
    api = bearer(token.raw)
    assert api.get("/api/v1/profile").status_code == 200
    assert api.get(f"/api/v1/projects/{team.project.pk}").status_code == 200
    error = assert_error(api.post("/api/v1/projects", {"name": "Nope"}, format="json"), 403,
                         "token_scope")
    assert "write" in error["message"]
    assert_error(api.patch("/api/v1/profile", {"bio": "x"}, format="json"), 403, "token_scope")
    assert_error(api.post(f"/api/v1/projects/{team.project.pk}/jobs", JOB, format="json"), 403,
                 "token_scope")
    assert not Job.objects.exists()


def test_a_write_only_token_cannot_read(team: Team) -> None:
    api = bearer(ApiTokenFactory(user=team.editor, scopes=["write"]).raw)
    error = assert_error(api.get("/api/v1/profile"), 403, "token_scope")
    assert "read" in error["message"]


def test_a_token_without_the_tokens_scope_cannot_create_or_revoke_tokens(team: Team) -> None:
    token, raw = token_create(user=team.editor, name="cli")  # the default scopes
    assert sorted(token.scopes) == ["generate", "read", "write"]
    api = bearer(raw)
    error = assert_error(api.post("/api/v1/tokens", {"name": "child"}, format="json"), 403,
                         "token_scope")
    assert "tokens" in error["message"]
    assert_error(api.delete(f"/api/v1/tokens/{token.pk}"), 403, "token_scope")
    assert list(ApiToken.objects.filter(user=team.editor)) == [token]
    assert api.get("/api/v1/tokens").status_code == 200  # listing is a read

    manager = bearer(ApiTokenFactory(user=team.editor, scopes=["read", "tokens"]).raw)
    response = manager.post("/api/v1/tokens", {"name": "child", "scopes": ["read"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["scopes"] == ["read"]
    assert manager.delete(f"/api/v1/tokens/{token.pk}").status_code == 204

    # A signed-in person (no token) is not limited by scopes.
    session = APIClient()
    session.force_login(team.editor)
    assert session.post("/api/v1/tokens", {"name": "web"}, format="json").status_code == 201


def test_a_token_without_generate_cannot_submit_a_job(team: Team) -> None:
    api = bearer(ApiTokenFactory(user=team.editor, scopes=["read", "write"]).raw)
    url = f"/api/v1/projects/{team.project.pk}/jobs"
    error = assert_error(api.post(url, JOB, format="json"), 403, "token_scope")
    assert "generate" in error["message"]
    assert api.get(url).status_code == 200
    videos = api.post("/v1/videos", {"prompt": "waves"}, format="json")
    assert videos.status_code == 403
    assert videos.json()["error"]["code"] == "token_scope"
    assert not Job.objects.exists()

    allowed = bearer(ApiTokenFactory(user=team.editor, scopes=["read", "generate"]).raw)
    assert allowed.post(url, JOB, format="json").status_code == 201


def test_a_token_without_rights_cannot_register_works(team: Team) -> None:
    api = bearer(ApiTokenFactory(user=team.editor, scopes=["read", "write", "generate"]).raw)
    response = api.post(f"/api/v1/projects/{team.project.pk}/works", {"asset": 1}, format="json")
    error = assert_error(response, 403, "token_scope")
    assert "rights" in error["message"]


def test_an_expired_token_gets_401(team: Team) -> None:
    token = ApiTokenFactory(user=team.editor, expires_at=timezone.now() - timedelta(minutes=1))
    error = assert_error(bearer(token.raw).get("/api/v1/profile"), 401, "authentication_failed")
    assert "expired" in error["message"]
    live = ApiTokenFactory(user=team.editor, expires_at=timezone.now() + timedelta(days=1))
    assert bearer(live.raw).get("/api/v1/profile").status_code == 200


def test_tokens_are_created_with_scopes_and_an_expiry(team: Team) -> None:
    session = APIClient()
    session.force_login(team.editor)
    response = session.post("/api/v1/tokens", {"name": "ci", "scopes": ["read", "rights"],
                                               "expires_in_days": 30}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scopes"] == ["read", "rights"]
    expires = ApiToken.objects.get(pk=body["id"]).expires_at
    assert expires is not None and timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)

    date = (timezone.now() + timedelta(days=10)).date().isoformat()
    response = session.post("/api/v1/tokens", {"name": "dated", "expires_at": date}, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["scopes"]) == ["generate", "read", "write"]
    assert response.json()["expires_at"].startswith(date)

    assert_error(session.post("/api/v1/tokens", {"name": "bad", "scopes": ["root"]}, format="json"),
                 400, "invalid", fields={"scopes"})
    assert_error(session.post("/api/v1/tokens", {"name": "none", "scopes": []}, format="json"),
                 400, "invalid", fields={"scopes"})
    past = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert_error(session.post("/api/v1/tokens", {"name": "past", "expires_at": past}, format="json"),
                 400, "invalid", fields={"expires_at"})
    assert_error(session.post("/api/v1/tokens", {"name": "both", "expires_at": date,
                                                 "expires_in_days": 3}, format="json"),
                 400, "invalid")


def test_the_tokens_page_creates_scoped_expiring_tokens() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/tokens/").content.decode()
    assert 'name="scopes"' in page and 'name="expires_in_days"' in page
    response = client.post("/accounts/tokens/", {"name": "script", "scopes": ["read", "generate"],
                                                 "expires_in_days": "7"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=user.pk, name="script")
    assert sorted(token.scopes) == ["generate", "read"]
    assert token.expires_at is not None
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    client.post("/accounts/tokens/", {"name": "forever", "scopes": ["read"], "expires_in_days": ""})
    assert ApiToken.objects.get(user=user.pk, name="forever").expires_at is None


def test_password_change_revokes_every_token_when_asked(team: Team) -> None:
    user = team.editor
    tokens = [ApiTokenFactory(user=user), ApiTokenFactory(user=user, scopes=["read"])]
    other = ApiTokenFactory()
    session = APIClient()
    session.force_login(user)
    response = session.post("/api/v1/profile/password", {
        "old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "revoke_tokens": True},
        format="json")
    assert response.status_code == 204
    for token in tokens:
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert_error(bearer(token.raw).get("/api/v1/profile"), 401, "authentication_failed")
    other.refresh_from_db()
    assert other.revoked_at is None
    assert session.get("/api/v1/profile").status_code == 200  # this session stays signed in


def test_password_change_keeps_tokens_unless_asked(team: Team) -> None:
    token = ApiTokenFactory(user=team.editor)
    session = APIClient()
    session.force_login(team.editor)
    response = session.post("/api/v1/profile/password", {
        "old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 204
    assert bearer(token.raw).get("/api/v1/profile").status_code == 200


def test_the_password_page_revokes_tokens_by_default_and_logs_out_other_sessions() -> None:
    user = UserFactory()
    token = ApiTokenFactory(user=user)
    elsewhere = Client()
    elsewhere.force_login(user)
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/password/change/").content.decode()
    assert 'name="revoke_tokens"' in page and "checked" in page
    response = client.post("/accounts/password/change/", {
        "old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD, "revoke_tokens": "on"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/accounts/profile/").status_code == 200  # this browser stays in
    assert elsewhere.get("/accounts/profile/").status_code == 302  # the other one is out


def test_public_endpoints_that_write_as_the_user_still_check_the_token(team: Team) -> None:
    """The gallery's views allow anonymous readers; a token there is still held to its scopes."""
    from tests.recommend.gallery_data import publish

    publication = publish(team.project, team.owner, title="Dawn", tags=["sea"])
    api = bearer(ApiTokenFactory(user=team.owner, scopes=["read"]).raw)
    assert api.get(f"/api/v1/gallery/works/{publication.public_id}").status_code == 200
    assert_error(api.patch(f"/api/v1/gallery/works/{publication.public_id}", {"title": "Mine now"},
                           format="json"), 403, "token_scope")
    publication.refresh_from_db()
    assert publication.title == "Dawn"
