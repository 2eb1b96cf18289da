"""Plain helpers for the reviews tests."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from inbox.models import Notification
from recommend.models import Publication
from reviews import services
from reviews.models import Review
from tests.accounts.factories import UserFactory


def post(user: User, work: Publication, body: str = "Lovely light on the water.",
         parent: Review | None = None) -> Review:
    return services.review_post(user=user, publication_id=work.public_id, body=body,
                                parent=None if parent is None else parent.pk)


def trusted_reporter() -> User:
    """A verified account old enough for its reports to count in full."""
    days = settings.RECOMMEND_REPORTER_MIN_AGE_DAYS + 1
    user: User = UserFactory(date_joined=timezone.now() - timedelta(days=days))
    return user


def fresh_reporter() -> User:
    """A new account whose address is not verified: its report weighs nothing towards a hold."""
    user: User = UserFactory(verified=False)
    return user


def api_as(user: User | None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api


def sent() -> list[tuple[Any, str, Any]]:
    """(recipient, kind, actor) of every notification, in the order they were made."""
    return [(n.recipient, n.kind, n.actor) for n in Notification.objects.order_by("id")]


def error_of(response: Any) -> dict[str, Any]:
    """The API's error body, checked to be its one shape (JSON, never a page)."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    assert "Traceback" not in body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error
