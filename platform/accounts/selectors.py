from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.tokens import TOKEN_SCHEME, token_hash


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def user_for_token(*, raw: str) -> User | None:
    """The active user owning this bearer token, or None. Records when it was last used."""
    if not raw.startswith(f"{TOKEN_SCHEME}_"):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=token_hash(raw), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # throttled write
    return token.user


def user_find(*, identifier: str) -> User | None:
    """A user by username or e-mail (case-insensitive)."""
    identifier = identifier.strip()
    field = "email__iexact" if "@" in identifier else "username__iexact"
    return User.objects.filter(**{field: identifier}, is_active=True).first()
