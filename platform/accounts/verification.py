"""Signed e-mail verification links, made with Django's password-reset token machinery.

A link is `/accounts/verify/<uidb64>/<token>/`. The token's hash covers the user's pk, their
e-mail address and when it was verified, so a link stops working once it has been used or the
address changes; it also expires after settings.PASSWORD_RESET_TIMEOUT, like a reset link.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "storyloom.accounts.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        verified = user.email_verified_at
        verified_text = "" if verified is None else verified.replace(microsecond=0, tzinfo=None).isoformat()
        return f"{user.pk}|{user.email.lower()}|{verified_text}|{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


def verification_path(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:verify_email", args=[uidb64, email_verification_token.make_token(user)])


def verification_url(user: User) -> str:
    return settings.SITE_URL.rstrip("/") + verification_path(user)
