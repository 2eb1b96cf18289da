from rest_framework import serializers

from inbox.messages import message_text
from inbox.models import Kind, Notification
from kernel.api.fields import ChoiceField
from kernel.api.serializers import UserBriefSerializer


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    text = serializers.SerializerMethodField(help_text="The sentence, in the request's language.")
    link = serializers.CharField(read_only=True, help_text="A path on this site: the notification's place.")
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "text", "link", "actor", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_text(self, notification: Notification) -> str:
        return message_text(kind=notification.kind, message=notification.message, params=notification.params)


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many were unread.")


class EmailKindsSerializer(serializers.Serializer):
    kinds = serializers.ListField(child=ChoiceField(choices=Kind.choices), max_length=len(Kind.values),
                                  help_text="The kinds of notification e-mailed in the digest.")
