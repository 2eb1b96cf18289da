from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from accounts.models import ApiToken, User
from tests.accounts.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory, image_file
from tests.core.helpers import assert_error

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/profile"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- authentication ---


def test_bearer_token_authenticates(api: APIClient) -> None:
    token = ApiTokenFactory(user__username="tokenuser")
    response = api.get(PROFILE, **bearer(token.raw))
    assert response.status_code == 200
    assert response.json()["username"] == "tokenuser"
    response = api.get(PROFILE, HTTP_AUTHORIZATION=f"bearer {token.raw}")  # scheme ignores case
    assert response.status_code == 200


def test_a_revoked_token_gets_401(api: APIClient) -> None:
    token = ApiTokenFactory()
    services.token_revoke(user=token.user, token_id=token.pk)
    response = api.get(PROFILE, **bearer(token.raw))
    error = assert_error(response, 401, "authentication_failed", fields=set())
    assert "revoked" in error["message"]
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer two parts",
    "Bearer slm_00000000_not-a-real-secret",
    "Bearer random-garbage",
])
def test_a_malformed_or_unknown_token_gets_401(api: APIClient, header: str) -> None:
    ApiTokenFactory()
    response = api.get(PROFILE, HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "authentication_failed", fields=set())


def test_a_bad_token_is_not_rescued_by_a_session(api: APIClient) -> None:
    api.force_login(UserFactory())
    assert_error(api.get(PROFILE, **bearer("slm_x_y")), 401, "authentication_failed")


def test_anonymous_gets_401_in_the_error_format(api: APIClient) -> None:
    response = api.get(PROFILE)
    error = assert_error(response, 401, "not_authenticated", fields=set())
    assert "credentials" in error["message"].lower()


def test_session_authentication(api: APIClient) -> None:
    user = UserFactory()
    assert api.login(username=user.username, password=DEFAULT_PASSWORD)
    assert api.get(PROFILE).json()["id"] == user.id
    api.logout()
    assert api.get(PROFILE).status_code == 401


def test_session_writes_need_the_csrf_token_but_bearer_writes_do_not() -> None:
    user = UserFactory()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.patch(PROFILE, {"bio": "x"}, format="json")
    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]

    token = ApiTokenFactory(user=user)
    client = APIClient(enforce_csrf_checks=True)
    response = client.patch(PROFILE, {"bio": "by token"}, format="json", **bearer(token.raw))
    assert response.status_code == 200
    assert response.json()["bio"] == "by token"


# --- sign-up ---


def test_signup(api: APIClient) -> None:
    response = api.post("/api/v1/auth/signup", {
        "username": "newbie", "email": "Newbie@Example.com", "password": "weft-and-warp-2026",
        "display_name": "New B"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "newbie"
    assert body["email"] == "newbie@example.com"
    assert body["name"] == "New B"
    assert "password" not in body
    assert User.objects.get(username="newbie").check_password("weft-and-warp-2026")


def test_signup_input_errors_name_the_fields(api: APIClient) -> None:
    response = api.post("/api/v1/auth/signup", {"email": "nope"}, format="json")
    error = assert_error(response, 400, "invalid", fields={"username", "email", "password"})
    assert "email" in error["message"] and "username" in error["message"]


def test_signup_service_errors_name_the_fields(api: APIClient) -> None:
    UserFactory(username="taken", email="t@example.com")
    response = api.post("/api/v1/auth/signup", {
        "username": "TAKEN", "email": "T@example.com", "password": "weft-and-warp-2026"},
        format="json")
    assert_error(response, 400, "invalid", fields={"username", "email"})
    response = api.post("/api/v1/auth/signup", {
        "username": "fresh", "email": "fresh@example.com", "password": "12345"}, format="json")
    assert_error(response, 400, "invalid", fields={"password"})
    assert not User.objects.filter(username="fresh").exists()


# --- profile ---


def test_profile_get_and_patch(api: APIClient) -> None:
    user = UserFactory(display_name="Old")
    api.force_login(user)
    body = api.get(PROFILE).json()
    assert body["display_name"] == "Old"
    assert body["plan"] == "free"
    assert body["avatar"] is None
    response = api.patch(PROFILE, {"display_name": "New", "preferred_language": "zh-hans"},
                         format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "New"
    user.refresh_from_db()
    assert (user.display_name, user.preferred_language) == ("New", "zh-hans")


def test_profile_patch_errors(api: APIClient) -> None:
    api.force_login(UserFactory())
    response = api.patch(PROFILE, {"preferred_language": "fr", "display_name": "x" * 81},
                         format="json")
    assert_error(response, 400, "invalid", fields={"preferred_language", "display_name"})


def test_profile_read_only_fields_cannot_be_changed(api: APIClient) -> None:
    user = UserFactory()
    api.force_login(user)
    response = api.patch(PROFILE, {"plan": "pro", "username": "hijack"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.plan, user.username) != ("pro", "hijack")
    assert user.plan == "free"


def test_avatar_upload(api: APIClient, media_root: Path) -> None:
    user = UserFactory()
    api.force_login(user)
    response = api.patch(PROFILE, {"avatar": image_file("face.png")}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["avatar"].startswith(f"http://testserver/accounts/avatar/{user.pk}/?v=")
    user.refresh_from_db()
    assert Path(user.avatar.path).is_file()
    served = api.get(response.json()["avatar"])
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")


def test_avatar_upload_refuses_a_fake_image(api: APIClient, media_root: Path) -> None:
    api.force_login(UserFactory())
    fake = SimpleUploadedFile("face.png", b"plain text", content_type="image/png")
    response = api.patch(PROFILE, {"avatar": fake}, format="multipart")
    assert_error(response, 400, "invalid", fields={"avatar"})


def test_password_change(api: APIClient) -> None:
    user = UserFactory()
    api.force_login(user)
    url = "/api/v1/profile/password"
    response = api.post(url, {"old_password": "nope", "new_password": "a-better-one-1234"},
                        format="json")
    assert_error(response, 400, "invalid", fields={"old_password"})
    response = api.post(url, {"old_password": DEFAULT_PASSWORD, "new_password": "short"},
                        format="json")
    assert_error(response, 400, "invalid", fields={"new_password"})
    response = api.post(url, {"old_password": DEFAULT_PASSWORD}, format="json")
    assert_error(response, 400, "invalid", fields={"new_password"})
    response = api.post(url, {"old_password": DEFAULT_PASSWORD,
                              "new_password": "a-better-one-1234"}, format="json")
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password("a-better-one-1234")


# --- tokens ---


def test_token_lifecycle(api: APIClient) -> None:
    user = UserFactory()
    api.force_login(user)
    response = api.post("/api/v1/tokens", {"name": "cli"}, format="json")
    assert response.status_code == 201
    created = response.json()
    raw = created["token"]
    assert raw.startswith(f"slm_{created['prefix']}_")
    assert created["is_active"] is True
    assert not ApiToken.objects.filter(key_hash=raw).exists()

    listed = api.get("/api/v1/tokens").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == created["id"]
    assert "token" not in listed["results"][0]  # the secret is shown once only

    assert_error(api.post("/api/v1/tokens", {"name": "cli"}, format="json"), 400, "invalid",
                 fields={"name"})
    assert_error(api.post("/api/v1/tokens", {}, format="json"), 400, "invalid", fields={"name"})

    token_client = APIClient()
    assert token_client.get(PROFILE, **bearer(raw)).status_code == 200
    assert api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert_error(token_client.get(PROFILE, **bearer(raw)), 401, "authentication_failed")
    listed = api.get("/api/v1/tokens").json()
    assert listed["results"][0]["is_active"] is False
    assert listed["results"][0]["revoked_at"] is not None


def test_tokens_of_others_are_invisible(api: APIClient) -> None:
    other = ApiTokenFactory()
    api.force_login(UserFactory())
    assert api.get("/api/v1/tokens").json()["count"] == 0
    assert_error(api.delete(f"/api/v1/tokens/{other.pk}"), 404, "not_found")
    other.refresh_from_db()
    assert other.is_active


def test_only_a_token_with_the_tokens_scope_can_manage_tokens(api: APIClient) -> None:
    token = ApiTokenFactory()  # the default scopes: read, write, generate
    response = api.post("/api/v1/tokens", {"name": "child"}, format="json", **bearer(token.raw))
    assert_error(response, 403, "token_scope")
    manager = ApiTokenFactory(scopes=["read", "tokens"])
    response = api.post("/api/v1/tokens", {"name": "child"}, format="json", **bearer(manager.raw))
    assert response.status_code == 201


# --- pagination ---


def test_token_list_is_paginated(api: APIClient) -> None:
    user = UserFactory()
    for index in range(23):
        ApiTokenFactory(user=user, name=f"t{index}")
    api.force_login(user)
    first = api.get("/api/v1/tokens").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 23
    assert len(first["results"]) == 20
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 3
    assert second["next"] is None
    ids = {t["id"] for t in first["results"]} | {t["id"] for t in second["results"]}
    assert len(ids) == 23
    small = api.get("/api/v1/tokens", {"page_size": 5}).json()
    assert len(small["results"]) == 5
    assert "page_size=5" in small["next"]
    assert_error(api.get("/api/v1/tokens", {"page": 99}), 404, "not_found")


# --- throttling ---


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    """3 requests a minute per user, 2 per anonymous client.

    DRF reloads `api_settings` when REST_FRAMEWORK changes, but SimpleRateThrottle copied the
    rates into a class attribute at import, so the class attribute is patched as well.
    """
    rates = {"user": "3/min", "anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_users_are_throttled_per_user(api: APIClient, low_rates: None) -> None:
    token = ApiTokenFactory()
    for _ in range(3):
        assert api.get(PROFILE, **bearer(token.raw)).status_code == 200
    response = api.get(PROFILE, **bearer(token.raw))
    error = assert_error(response, 429, "throttled", fields=set())
    assert "available in" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 60

    # The same user through a session is the same user: still throttled.
    session = APIClient()
    session.force_login(token.user)
    assert session.get(PROFILE).status_code == 429
    # Someone else is not.
    other = APIClient()
    other.force_login(UserFactory())
    assert other.get(PROFILE).status_code == 200


def test_anonymous_clients_are_throttled(api: APIClient, low_rates: None) -> None:
    # Permissions are checked before throttles: the anonymous rate shows on open endpoints.
    for _ in range(2):
        assert api.post("/api/v1/auth/signup", {}, format="json").status_code == 400
    assert_error(api.post("/api/v1/auth/signup", {}, format="json"), 429, "throttled")
