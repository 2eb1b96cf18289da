from typing import Any

from django.http import HttpRequest

from projects.selectors import invitation_list_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What base.html shows on every page: the number of pending invitations."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"pending_invitation_count": 0}
    return {"pending_invitation_count": invitation_list_for_user(user=user).count()}
