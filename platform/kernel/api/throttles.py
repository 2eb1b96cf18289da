"""Throttles counted per client address (signed in or not), for what anyone may try: the view's
`throttle_scope` names the rate. Pages count in the same buckets through `throttle_wait`."""

from math import ceil
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import ScopedRateThrottle


class AddressRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle per client address (the TRUSTED_PROXIES rule, DRF's get_ident), its
    rate read at each request from DEFAULT_THROTTLE_RATES (DRF's class copies them at import)."""

    def get_rate(self) -> str | None:
        rate: str | None = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope or "")
        return rate

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_wait(throttle: AddressRateThrottle, request: HttpRequest, scope: str) -> int | None:
    """Count one `scope` attempt with `throttle`: None when it is allowed; else the seconds to wait
    (and nothing is counted)."""
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):  # type: ignore[arg-type]
        return None
    wait = throttle.wait()  # (None when more than the rate were counted, e.g. before a change)
    return max(1, ceil(wait if wait is not None else getattr(throttle, "duration", 60) or 1))
