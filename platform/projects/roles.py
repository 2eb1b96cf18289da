"""Roles and the one table saying which role each action needs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    OWNER = "owner", _("Owner")


RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


class Action(models.TextChoices):
    VIEW = "project.view", _("view the project")
    UPDATE = "project.update", _("rename or describe the project")
    ARCHIVE = "project.archive", _("archive or unarchive the project")
    DELETE = "project.delete", _("delete the project")
    INVITE = "member.invite", _("invite members")
    CHANGE_ROLE = "member.change_role", _("change members' roles")
    REMOVE_MEMBER = "member.remove", _("remove members")
    REVOKE_INVITATION = "invitation.revoke", _("revoke invitations")
    VIEW_ACTIVITY = "activity.view", _("see the activity log")
    EDIT_STORYBOARD = "storyboard.edit", _("edit the storyboard")
    SAVE_VERSION = "storyboard.save_version", _("save storyboard versions")
    RESTORE_VERSION = "storyboard.restore_version", _("restore storyboard versions")
    GENERATE = "generation.submit", _("generate images and video")
    REGISTER_WORK = "rights.register", _("register the project's works on the chain")
    PUBLISH = "gallery.publish", _("publish the project's works in the gallery")


MIN_ROLE: dict[str, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.VIEW_ACTIVITY: Role.VIEWER,
    Action.UPDATE: Role.EDITOR,
    Action.EDIT_STORYBOARD: Role.EDITOR,
    Action.SAVE_VERSION: Role.EDITOR,
    Action.RESTORE_VERSION: Role.EDITOR,
    Action.GENERATE: Role.EDITOR,
    Action.REGISTER_WORK: Role.EDITOR,
    Action.ARCHIVE: Role.OWNER,
    Action.DELETE: Role.OWNER,
    Action.INVITE: Role.OWNER,
    Action.CHANGE_ROLE: Role.OWNER,
    Action.REMOVE_MEMBER: Role.OWNER,
    Action.REVOKE_INVITATION: Role.OWNER,
    Action.PUBLISH: Role.OWNER,
}

# Actions still allowed on an archived project (it is read-only otherwise).
# A finished project's works can still be registered and published.
ALLOWED_WHEN_ARCHIVED = {Action.VIEW, Action.VIEW_ACTIVITY, Action.ARCHIVE, Action.DELETE,
                         Action.CHANGE_ROLE, Action.REMOVE_MEMBER, Action.REVOKE_INVITATION,
                         Action.REGISTER_WORK, Action.PUBLISH}


def role_allows(role: str | None, action: str) -> bool:
    return role is not None and RANK[Role(role)] >= RANK[MIN_ROLE[action]]
