from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User, Wallet
from accounts.siwe import checksummed
from accounts.tokens import TOKEN_SCHEME, token_hash


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_find(*, raw: str) -> ApiToken | None:
    """The token with this secret, usable or not (with its user), or None."""
    if not raw.startswith(f"{TOKEN_SCHEME}_"):
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()


def token_refusal(token: ApiToken | None) -> str | None:
    """Why this token authenticates nobody (a sentence for the client), or None if it may."""
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return _("Invalid or revoked API token.")
    if token.is_expired:
        assert token.expires_at is not None
        return _("This API token expired on %(date)s; create a new one.") % {
            "date": token.expires_at.isoformat(timespec="minutes")}
    return None


def token_for_raw(*, raw: str) -> ApiToken | None:
    """The usable token for this secret, or None. Records when it was last used."""
    token = token_find(raw=raw)
    if token is None or token_refusal(token) is not None:
        return None
    token_mark_used(token)
    return token


def token_mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # throttled write
        token.last_used_at = now


def user_for_token(*, raw: str) -> User | None:
    """The active user owning this usable (not revoked, not expired) bearer token, or None."""
    token = token_for_raw(raw=raw)
    return token.user if token is not None else None


def user_find(*, identifier: str) -> User | None:
    """A user by username or e-mail (case-insensitive)."""
    identifier = identifier.strip()
    field = "email__iexact" if "@" in identifier else "username__iexact"
    return User.objects.filter(**{field: identifier}, is_active=True).first()


def email_masked(address: str) -> str:
    """An address others may see: `a•••@example.com` (the first letter and the domain)."""
    local, sep, domain = address.strip().rpartition("@")
    if not sep or not local:
        return "•••"
    return f"{local[:1]}•••@{domain}"


class AccountTrust:
    """What another app may weigh a person's word by (a report, say): how old the account is,
    whether its e-mail address is verified, and whether it is staff. The policy is the caller's."""

    __slots__ = ("age_days", "email_verified", "staff", "user_id")

    def __init__(self, *, user_id: int, age_days: float, email_verified: bool, staff: bool) -> None:
        self.user_id = user_id
        self.age_days = age_days
        self.email_verified = email_verified
        self.staff = staff


def accounts_trust(*, user_ids: list[int]) -> dict[int, AccountTrust]:
    """AccountTrust of each active account among `user_ids`, in one query (inactive ones are left out)."""
    now = timezone.now()
    rows = User.objects.filter(pk__in=user_ids, is_active=True).values_list(
        "pk", "date_joined", "email_verified_at", "is_staff")
    return {pk: AccountTrust(user_id=pk, age_days=max((now - joined).total_seconds(), 0.0) / 86400.0,
                             email_verified=verified_at is not None, staff=staff)
            for pk, joined, verified_at, staff in rows}


def current_user(request: Request | HttpRequest) -> User:
    """The signed-in user of a request (views behind IsAuthenticated or login_required only)."""
    if not isinstance(request.user, User):
        raise exceptions.NotAuthenticated()
    return request.user


def signed_in(user: object) -> User | None:
    """The user if signed in, else None (for code that serves visitors too)."""
    return user if isinstance(user, User) and user.is_authenticated else None


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=list(ids))}


def users_by_username(names: Iterable[str]) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=list(names))}


def user_active(*, username: str, exact_case: bool = True) -> User | None:
    """The active account with this username (case-insensitively unless `exact_case`), or None."""
    lookup = "username" if exact_case else "username__iexact"
    return User.objects.filter(**{lookup: username}, is_active=True).first()


def user_by_id(pk: int | None) -> User | None:
    return User.objects.filter(pk=pk).first() if pk is not None else None


# --- linked wallets ---------------------------------------------------------------------------


def wallet_get(*, user: User) -> Wallet | None:
    """The wallet the person linked (Sign-In with Ethereum), or None: the platform's custodial
    address serves them then."""
    return Wallet.objects.filter(user=user).first()


def linked_wallet(user_id: int) -> str | None:
    """The address (EIP-55) of the wallet the person linked, where their payouts and licences go,
    or None: then the custodial address the platform holds for them (rights.keys)."""
    return Wallet.objects.filter(user_id=user_id).values_list("address", flat=True).first()


def linked_wallets(user_ids: Iterable[int]) -> dict[int, str]:
    """linked_wallet for many people in one query: only those who linked one are in the answer."""
    return dict(Wallet.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "address"))


def wallet_owner(address: str) -> int | None:
    """The id of the person who linked this address (in any letter case), or None."""
    normal = checksummed(address.strip().lower()) if isinstance(address, str) else None
    if normal is None:
        return None
    return Wallet.objects.filter(address=normal).values_list("user_id", flat=True).first()
