from rest_framework import serializers

from kernel.api.fields import ChoiceField
from kernel.api.serializers import UserBriefSerializer
from projects.activity import verb_text
from projects.models import Activity, Invitation, Membership, Project
from projects.roles import Role
from projects.selectors import activity_data_public, invitee_email


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The requesting user's role.")
    is_archived = serializers.BooleanField(read_only=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "created_at", "updated_at", "archived_at",
                  "is_archived", "role"]
        read_only_fields = fields

    def get_role(self, project: Project) -> str | None:
        roles = self.context.get("roles", {})
        return roles.get(project.id)


class ProjectCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                        default="")


class ProjectUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ProjectDeleteInput(serializers.Serializer):
    confirm_name = serializers.CharField(help_text="The project's exact name, to confirm.")


class MembershipSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class MembershipUpdateInput(serializers.Serializer):
    role = ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation. The invitee's address is shown in full only with context `show_email`
    (the project's owners, and the invitee); others get it masked (a•••@example.com) for an
    invitation by e-mail, and an empty string for one to an account (see `invitee`)."""

    invitee = UserBriefSerializer(read_only=True, allow_null=True)  # none for an e-mail invitation
    invited_by = UserBriefSerializer(read_only=True)
    project = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField(
        help_text="The invited address; masked unless you own the project or are the invitee.")

    class Meta:
        model = Invitation
        fields = ["id", "project", "invitee", "email", "role", "status", "invited_by",
                  "created_at", "expires_at", "responded_at"]
        read_only_fields = fields

    def get_project(self, invitation: Invitation) -> dict:
        return {"id": invitation.project_id, "name": invitation.project.name}

    def get_email(self, invitation: Invitation) -> str:
        return invitee_email(invitation=invitation, show_email=bool(self.context.get("show_email")))


class InvitationCreateInput(serializers.Serializer):
    invitee = serializers.CharField(max_length=254, help_text="A username or an e-mail address.")
    role = ChoiceField(choices=Role.choices, default=Role.EDITOR)


class ActivitySerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)
    text = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "verb", "text", "actor", "target_type", "target_id", "data", "created_at"]
        read_only_fields = fields

    def get_text(self, activity: Activity) -> str:
        return verb_text(activity.verb, activity_data_public(activity))

    def to_representation(self, instance: Activity) -> dict:
        out = super().to_representation(instance)
        out["data"] = activity_data_public(instance)  # no invitee's raw address (older rows)
        return out
