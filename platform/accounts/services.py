"""Writes for users, profiles and API tokens."""

import uuid

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.avatars import avatar_validate
from accounts.models import ApiToken, Plan, User
from accounts.tokens import token_generate
from core.errors import NotFound, ValidationFailed

USERNAME_RULE = _("Letters, digits and @/./+/-/_ only, at most 150 characters.")


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(_("The password is too weak."),
                               fields={"password": list(exc.messages)}) from None


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, display_name: str = "",
                preferred_language: str = "en") -> User:
    errors: dict[str, list[str]] = {}
    username, email = username.strip(), User.objects.normalize_email(email.strip()).lower()
    user = User(username=username, email=email, display_name=display_name.strip(),
                preferred_language=preferred_language)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append(_("This username is taken."))
    if User.objects.filter(email__iexact=email).exists():
        errors.setdefault("email", []).append(_("An account with this e-mail already exists."))
    if errors:
        raise ValidationFailed(_("The account could not be created."), fields=errors)
    _validate_password(password, user)
    user.set_password(password)
    try:
        user.save()
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise ValidationFailed(_("The account could not be created."),
                               fields={"username": [_("This username is taken.")]}) from None
    return user


PROFILE_FIELDS = ("display_name", "bio", "preferred_language")


@transaction.atomic
def profile_update(*, user: User, avatar: UploadedFile | None = None,
                   remove_avatar: bool = False, **changes: str) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown profile fields."),
                               fields={name: [_("This field cannot be changed.")] for name in unknown})
    avatar_ext = avatar_validate(avatar) if avatar is not None else None
    for name, value in changes.items():
        setattr(user, name, value.strip() if name != "bio" else value)
    try:
        user.full_clean(exclude=["password", "avatar"], validate_unique=False)
    except ValidationError as exc:
        user.refresh_from_db(fields=list(changes))  # the caller's object must not keep refused values
        raise ValidationFailed(_("The profile could not be saved."),
                               fields={k: list(v) for k, v in exc.message_dict.items()}) from None
    old_avatar = user.avatar.name if user.avatar else ""
    if avatar is not None:
        user.avatar.save(f"{uuid.uuid4().hex}.{avatar_ext}", avatar, save=False)
    elif remove_avatar:
        user.avatar = None
    user.save()
    if old_avatar and (avatar is not None or remove_avatar):
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationFailed(_("The current password is wrong."),
                               fields={"old_password": [_("The current password is wrong.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(_("The new password is too weak."),
                               fields={"new_password": list(exc.messages)}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])


def user_set_plan(*, user: User, plan: str) -> User:
    if plan not in Plan.values:
        raise ValidationFailed(_("Unknown plan."),
                               fields={"plan": [_("Allowed: %(p)s.") % {"p": ", ".join(Plan.values)}]})
    user.plan = plan
    user.save(update_fields=["plan"])
    return user


MAX_ACTIVE_TOKENS = 50


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; return it with the raw secret, which is never stored or shown again."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("The token needs a name."),
                               fields={"name": [_("Between 1 and 80 characters.")]})
    active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if active.filter(name=name).exists():
        raise ValidationFailed(_("A token with this name exists."),
                               fields={"name": [_("Choose a name you have not used for an active token.")]})
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed(_("Too many active tokens."),
                               fields={"name": [_("Revoke a token first; at most %(n)s are active.") % {
                                   "n": MAX_ACTIVE_TOKENS}]})
    raw, prefix, digest = token_generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=digest)
    return token, raw


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def demo_users_ensure(*, password_for: dict[str, str]) -> list[User]:
    """Create the demo accounts `up` prints, once; existing ones are left alone."""
    users = []
    for username, password in password_for.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@storyloom.local",
                        display_name=username.capitalize(), preferred_language=settings.LANGUAGE_CODE)
            user.set_password(password)
            user.save()
        users.append(user)
    return users
