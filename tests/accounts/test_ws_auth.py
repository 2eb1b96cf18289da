"""The websocket bearer middleware hands consumers the token's scopes."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.ws_auth import BearerTokenMiddleware
from tests.accounts.factories import ApiTokenFactory
from tests.ws import run

pytestmark = pytest.mark.django_db(transaction=True)


async def scope_seen(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope)

    await BearerTokenMiddleware(inner)({"type": "websocket", "headers": headers,
                                        "user": AnonymousUser()}, None, None)
    return seen


def test_token_scopes_are_in_the_scope() -> None:
    token = ApiTokenFactory(scopes=["read"])
    expired = ApiTokenFactory(expires_at=timezone.now() - timedelta(hours=1))
    seen = run(scope_seen([(b"authorization", f"Bearer {token.raw}".encode())]))
    assert seen["user"].pk == token.user_id and seen["token_scopes"] == ["read"]
    seen = run(scope_seen([(b"authorization", f"Bearer {expired.raw}".encode())]))
    assert isinstance(seen["user"], AnonymousUser) and seen["token_scopes"] == []
    seen = run(scope_seen([]))
    assert seen["token_scopes"] is None  # a session: not limited by scopes
