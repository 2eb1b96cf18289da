"""Writes for users, profiles, API tokens and linked wallets."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import siwe
from accounts.avatars import avatar_validate
from accounts.models import DEFAULT_TOKEN_SCOPES, ApiToken, TokenScope, User, Wallet
from accounts.plans import Plan
from accounts.tokens import token_generate
from accounts.verification import email_verification_token, verification_url
from kernel.errors import Conflict, NotFound, QuotaExceeded, ValidationFailed

USERNAME_RULE = gettext_lazy("Letters, digits and @/./+/-/_ only, at most 150 characters.")


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(_("The password is too weak."),
                               fields={"password": list(exc.messages)}) from None


def user_signup(*, username: str, email: str, password: str, display_name: str = "",
                preferred_language: str = "en") -> User:
    """Create an account with an unverified address and mail the link that verifies it."""
    user = _user_create(username=username, email=email, password=password,
                        display_name=display_name, preferred_language=preferred_language)
    email_verification_send(user=user)
    return user


@transaction.atomic
def _user_create(*, username: str, email: str, password: str, display_name: str,
                 preferred_language: str) -> User:
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
    user.email_verified_at = None  # only the link mailed to the address verifies it
    _validate_password(password, user)
    user.set_password(password)
    try:
        user.save()
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise ValidationFailed(_("The account could not be created."),
                               fields={"username": [_("This username is taken.")]}) from None
    return user


PROFILE_FIELDS = ("display_name", "bio", "preferred_language", "email")


def profile_update(*, user: User, avatar: UploadedFile | None = None,
                   remove_avatar: bool = False, **changes: str) -> User:
    """Change the profile. A new e-mail address is unverified until its link is followed."""
    old_email = user.email
    user = _profile_save(user=user, avatar=avatar, remove_avatar=remove_avatar, **changes)
    if user.email != old_email:
        email_verification_send(user=user)
    return user


@transaction.atomic
def _profile_save(*, user: User, avatar: UploadedFile | None, remove_avatar: bool,
                  **changes: str) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown profile fields."),
                               fields={name: [_("This field cannot be changed.")] for name in unknown})
    avatar_ext = avatar_validate(avatar) if avatar is not None else None
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"].strip()).lower()
    refreshed = [*changes, "email_verified_at"]
    old_email = user.email
    for name, value in changes.items():
        setattr(user, name, value.strip() if name != "bio" else value)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password", "avatar"], validate_unique=False)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    email_changed = user.email != old_email and "email" not in errors
    if email_changed and User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists():
        errors.setdefault("email", []).append(_("An account with this e-mail already exists."))
    if errors:
        user.refresh_from_db(fields=refreshed)  # the caller's object must not keep refused values
        raise ValidationFailed(_("The profile could not be saved."), fields=errors)
    if email_changed:
        user.email_verified_at = None
    old_avatar = user.avatar.name if user.avatar else ""
    if avatar is not None:
        user.avatar.save(f"{uuid.uuid4().hex}.{avatar_ext}", avatar, save=False)
    elif remove_avatar:
        user.avatar = None
    try:
        with transaction.atomic():  # a savepoint: the refresh below needs a usable transaction
            user.save()
    except IntegrityError:  # another account took the address between check and update
        user.refresh_from_db(fields=refreshed)
        raise ValidationFailed(_("The profile could not be saved."), fields={
            "email": [_("An account with this e-mail already exists.")]}) from None
    if old_avatar and (avatar is not None or remove_avatar):
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str,
                    revoke_tokens: bool = False) -> int:
    """Change the password; with `revoke_tokens`, every active API token of the user stops
    working too. Returns how many tokens were revoked. (Other sessions end by themselves: their
    session hash no longer matches; the views keep the current one.)

    Wrong current passwords are counted per account: past PASSWORD_CHECK_FAILURE_LIMIT in
    PASSWORD_CHECK_WINDOW_S the check is refused (429) without trying, so that a stolen session
    cannot be used to guess the password at the API's rate."""
    failures_key = f"accounts:password-check-failures:{user.pk}"
    if cache.get(failures_key, 0) >= settings.PASSWORD_CHECK_FAILURE_LIMIT:
        raise QuotaExceeded(_("Too many wrong current passwords: try again later, or reset your "
                              "password by e-mail."), code="throttled")
    if not user.check_password(old_password):
        if not cache.add(failures_key, 1, settings.PASSWORD_CHECK_WINDOW_S):
            cache.incr(failures_key)
        raise ValidationFailed(_("The current password is wrong."),
                               fields={"old_password": [_("The current password is wrong.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationFailed(_("The new password is too weak."),
                               fields={"new_password": list(exc.messages)}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if not revoke_tokens:
        return 0
    return tokens_revoke_all(user=user)


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every token of the user that is not revoked yet; return how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- e-mail verification --------------------------------------------------------------------

RESEND_LIMIT = 3  # verification mails a user may ask for again ...
RESEND_WINDOW_S = 3600  # ... per hour


def email_verification_send(*, user: User) -> None:
    """Mail the link that verifies the user's current address, in their language."""
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {"user": user, "url": verification_url(user),
                   "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        subject = render_to_string("accounts/email/verify_email_subject.txt", context)
        body = render_to_string("accounts/email/verify_email.txt", context)
    send_mail(subject=" ".join(subject.split()), message=body, from_email=None,
              recipient_list=[user.email], fail_silently=True)


def email_verification_resend(*, user: User) -> None:
    """Send the link again, at most RESEND_LIMIT times an hour."""
    if user.email_verified:
        raise Conflict(_("Your e-mail address %(email)s is already verified.") % {"email": user.email},
                       code="already_verified")
    key = f"accounts:verify-resend:{user.pk}"
    cache.add(key, 0, timeout=RESEND_WINDOW_S)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RESEND_WINDOW_S)
        sent = 1
    if sent > RESEND_LIMIT:
        raise QuotaExceeded(_("You asked for %(n)s verification e-mails this hour; wait a while, "
                              "and check your spam folder.") % {"n": RESEND_LIMIT}, code="throttled")
    email_verification_send(user=user)


def email_verify(*, uidb64: str, token: str) -> User:
    """Mark the address in the link verified; refuse a link that is forged, used, expired or
    made for an address the account no longer has."""
    refused = ValidationFailed(_("This verification link is invalid or has expired. Links work "
                                 "once, and only for the address they were sent to."),
                               code="link_invalid")
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        raise refused from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=pk, is_active=True).first()
        if user is None or not email_verification_token.check_token(user, token):
            raise refused
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def user_set_plan(*, user: User, plan: str) -> User:
    if plan not in Plan.values:
        raise ValidationFailed(_("Unknown plan."),
                               fields={"plan": [_("Allowed: %(p)s.") % {"p": ", ".join(Plan.values)}]})
    user.plan = plan
    user.save(update_fields=["plan"])
    return user


MAX_ACTIVE_TOKENS = 50


MAX_TOKEN_DAYS = 3650


def _token_scopes(scopes: Iterable[str] | None) -> list[str]:
    if scopes is None:
        return list(DEFAULT_TOKEN_SCOPES)
    chosen = {str(scope).strip().lower() for scope in scopes}
    allowed = ", ".join(TokenScope.values)
    unknown = sorted(chosen - set(TokenScope.values))
    if unknown:
        raise ValidationFailed(_("Unknown token scope."), fields={"scopes": [
            _("Unknown: %(u)s. Allowed: %(a)s.") % {"u": ", ".join(unknown), "a": allowed}]})
    if not chosen:
        raise ValidationFailed(_("Choose what the token may do."), fields={"scopes": [
            _("At least one of: %(a)s.") % {"a": allowed}]})
    return [scope for scope in TokenScope.values if scope in chosen]  # in the canonical order


def _token_expiry(expires_at: datetime | None, expires_in_days: int | None) -> datetime | None:
    if expires_at is not None and expires_in_days is not None:
        message = _("Give either an expiry date or a number of days, not both.")
        raise ValidationFailed(message, fields={"expires_at": [message], "expires_in_days": [message]})
    now = timezone.now()
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise ValidationFailed(_("The token's lifetime is out of range."), fields={
                "expires_in_days": [_("From 1 to %(n)s days; leave it out for a token that does "
                                      "not expire.") % {"n": MAX_TOKEN_DAYS}]})
        return now + timedelta(days=expires_in_days)
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        if expires_at <= now or expires_at > now + timedelta(days=MAX_TOKEN_DAYS):
            raise ValidationFailed(_("The expiry date is out of range."), fields={
                "expires_at": [_("A moment in the future, at most %(n)s days away.") % {
                    "n": MAX_TOKEN_DAYS}]})
    return expires_at


@transaction.atomic
def token_create(*, user: User, name: str, scopes: Iterable[str] | None = None,
                 expires_at: datetime | None = None,
                 expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; return it with the raw secret, which is never stored or shown again.

    `scopes` defaults to read, write and generate (rights and tokens only when asked for);
    `expires_at` or `expires_in_days` (not both) make it stop working then; neither: never."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("The token needs a name."),
                               fields={"name": [_("Between 1 and 80 characters.")]})
    chosen_scopes = _token_scopes(scopes)
    expiry = _token_expiry(expires_at, expires_in_days)
    active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if active.filter(name=name).exists():
        raise ValidationFailed(_("A token with this name exists."),
                               fields={"name": [_("Choose a name you have not used for an active token.")]})
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed(_("Too many active tokens."),
                               fields={"name": [_("Revoke a token first; at most %(n)s are active.") % {
                                   "n": MAX_ACTIVE_TOKENS}]})
    raw, prefix, digest = token_generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=digest,
                                    scopes=chosen_scopes, expires_at=expiry)
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
    """Create the demo accounts `up` prints, once, with verified (undeliverable .local)
    addresses; existing ones are left alone but for verifying their untouched demo address."""
    users = []
    for username, password in password_for.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@storyloom.local",
                        display_name=username.capitalize(), preferred_language=settings.LANGUAGE_CODE,
                        email_verified_at=timezone.now())  # nobody can receive .local mail
            user.set_password(password)
            user.save()
        elif user.email_verified_at is None and user.email == f"{username}@storyloom.local":
            user.email_verified_at = timezone.now()  # made before verification existed
            user.save(update_fields=["email_verified_at"])
        users.append(user)
    return users


def user_lock(user: User) -> User | None:
    """Lock the account's row until the transaction ends: one quota-counted request at a time per
    account (inside transaction.atomic)."""
    return User.objects.select_for_update().filter(pk=user.pk).first()


# --- linked wallets (Sign-In with Ethereum, EIP-4361) ---------------------------------------


@dataclass(frozen=True)
class WalletChallenge:
    message: str  # the EIP-4361 message to sign, exactly as it must come back
    address: str
    expires_at: datetime


def _challenge_key(user_id: int, nonce: str) -> str:
    return f"accounts:wallet-challenge:{user_id}:{nonce}"


def wallet_challenge(*, user: User, address: str, domain: str, uri: str) -> WalletChallenge:
    """Compose the EIP-4361 message that links `address` to the account once signed with its key,
    and keep it for WALLET_CHALLENGE_TTL_S under the account and its nonce: it is accepted once,
    from this account only, byte for byte (wallet_link). `domain` is the host the request reached
    (as Django validated it against ALLOWED_HOSTS) and `uri` the page that asks.

    Whether the address is linked to another account is not said here, only to whoever proves
    they hold its key: an address alone does not tell who owns an account."""
    checksummed = siwe.checksummed(address.strip())
    if checksummed is None:
        raise ValidationFailed(_("This is not an Ethereum address."), fields={"address": [
            _("0x and 40 hexadecimal digits; in mixed case the capitals must match its EIP-55 "
              "checksum.")]})
    account = user.username if siwe.STATEMENT_TEXT.match(user.username) else f"#{user.pk}"
    now = timezone.now().replace(microsecond=0)
    expires_at = now + timedelta(seconds=settings.WALLET_CHALLENGE_TTL_S)
    nonce = siwe.nonce_new()
    message = siwe.SiweMessage(
        domain=domain, address=checksummed, uri=uri, chain_id=settings.CHAIN_ID, nonce=nonce,
        statement=f"Link this wallet to your Storyloom account {account} to receive payouts and "
                  "hold licences.",
        issued_at=now, expiration_time=expires_at).text()
    cache.set(_challenge_key(user.pk, nonce),
              {"message": message, "address": checksummed, "chain_id": settings.CHAIN_ID,
               "expires_at": expires_at.isoformat()},
              timeout=settings.WALLET_CHALLENGE_TTL_S + 5)
    return WalletChallenge(message=message, address=checksummed, expires_at=expires_at)


def _challenge_take(*, user: User, message: str) -> dict | None:
    """The challenge this message answers, issued to this account and still kept; it is removed
    before anything is checked, so that it answers once even when the answer is refused (when two
    requests race, one removes it, and the other finds nothing)."""
    nonce = siwe.nonce_of(message)
    if nonce is None:
        return None
    key = _challenge_key(user.pk, nonce)
    stored = cache.get(key)
    if not isinstance(stored, dict) or not cache.delete(key):
        return None
    return stored


def wallet_link(*, user: User, message: str, signature: str) -> Wallet:
    """Link the wallet that signed `message` (EIP-191 personal_sign) to the account, in place of any
    linked before: the message must be one wallet_challenge issued to this account, unchanged,
    unused and unexpired, and the signature must recover to the address it names."""
    stored = _challenge_take(user=user, message=message)
    ask_again = _("Ask for a new message to sign, and sign it as it is.")
    if stored is None:
        raise ValidationFailed(_("This message was not issued to your account, or it was used "
                                 "already, or it expired."),
                               fields={"message": [ask_again]}, code="challenge_invalid")
    if stored["message"] != message:
        raise ValidationFailed(_("This message differs from the one we issued."),
                               fields={"message": [ask_again]}, code="challenge_invalid")
    if timezone.now() >= datetime.fromisoformat(stored["expires_at"]):
        raise ValidationFailed(_("This message expired before it came back signed."),
                               fields={"message": [ask_again]}, code="challenge_expired")
    address = stored["address"]
    signed_by = siwe.signer(message, signature)
    if signed_by is None:
        raise ValidationFailed(_("The signature is not a valid Ethereum signature."), fields={
            "signature": [_("An EIP-191 personal_sign signature: 0x and 130 hexadecimal digits.")]},
            code="signature_invalid")
    if signed_by != address:
        raise ValidationFailed(_("The message was not signed with the key of %(address)s.") % {
            "address": address}, fields={"signature": [
                _("Sign with the wallet whose address is in the message (contract wallets cannot "
                  "be linked).")]}, code="signature_invalid")
    taken = _("This wallet is linked to another Storyloom account: unlink it there first.")
    with transaction.atomic():
        if Wallet.objects.filter(address=address).exclude(user=user).exists():
            raise Conflict(taken, fields={"address": [taken]}, code="wallet_taken")
        try:
            with transaction.atomic():
                wallet, _created = Wallet.objects.update_or_create(user=user, defaults={
                    "address": address, "chain_id": stored["chain_id"], "linked_at": timezone.now(),
                    "message": message, "signature": signature})
        except IntegrityError:  # another account linked it between the check and the write
            raise Conflict(taken, fields={"address": [taken]}, code="wallet_taken") from None
    return wallet


def wallet_unlink(*, user: User) -> Wallet | None:
    """Unlink the account's wallet: payouts and licences go to the custodial address again. The
    wallet unlinked, or None when none was linked."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is not None:
        wallet.delete()
    return wallet
