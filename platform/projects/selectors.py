"""Reads for projects, with the membership checks every caller relies on."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import email_masked, signed_in
from kernel.errors import NotFound, PermissionDenied, ServiceError
from kernel.sql import placeholders, table
from projects.models import Activity, Invitation, InvitationStatus, Membership, Project
from projects.roles import ALLOWED_WHEN_ARCHIVED, MIN_ROLE, Action, Role, role_allows

if TYPE_CHECKING:
    from accounts.models import User

AnyUser: TypeAlias = "User | AnonymousUser"  # (a string: User is imported for type checking only)


def membership_get(*, project: Project, user: AnyUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(project=project, user=user).first()


def membership_require(*, project: Project, user: AnyUser, action: str) -> Membership:
    """The user's membership if their role allows `action`; raise otherwise.

    Non-members (and anonymous users) get NotFound, so a project's existence is not revealed.
    """
    membership = membership_get(project=project, user=user)
    refusal = action_refusal(role=membership.role if membership else None, archived=project.is_archived,
                             action=action)
    if refusal is not None:
        raise refusal
    assert membership is not None
    return membership


def action_refusal(*, role: str | None, archived: bool, action: str) -> ServiceError | None:
    """Why a member with `role` (None: not a member) may not take `action` on a project that
    is or is not archived; None when they may."""
    if role is None:
        return NotFound(_("No such project."))
    if not role_allows(role, action):
        return PermissionDenied(
            _("Your role (%(role)s) cannot %(action)s; it needs %(needed)s or higher.") % {
                "role": Role(role).label, "action": Action(action).label,
                "needed": MIN_ROLE[action].label})
    if archived and action not in ALLOWED_WHEN_ARCHIVED:
        return PermissionDenied(_("The project is archived: unarchive it first."), code="archived")
    return None


def actions_allowed(*, project: Project, role: str | None) -> dict[str, bool]:
    """Which actions a role may take on this project now (pages use it to hide controls),
    keyed by the action's name: {"update": True, "remove_member": False, ...}."""
    return {action.name.lower(): role_allows(role, action)
            and (not project.is_archived or action in ALLOWED_WHEN_ARCHIVED)
            for action in Action}


def project_get(*, project_id: int, user: AnyUser, action: str = Action.VIEW) -> Project:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    membership_require(project=project, user=user, action=action)
    return project


def project_list(*, user: AnyUser, archived: bool | None = False) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    qs = Project.objects.filter(memberships__user=user)
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    return qs.distinct()


def member_list(*, project: Project, user: AnyUser) -> QuerySet[Membership]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return project.memberships.select_related("user").order_by("created_at")


def invitation_list_for_project(*, project: Project, user: AnyUser) -> QuerySet[Invitation]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return (project.invitations.filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
            .select_related("invitee", "invited_by"))


def invitee_emails_visible(*, project: Project, user: AnyUser) -> bool:
    """Whether the user may see invitees' e-mail addresses: the project's owners only."""
    membership = membership_get(project=project, user=user)
    return membership is not None and membership.role == Role.OWNER


def invitee_label(*, invitation: Invitation, show_email: bool) -> str:
    """The invitee as shown to a member: owners see the address; others see the account's name
    for an invitation to an account and a masked address (a•••@example.com) for one by e-mail."""
    if show_email:
        return invitation.invitee_label
    if invitation.invitee is not None:
        return invitation.invitee.name
    return email_masked(invitation.email)


def invitee_email(*, invitation: Invitation, show_email: bool) -> str:
    """The invitation's address as shown to a member: the address for owners (and the invitee);
    masked for others when the invitation is by e-mail, empty when it is to an account."""
    if show_email:
        return invitation.email
    return "" if invitation.invitee_id is not None else email_masked(invitation.email)


# Activity verbs whose data name an invitee; rows recorded before addresses were masked may
# hold one in full.
_INVITEE_VERBS = {"member.invited", "invitation.revoked"}


def activity_data_public(activity: Activity) -> dict:
    """The activity's data as every member may read it: no raw e-mail address."""
    data = dict(activity.data or {})
    if activity.verb in _INVITEE_VERBS and "@" in str(data.get("invitee", "")):
        invitee = str(data["invitee"])
        if "•••@" not in invitee:
            data["invitee"] = email_masked(invitee)
    return data


def invitation_list_for_user(*, user: AnyUser) -> QuerySet[Invitation]:
    """Pending invitations addressed to the user: to their account, or to their e-mail address
    once it is verified (anyone can sign up with an address they do not own)."""
    person = signed_in(user)
    if person is None:
        return Invitation.objects.none()
    addressed = Q(invitee=person)
    if person.email_verified:
        addressed |= Q(invitee__isnull=True, email__iexact=person.email)
    return (Invitation.objects
            .filter(addressed, status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
            .select_related("project", "invited_by"))


def activity_list(*, project: Project, user: AnyUser) -> QuerySet[Activity]:
    membership_require(project=project, user=user, action=Action.VIEW_ACTIVITY)
    return project.activities.select_related("actor")


def project_find(*, project_id: int) -> Project | None:
    """The project with this id, or None, with no check of who asks: for code that checks access
    itself (a socket re-reading its membership) or acts for the platform (its activity log)."""
    return Project.objects.filter(pk=project_id).first()


def project_owned_named(*, user: User, name: str) -> Project | None:
    """The user's own project (created by them, still theirs as owner) with this name."""
    return Project.objects.filter(name=name, created_by=user, memberships__user=user,
                                  memberships__role=Role.OWNER).first()


def projects_allowing(*, user: User, action: str) -> list[Project]:
    """The user's projects where they may do `action` (their role allows it, and the project is
    not archived unless the action is one an archived project allows), the latest changed first."""
    memberships = (Membership.objects.filter(user=user).select_related("project")
                   .order_by("-project__updated_at", "project__name"))
    if action not in ALLOWED_WHEN_ARCHIVED:  # (leave archived projects in the database)
        memberships = memberships.filter(project__archived_at__isnull=True)
    return [m.project for m in memberships if action_refusal(
        role=m.role, archived=m.project.archived_at is not None, action=action) is None]


def member_roles(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, bool]]:
    """(role, project archived) of each (project, user) pair that is a membership: one query for a
    whole batch of the storyboard's write path, so in SQL."""
    projects, users = sorted({p for p, _ in pairs}), sorted({u for _, u in pairs})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.project_id, m.user_id, m.role, p.archived_at FROM {table(Membership)} m "
            f"JOIN {table(Project)} p ON p.id = m.project_id "
            f"WHERE m.project_id IN ({placeholders(projects)}) AND m.user_id IN ({placeholders(users)})",
            [*projects, *users])
        return {(project_id, user_id): (role, archived_at is not None)
                for project_id, user_id, role, archived_at in cursor.fetchall()}


def memberships_recent(*, user: AnyUser, limit: int) -> list[Membership]:
    """The user's memberships of projects not archived, the latest changed project first, each
    with its project (the dashboard's list)."""
    person = signed_in(user)
    if person is None:
        return []
    return list(Membership.objects.filter(user=person, project__archived_at__isnull=True)
                .select_related("project").order_by("-project__updated_at", "-project_id")[:limit])


def activity_recent(*, user: AnyUser, limit: int) -> list[Activity]:
    """The latest activity of every project whose log the user may read, newest first, each with
    its actor and project."""
    person = signed_in(user)
    if person is None:
        return []
    roles = [role for role in Role if role_allows(role, Action.VIEW_ACTIVITY)]
    readable = Membership.objects.filter(user=person, role__in=roles).values("project_id")
    return list(Activity.objects.filter(project_id__in=readable).select_related("actor", "project")
                [:limit])
