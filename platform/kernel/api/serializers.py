"""Serializers every app's API shares."""

from rest_framework import serializers


class UserBriefSerializer(serializers.Serializer):
    """A person as other objects show them (a member, an author, a requester): read-only."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="The display name, or the username.")
