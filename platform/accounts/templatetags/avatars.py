"""`{% load avatars %}` … `<img src="{{ person|avatar_url }}">`: where an avatar is shown from."""

from django import template

from accounts.avatar_views import avatar_url as _avatar_url
from accounts.models import User

register = template.Library()


@register.filter
def avatar_url(user: User | None) -> str:
    return _avatar_url(user)
