from django.conf import settings
from rest_framework import serializers

from accounts.models import ApiToken, User
from core.api.fields import ChoiceField


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class ProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "name", "display_name", "bio", "avatar",
                  "preferred_language", "plan", "date_joined"]
        read_only_fields = fields


class ProfileUpdateInput(serializers.Serializer):
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


class TokenSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = fields


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret; shown only once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
