"""Rate limits on the account actions anyone may try: sign-up, password reset, e-mail
verification links, bearer tokens that authenticate nobody. The API uses AccountRateThrottle as a
DRF throttle; pages call `throttle_wait`, which runs the same throttle, so both count in one
bucket in the cache."""

import hashlib
from math import ceil
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kernel.api.throttles import AddressRateThrottle
from kernel.api.throttles import throttle_wait as core_throttle_wait
from kernel.client_address import address_from_request


def client_address(request: HttpRequest) -> str | None:
    """The client's address by the TRUSTED_PROXIES rule (kernel.client_address); the log-in
    lock-out (django-axes, AXES_CLIENT_IP_CALLABLE) counts by it."""
    return address_from_request(request)


class AccountRateThrottle(AddressRateThrottle):
    """DRF's scoped throttle (the view's `throttle_scope`) counted per client address, signed
    in or not: one person's accounts are not a second budget for sign-ups.

    The rate is read from settings.ACCOUNT_THROTTLE_RATES at each request (DRF's classes copy
    DEFAULT_THROTTLE_RATES when they are imported)."""

    def get_rate(self) -> str | None:
        rate: str | None = settings.ACCOUNT_THROTTLE_RATES[str(self.scope)]
        return rate


class TargetRateThrottle(AccountRateThrottle):
    """The same rate counted per target (an e-mail address asked for) instead of per client:
    bounds what many addresses together can send to one person. The target is stored hashed."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = hashlib.sha256(target.strip().lower().encode()).hexdigest()

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": f"{self.scope}_to", "ident": self.target}


def throttle_wait(request: HttpRequest, scope: str, *, target: str | None = None) -> int | None:
    """Count one `scope` attempt by this client (or, with `target`, at that address).

    None when it is allowed; else the seconds to wait, and nothing is counted."""
    throttle = AccountRateThrottle() if target is None else TargetRateThrottle(target)
    return core_throttle_wait(throttle, request, scope)


def wait_minutes(seconds: int) -> int:
    """The wait shown to people, in whole minutes (at least one)."""
    return max(1, ceil(seconds / 60))


class FailureThrottle(AccountRateThrottle):
    """Counts failures only, per client address: `refused()` before an attempt (so that past the
    rate even a right guess is not tried), `failed()` after one that failed."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def _load(self, request: Any) -> None:
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - (self.duration or 0)]

    def refused(self, request: Any) -> int | None:
        """The seconds to wait when this client already failed `rate` times; else None."""
        self._load(request)
        if self.num_requests is not None and len(self.history) >= self.num_requests:
            return max(1, ceil(self.wait() or self.duration or 1))
        return None

    def failed(self, request: Any) -> None:
        self._load(request)
        self.throttle_success()  # (records the attempt in the history)


class UserRateThrottle(AccountRateThrottle):
    """The scope's rate (ACCOUNT_THROTTLE_RATES) counted per signed-in account, whatever its client
    addresses, sessions and tokens: for what only a signed-in person may do (wallet challenges).
    Nobody signed in is counted by client address."""

    def get_cache_key(self, request: Any, view: Any) -> str:
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": f"{self.scope}_user", "ident": ident}
