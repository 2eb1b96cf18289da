from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User
from accounts.selectors import token_find, token_mark_used, token_refusal
from accounts.throttles import FailureThrottle


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer slm_...` with a token the user created on their profile.

    `request.auth` is the ApiToken, so accounts.scopes.TokenScopePermission can check what the
    token may do; an expired or revoked token authenticates nobody (401)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        failures = FailureThrottle("bad_token")
        wait = failures.refused(request)
        if wait is not None:  # DRF throttles run after authentication: guessing is bounded here
            raise exceptions.Throttled(wait)
        token = token_find(raw=header[1])
        refusal = token_refusal(token)
        if refusal is not None or token is None:
            failures.failed(request)
            raise exceptions.AuthenticationFailed(refusal)
        token_mark_used(token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
