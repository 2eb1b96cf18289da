from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.avatar_views import avatar_url
from accounts.models import ApiToken, TokenScope, User, Wallet
from accounts.siwe import ADDRESS_PATTERN, SIGNATURE_PATTERN
from kernel.api.fields import ChoiceField


class ProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    email_verified = serializers.BooleanField(
        read_only=True, help_text="Whether the owner of the address followed the link mailed to it.")
    avatar = serializers.SerializerMethodField(help_text="Where the avatar is served from (null: none).")

    class Meta:
        model = User
        fields = ["id", "username", "email", "email_verified", "email_verified_at", "name",
                  "display_name", "bio", "avatar", "preferred_language", "plan", "date_joined"]
        read_only_fields = fields

    def get_avatar(self, user: User) -> str | None:
        url = avatar_url(user)
        request = self.context.get("request")
        return (request.build_absolute_uri(url) if request is not None else url) if url else None


class ProfileUpdateInput(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, required=False,
        help_text="A new address is unverified until the link mailed to it is followed.")
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    preferred_language = ChoiceField(choices=[c for c, _ in settings.LANGUAGES],
                                                 required=False)
    avatar = serializers.FileField(required=False)
    remove_avatar = serializers.BooleanField(required=False, default=False)


class SignupInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class PasswordChangeInput(serializers.Serializer):
    old_password = serializers.CharField()
    new_password = serializers.CharField()
    revoke_tokens = serializers.BooleanField(
        required=False, default=False,
        help_text="Also revoke every API token of the account (programs must get new ones).")


class TokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)
    is_expired = serializers.BooleanField(read_only=True)
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at",
                  "revoked_at", "is_active", "is_expired"]
        read_only_fields = fields


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret; shown only once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=len(TokenScope.values),
        help_text="What the token may do: any of " + ", ".join(TokenScope.values)
        + ". Default: read, write, generate.")
    expires_in_days = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                               help_text="The token stops working after this many days.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True,
                                           help_text="Or: when it stops working (an ISO date or time).")


class WalletSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wallet
        fields = ["address", "chain_id", "linked_at"]
        read_only_fields = fields
        extra_kwargs = {"address": {"help_text": "EIP-55 checksummed: where payouts and licences go."},
                        "chain_id": {"help_text": "The chain the signed message named (EIP-155)."}}


class WalletChallengeInput(serializers.Serializer):
    address = serializers.RegexField(
        ADDRESS_PATTERN, max_length=42,
        error_messages={"invalid": _("An Ethereum address: 0x and 40 hexadecimal digits.")},
        help_text="The wallet's address (what the wallet's eth_requestAccounts answered).")


class WalletChallengeSerializer(serializers.Serializer):
    message = serializers.CharField(
        help_text="The EIP-4361 (Sign-In with Ethereum) message: sign it as it is with the wallet "
                  "(personal_sign) and send it back with the signature before expires_at.")
    address = serializers.CharField(help_text="The address in the message, EIP-55 checksummed.")
    expires_at = serializers.DateTimeField()


class WalletLinkInput(serializers.Serializer):
    message = serializers.CharField(max_length=2000, trim_whitespace=False,
                                    help_text="The message the challenge gave, unchanged.")
    signature = serializers.RegexField(
        SIGNATURE_PATTERN, max_length=132,
        error_messages={"invalid": _("An EIP-191 personal_sign signature: 0x and 130 hexadecimal "
                                     "digits.")},
        help_text="The wallet's EIP-191 personal_sign signature of the message: 0x and 130 "
                  "hexadecimal digits.")
