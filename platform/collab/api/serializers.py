from rest_framework import serializers

from collab.models import Contribution, StoryboardVersion
from kernel.api.serializers import UserBriefSerializer


class ReplySerializer(serializers.Serializer):
    id = serializers.CharField()
    author = serializers.CharField()
    author_name = serializers.CharField()
    text = serializers.CharField()
    time = serializers.CharField()


class CommentSerializer(ReplySerializer):
    resolved = serializers.BooleanField()
    replies = ReplySerializer(many=True)


class SceneSerializer(serializers.Serializer):
    id = serializers.CharField()
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField()
    duration = serializers.FloatField(help_text="Seconds.")
    camera = serializers.CharField(help_text="Camera or shot note.")
    style = serializers.CharField(help_text="Style preset.")  # type: ignore[assignment]
    seed = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(help_text="Model preset.")
    comments = CommentSerializer(many=True)


class StoryboardSerializer(serializers.Serializer):
    title = serializers.CharField()
    scenes = SceneSerializer(many=True)
    seq = serializers.IntegerField(required=False, help_text="The last update in the log.")


class SceneCreateInput(serializers.Serializer):
    prompt = serializers.CharField(max_length=2000, allow_blank=True)
    negative_prompt = serializers.CharField(max_length=2000, allow_blank=True, default="")
    duration = serializers.FloatField(min_value=0.5, max_value=60, default=4.0)
    camera = serializers.CharField(max_length=200, allow_blank=True, default="")
    style = serializers.CharField(max_length=80, allow_blank=True, default="")  # type: ignore[assignment]
    seed = serializers.IntegerField(min_value=0, max_value=2**32 - 1, allow_null=True, default=None)
    model = serializers.CharField(max_length=80, allow_blank=True, default="")


class SeqSerializer(serializers.Serializer):
    seq = serializers.IntegerField()


class VersionSerializer(serializers.ModelSerializer):
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = StoryboardVersion
        fields = ["id", "label", "seq", "created_by", "created_at"]
        read_only_fields = fields


class VersionCreateInput(serializers.Serializer):
    label = serializers.CharField(max_length=120)  # type: ignore[assignment]


class ContributionSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = Contribution
        fields = ["user", "updates", "chars_inserted", "chars_deleted", "scenes_added",
                  "scenes_removed", "comments", "last_edit_at"]
        read_only_fields = fields
