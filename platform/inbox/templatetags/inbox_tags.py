from typing import Any

from django import template

from inbox.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread_count(context: dict[str, Any]) -> int:
    """The signed-in user's unread notifications, for the navigation's badge."""
    user = getattr(context.get("request"), "user", None)
    return unread_count(user_id=user.pk) if user is not None and user.is_authenticated else 0
