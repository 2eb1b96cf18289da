"""Which websocket handshakes may use the session cookie.

A session cookie is ambient authority: a browser sends it with a socket opened by any site's
page (cross-site websocket hijacking). So the cookie counts only on a socket whose Origin is one
of ours (ALLOWED_HOSTS, as Channels's AllowedHostsOriginValidator matches them, plus
CSRF_TRUSTED_ORIGINS). On any other socket, a missing Origin included, the cookie is removed
before the session middleware reads it: the socket is anonymous, and consumers close it with
4403 like any other anonymous socket.

A bearer token (`Authorization: Bearer …`) is not ambient (a browser cannot set that header on
a websocket), so programs (pycrdt, `websockets`, y-websocket in Node) need no Origin, and a
foreign Origin does not matter to them either.
"""

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings


def allowed_origins() -> list[str]:
    """ALLOWED_HOSTS (as Channels reads them) and CSRF_TRUSTED_ORIGINS, in Channels's pattern
    syntax (a subdomain wildcard is a leading dot: `https://*.example.com` -> `https://.example.com`)."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    trusted = [origin.replace("://*.", "://.", 1) for origin in settings.CSRF_TRUSTED_ORIGINS]
    return [*hosts, *trusted]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def _parsed_origin(value: bytes | None) -> ParseResult | None:
    if value is None:
        return None
    try:
        return urlparse(value.decode("latin1"))
    except ValueError:
        return None


def origin_trusted(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the handshake names an Origin of this site (a missing one is not)."""
    parsed = _parsed_origin(_header(headers, b"origin"))
    if parsed is None:
        return False
    return OriginValidator(None, allowed_origins()).validate_origin(parsed)


class SessionOriginGuard:
    """ASGI middleware, outside the session middleware: sockets whose Origin is not ours lose
    their cookie (and so their session); scope["origin_trusted"] says which it was."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SessionOriginGuard is for websocket connections only")
        headers = list(scope.get("headers") or [])
        trusted = origin_trusted(headers)
        if not trusted:
            headers = [(key, value) for key, value in headers if key != b"cookie"]
        scope = {**scope, "headers": headers, "origin_trusted": trusted}
        return await self.application(scope, receive, send)
