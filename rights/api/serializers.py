
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import users_by_id
from kernel.api.fields import ChoiceField
from rights.licences import LicenceKind
from rights.lookalikes import near_candidates, near_matches, work_content_unit
from rights.models import Owner, RegistrationMode, Work, WorkReview
from rights.selectors import consents_missing

if TYPE_CHECKING:
    pass


class OwnerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", allow_null=True)
    name = serializers.CharField(source="user.name", allow_null=True)
    confirmed = serializers.SerializerMethodField()

    class Meta:
        model = Owner
        fields = ["address", "bps", "username", "name", "confirmed"]

    def get_confirmed(self, owner: Owner) -> bool:
        return owner.confirmed_at is not None


class SimilarSerializer(serializers.Serializer):
    id = serializers.CharField(source="work.public_id")
    title = serializers.CharField(source="work.title")
    status = serializers.CharField(source="work.status")
    content_bits = serializers.IntegerField(allow_null=True, help_text="Content-Code bits apart (of 64).")
    phash_bits = serializers.IntegerField(help_text="Perceptual-hash bits apart (of 64).")


class ReviewSerializer(serializers.ModelSerializer):
    """A look-alike's registration, waiting for the owners of what it looks like."""

    work = serializers.CharField(source="work.public_id")
    work_title = serializers.CharField(source="work.title")
    requested_by = serializers.CharField(source="work.created_by.username")
    matched_work = serializers.CharField(source="matched_work.public_id", allow_null=True, default=None)
    matched_asset = serializers.IntegerField(source="matched_asset_id", allow_null=True)

    class Meta:
        model = WorkReview
        fields = ["id", "work", "work_title", "requested_by", "matched_work", "matched_asset",
                  "content_bits", "phash_bits", "status", "decided_at", "created_at"]


class WorkSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    owners = OwnerSerializer(many=True)
    project = serializers.IntegerField(source="project_id", allow_null=True)
    asset = serializers.IntegerField(source="asset_id", allow_null=True)
    similar = serializers.SerializerMethodField()
    consents_needed = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = Work
        fields = ["id", "title", "description", "status", "mode", "licence", "terms", "terms_sha256",
                  "mime", "size", "sha256", "iscc", "phash", "project", "asset", "owners", "registrant",
                  "block_number", "registered_at", "error", "created_at", "similar", "consents_needed",
                  "reviews"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_consents_needed(self, work: Work) -> list[str]:
        """Makers whose share was cut or removed and who have not agreed yet (usernames)."""
        missing = consents_missing(work)
        return [user.username for user in users_by_id(missing).values()] if missing else []

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_reviews(self, work: Work) -> list[dict[str, Any]]:
        """Where a look-alike's registration stands with the owners of what it looks like."""
        return [{"status": review.status, "matched_work": review.matched_work.public_id
                 if review.matched_work else None, "matched_asset": review.matched_asset_id}
                for review in work.reviews.select_related("matched_work")]

    @extend_schema_field(SimilarSerializer(many=True))
    def get_similar(self, work: Work) -> list[dict[str, Any]]:
        """Registered works that look like a draft (shown before it is registered)."""
        if work.status != "draft":
            return []
        if "near_candidates" not in self.context:  # one search pool for a whole list of drafts
            self.context["near_candidates"] = near_candidates()
        matches = near_matches(sha256=work.sha256, content_code=work_content_unit(work), phash=work.phash,
                               exclude=work, candidates=self.context["near_candidates"])
        return list(SimilarSerializer(matches, many=True).data)


class WorkInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    licence = ChoiceField(choices=LicenceKind.choices)
    terms = serializers.CharField(allow_blank=True, required=False, help_text="Custom licence terms.")
    mode = ChoiceField(choices=RegistrationMode.choices, required=False)


class AssetWorkInput(WorkInput):
    asset = serializers.IntegerField(help_text="One of the project's generated assets.")


class UploadWorkInput(WorkInput):
    file = serializers.FileField(help_text="A PNG, JPEG or WebP image or an MP4 or WebM video.")


class OwnerInput(serializers.Serializer):
    user = serializers.IntegerField(required=False, help_text="A person here (the platform holds the share).")
    address = serializers.CharField(required=False, help_text="Or an outside 0x address.")
    bps = serializers.IntegerField(help_text="Share in basis points; all owners' add up to 10,000.")


class OwnersInput(serializers.Serializer):
    owners = OwnerInput(many=True)


class SubmitInput(serializers.Serializer):
    acknowledge_similar = serializers.BooleanField(
        required=False, default=False, help_text="Register although similar works are registered.")
