"""The log-in lock-out policy, on django-axes (settings: LOGIN_FAILURE_LIMIT,
LOGIN_USERNAME_FAILURE_LIMIT, LOGIN_COOLOFF_MINUTES; the AXES_* settings point here).

Failed log-ins are counted twice: per (username, client address), and per username alone.

- Per (username, address), with a low limit (5): someone guessing from one place is stopped
  early, and only there: an attacker cannot lock the owner out from *their* address, which a
  per-username count with the same limit would let anyone do with five wrong passwords.
- Per username, with a higher limit (30): guesses spread over many addresses (a botnet,
  credential stuffing) are bounded too. This one can be used to lock an owner out, so it is
  high, ends after the cool-off, and a password reset (proof of the mailbox) clears it.

A lock ends LOGIN_COOLOFF_MINUTES after the last failed attempt, and is never permanent.
Client addresses follow TRUSTED_PROXIES like every throttle (accounts.throttles.client_address).
Counts live in the cache (Redis): no database write per failed attempt, and they expire by
themselves; a restarted embedded Valkey forgets them, which only shortens locks.
"""

from datetime import timedelta
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_client_cache_keys, get_client_username, make_cache_key_list
from axes.signals import user_locked_out
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.throttles import client_address


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name an attempt is counted against, in one spelling: usernames are unique whatever
    their case, so 'Ada ' and 'ada' are one account to the lock."""
    data = credentials or getattr(request, "data", None) or request.POST
    value = data.get("username")
    return value.strip().lower() if isinstance(value, str) else None


def username_failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """axes' own limit. axes compares one limit with the largest of its counts, which is the
    per-username one (every failure adds to it); LockoutHandler adds the per-address limit."""
    limit: int = settings.LOGIN_USERNAME_FAILURE_LIMIT
    return limit


def cooloff(request: HttpRequest | None) -> timedelta:
    return timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)


def _per_address_key(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """axes' cache key for the ["username", "ip_address"] lockout parameter of this attempt."""
    username = get_client_username(request, credentials)
    return make_cache_key_list([{"username": username, "ip_address": client_address(request)}])[0]


class LockoutHandler(AxesCacheHandler):
    """axes' cache handler with a second, lower limit on the (username, address) count."""

    def _locked_here(self, request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
        failures = self.cache.get(_per_address_key(request, credentials), default=0)
        return bool(failures >= settings.LOGIN_FAILURE_LIMIT)

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if not getattr(settings, "AXES_LOCK_OUT_AT_FAILURE", True):
            return False
        return self._locked_here(request, credentials) or super().is_locked(request, credentials)

    def user_login_failed(self, sender: Any, credentials: dict[str, Any],
                          request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)  # counts, and the username limit
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.is_locked(request, credentials):  # (the per-address limit: axes checked its own)
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send("axes", request=request,
                                 username=get_client_username(request, credentials),
                                 ip_address=client_address(request))


def login_failures_forget(request: HttpRequest, *, username: str) -> None:
    """Forget the failures counted against `username`: everywhere, and from this client's
    address. Called once its owner has proved the mailbox by resetting the password."""
    keys = get_client_cache_keys(request, {"username": username})
    get_cache().delete_many(keys)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """What a locked-out attempt gets (AXES_LOCKOUT_CALLABLE): the site's page, 429."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
