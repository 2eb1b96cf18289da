from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ChoiceField
from generation.models import Asset, Job, JobKind, Webhook


class AssetSerializer(serializers.ModelSerializer):
    file = serializers.FileField(use_url=True)
    poster = serializers.FileField(use_url=True)
    preview = serializers.FileField(use_url=True, allow_null=True)
    thumbnail = serializers.FileField(use_url=True)

    class Meta:
        model = Asset
        fields = ["id", "kind", "file", "poster", "preview", "thumbnail", "sha256", "width", "height",
                  "frames", "fps", "seconds", "parent", "created_at"]


class JobSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    requester = serializers.CharField(source="requester.username", allow_null=True)
    seconds = serializers.FloatField()
    asset = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "preset", "status", "progress", "step", "steps", "eta_s", "error", "prompt",
                  "negative_prompt", "width", "height", "frames", "fps", "seconds", "guidance", "seed",
                  "requester", "timings", "created_at", "started_at", "finished_at", "asset"]

    @extend_schema_field(AssetSerializer(allow_null=True))
    def get_asset(self, job: Job) -> dict | None:
        asset = next((a for a in job.assets.all() if a.role == "output"), None)
        return AssetSerializer(asset, context=self.context).data if asset else None


class JobCreateInput(serializers.Serializer):
    """Anything left out comes from the preset; the seed is drawn when absent."""

    kind = ChoiceField(choices=JobKind.choices)
    preset = serializers.CharField(max_length=64)
    prompt = serializers.CharField(allow_blank=True, help_text="Up to 2,000 characters.")
    negative_prompt = serializers.CharField(allow_blank=True, required=False)
    width = serializers.IntegerField(required=False)
    height = serializers.IntegerField(required=False)
    frames = serializers.IntegerField(required=False, help_text="Video: frames (or give seconds).")
    seconds = serializers.FloatField(required=False, help_text="Video: length at the clip's fps.")
    fps = serializers.IntegerField(required=False)
    steps = serializers.IntegerField(required=False)
    guidance = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False, allow_null=True)


class UsageSerializer(serializers.Serializer):
    plan = serializers.CharField()
    video_seconds_today = serializers.FloatField()
    video_seconds_per_day = serializers.FloatField()
    jobs_in_flight = serializers.IntegerField()
    jobs_in_flight_max = serializers.IntegerField()
    max_side = serializers.IntegerField(help_text="The largest width or height the plan renders.")


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "url", "created_at"]


class WebhookCreatedSerializer(serializers.ModelSerializer):
    """The secret is shown here, once: receivers check the signature with it."""

    class Meta:
        model = Webhook
        fields = ["id", "url", "secret", "created_at"]


class WebhookCreateInput(serializers.Serializer):
    url = serializers.CharField(help_text="An http or https URL that receives job.succeeded and job.failed.")
