"""Bearer-token authentication for websockets (programmatic clients: pycrdt, Node)."""

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from accounts.selectors import user_for_token


class BearerTokenMiddleware(BaseMiddleware):
    """`Authorization: Bearer slm_…` on the websocket handshake sets scope["user"]; without the
    header the session's user (from AuthMiddlewareStack, outside this) stays."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"authorization", b"").decode(errors="replace").split()
        if len(value) == 2 and value[0].lower() == "bearer":
            from django.contrib.auth.models import AnonymousUser

            user = await database_sync_to_async(user_for_token)(raw=value[1])
            scope = {**scope, "user": user or AnonymousUser()}
        return await super().__call__(scope, receive, send)
