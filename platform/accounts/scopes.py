"""What a bearer token may do, checked in one place for every API view.

Requests signed in with a session are not limited. For a request authenticated by an API token
(`request.auth` is the ApiToken), safe methods (GET, HEAD, OPTIONS) need the `read` scope;
other methods need `write`, unless the view declares `token_scope = "generate"` (or "rights",
"tokens"): then that scope is needed instead.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken, TokenScope
from kernel.errors import PermissionDenied


def scope_needed(*, method: str, view: Any) -> str:
    if method.upper() in SAFE_METHODS:
        return TokenScope.READ.value
    declared = getattr(view, "token_scope", None)
    return str(declared) if declared else TokenScope.WRITE.value


class TokenScopePermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # a session (or anonymous: other permissions decide)
        needed = scope_needed(method=request.method or "GET", view=view)
        if token.has_scope(needed):
            return True
        raise PermissionDenied(
            _("This API token lacks the “%(needed)s” scope this request needs (it has: %(has)s). "
              "Create a token with the “%(needed)s” scope on your API tokens page.") % {
                "needed": needed, "has": ", ".join(token.scopes or []) or _("none")},
            code="token_scope")
