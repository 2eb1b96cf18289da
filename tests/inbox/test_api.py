"""/api/v1/notifications: each user's own, in the API's error shape for every refusal."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from inbox.models import Kind, Notification
from tests.accounts.factories import ApiTokenFactory, UserFactory
from tests.inbox.factories import NotificationFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/notifications"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    text = response.content.decode()
    assert "Traceback" not in text and str(settings.BASE_DIR) not in text
    return body["error"]


def test_anonymous_callers_get_401_everywhere(api):
    notification = NotificationFactory()
    for method, path in [("get", BASE), ("get", f"{BASE}/unread-count"), ("post", f"{BASE}/read-all"),
                         ("post", f"{BASE}/{notification.pk}/read"), ("get", f"{BASE}/email")]:
        error(getattr(api, method)(path), 401)
    assert Notification.objects.get().read_at is None


def test_a_user_lists_only_their_own_newest_first_with_the_text(api):
    user = UserFactory()
    older = NotificationFactory(recipient=user, read=True)
    newer = NotificationFactory(recipient=user, kind=Kind.REGISTRATION_FAILED,
                                params={"work": "Gulls"}, actor=None)
    NotificationFactory()  # someone else's
    api.force_authenticate(user)
    body = api.get(BASE).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["text"] == "The registration of “Gulls” failed."
    assert (first["kind"], first["is_read"], first["actor"], first["link"]) == (
        Kind.REGISTRATION_FAILED, False, None, "/projects/invitations/")
    assert [row["id"] for row in api.get(BASE + "?unread=true").json()["results"]] == [newer.pk]
    assert api.get(f"{BASE}/unread-count").json() == {"unread": 1}
    assert error(api.get(BASE + "?unread=maybe"), 400, "invalid")["fields"]["unread"]


def test_no_one_reads_or_marks_another_users_notification(api):
    mine, theirs = NotificationFactory(), NotificationFactory()
    api.force_authenticate(mine.recipient)
    error(api.post(f"{BASE}/{theirs.pk}/read"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.post(f"{BASE}/read-all").json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = api.post(f"{BASE}/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["is_read"] is True


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "9" * 30, "%00", "1;drop"])
def test_malformed_or_missing_ids_are_404_in_the_error_shape(api, bad):
    api.force_authenticate(UserFactory())
    error(api.post(f"{BASE}/{bad}/read"), 404)


def test_a_token_without_the_read_scope_cannot_list_and_one_without_write_cannot_mark(api):
    notification = NotificationFactory()
    write_only = ApiTokenFactory(user=notification.recipient, scopes=["write"])
    read_only = ApiTokenFactory(user=notification.recipient, scopes=["read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {write_only.raw}")
    error(api.get(BASE), 403, "token_scope")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {read_only.raw}")
    assert api.get(BASE).status_code == 200
    error(api.post(f"{BASE}/{notification.pk}/read"), 403, "token_scope")


def test_the_digest_kinds_are_read_and_set_with_their_choices_checked(api):
    user = UserFactory()
    api.force_authenticate(user)
    assert api.get(f"{BASE}/email").json() == {"kinds": []}
    response = api.put(f"{BASE}/email", {"kinds": ["reply", "invitation"]}, format="json")
    assert response.json() == {"kinds": ["invitation", "reply"]}
    fields = error(api.put(f"{BASE}/email", {"kinds": ["spam"]}, format="json"), 400, "invalid")["fields"]
    assert any("Allowed" in message for messages in fields.values() for message in messages)
    error(api.put(f"{BASE}/email", {"kinds": "reply"}, format="json"), 400, "invalid")
    error(api.put(f"{BASE}/email", {"kinds": ["reply"] * 100}, format="json"), 400, "invalid")


def test_the_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (BASE, f"{BASE}/unread-count", f"{BASE}/read-all", f"{BASE}/email",
                 f"{BASE}/{{notification_id}}/read"):
        assert path in schema["paths"], path
