"""Bearer-token authentication for websockets (programmatic clients: pycrdt, Node)."""

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

from accounts.selectors import token_for_raw


class BearerTokenMiddleware(BaseMiddleware):
    """`Authorization: Bearer slm_…` on the websocket handshake sets scope["user"] and
    scope["token_scopes"] (the token's scopes, a list: consumers check them, e.g. "write" before
    accepting edits); an expired or revoked token makes the connection anonymous. Without the
    header the session's user (from AuthMiddlewareStack, outside this) stays and
    scope["token_scopes"] is None: a session is not limited by scopes."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"authorization", b"").decode(errors="replace").split()
        if len(value) == 2 and value[0].lower() == "bearer":
            from django.contrib.auth.models import AnonymousUser

            token = await database_sync_to_async(token_for_raw)(raw=value[1])
            scope = {**scope, "user": token.user if token else AnonymousUser(),
                     "token_scopes": list(token.scopes) if token else []}
        else:
            scope = {**scope, "token_scopes": None}
        return await super().__call__(scope, receive, send)
