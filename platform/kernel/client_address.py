"""Which address a request or a websocket comes from, for rate limits.

X-Forwarded-For is whatever the client wrote, except for the entries the platform's own
proxies appended. With REST_FRAMEWORK["NUM_PROXIES"] (env TRUSTED_PROXIES) at 0 the header is
ignored and the connection's address counts; with N > 0 the address N entries from the right
counts (the one the outermost trusted proxy saw), the rule DRF's throttles apply
(SimpleRateThrottle.get_ident), so every limit counts the same client the same way.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _trusted_proxies() -> int:
    return int(settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0)


def client_address(remote: str | None, forwarded_for: str | None) -> str | None:
    """The client's address, from the connection's and the X-Forwarded-For header's."""
    proxies = _trusted_proxies()
    if proxies <= 0 or not forwarded_for:
        return remote
    entries = forwarded_for.split(",")
    return entries[-min(proxies, len(entries))].strip() or remote


def address_from_request(request: HttpRequest) -> str | None:
    return client_address(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def address_from_scope(scope: dict[str, Any]) -> str | None:
    """The same for an ASGI scope (repeated X-Forwarded-For headers count as one list)."""
    client = scope.get("client")
    values = [value.decode("latin1") for name, value in scope.get("headers") or []
              if name.lower() == b"x-forwarded-for"]
    return client_address(client[0] if client else None, ",".join(values) or None)
