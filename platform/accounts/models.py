from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.plans import Plan


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    bio = models.TextField(_("bio"), max_length=1000, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    plan = models.CharField(_("plan"), max_length=10, choices=Plan.choices, default=Plan.FREE)
    email_verified_at = models.DateTimeField(
        _("e-mail verified at"), null=True, blank=True,
        help_text=_("When the owner of the address followed the link mailed to it; empty until "
                    "then and again after the address changes."))

    REQUIRED_FIELDS = ["email"]

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class TokenScope(models.TextChoices):
    """What a bearer token may do. Signed-in people (sessions) are not limited by scopes."""

    READ = "read", _("Read: see projects, jobs, works and your profile")
    WRITE = "write", _("Write: change projects, members, invitations and your profile")
    GENERATE = "generate", _("Generate: submit, remix and cancel renders")
    RIGHTS = "rights", _("Rights: register works, confirm and submit them")
    TOKENS = "tokens", _("Tokens: create and revoke API tokens")


DEFAULT_TOKEN_SCOPES = [TokenScope.READ.value, TokenScope.WRITE.value, TokenScope.GENERATE.value]


def default_token_scopes() -> list[str]:
    return list(DEFAULT_TOKEN_SCOPES)


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(_("scopes"), default=default_token_scopes,
                              help_text=_("Any of: read, write, generate, rights, tokens."))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True,
                                      help_text=_("Empty: never expires."))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_token_unique_active_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class Wallet(models.Model):
    """A wallet a person linked by signing a Sign-In with Ethereum (EIP-4361) message with it: their
    payouts and licences go there instead of the custodial address the platform holds for them.
    One per person (linking another replaces it); one person per address."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="wallet")
    address = models.CharField(_("address"), max_length=42, unique=True,
                               help_text=_("EIP-55 checksummed, as 0x and 40 hexadecimal digits."))
    chain_id = models.PositiveBigIntegerField(_("chain ID"))
    linked_at = models.DateTimeField(_("linked at"))
    # The proof: the message the server issued and the EIP-191 signature that recovers to `address`.
    message = models.TextField()
    signature = models.CharField(max_length=132)

    def __str__(self) -> str:
        return f"{self.address} ({self.user_id})"
