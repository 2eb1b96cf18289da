"""Writes for projects, memberships and invitations. Every permission rule lives here."""


from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import email_masked, signed_in, user_find
from inbox.services import NotificationKind, notification_send
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from projects.activity import activity_record as activity_record  # (public: other apps record theirs)
from projects.activity import project_event_send as project_event_send
from projects.extensions import project_deletion_hooks
from projects.models import Invitation, InvitationStatus, Membership, Project
from projects.roles import Action, Role
from projects.selectors import AnyUser, membership_get, membership_require
from projects.signals import access_announce

if TYPE_CHECKING:
    from accounts.models import User

ROLE_CHOICES_TEXT = ", ".join(Role.values)


def _require_user(user: AnyUser) -> User:
    signed = signed_in(user)
    if signed is None:
        raise PermissionDenied(_("Sign in first."), code="not_authenticated")
    return signed


def _clean_text(*, name: str | None = None, description: str | None = None) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 120:
            errors["name"] = [_("Give the project a name of 1 to 120 characters.")]
        out["name"] = name
    if description is not None:
        if len(description) > 5000:
            errors["description"] = [_("At most 5,000 characters.")]
        out["description"] = description.strip()
    if errors:
        raise ValidationFailed(_("The project could not be saved."), fields=errors)
    return out


def _role(value: str, field: str = "role") -> Role:
    if value not in Role.values:
        raise ValidationFailed(_("Unknown role."), fields={field: [
            _("Allowed roles: %(roles)s.") % {"roles": ROLE_CHOICES_TEXT}]})
    return Role(value)


@transaction.atomic
def project_create(*, user: AnyUser, name: str, description: str = "") -> Project:
    owner = _require_user(user)
    project = Project.objects.create(created_by=owner, **_clean_text(name=name, description=description))
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    activity_record(project=project, actor=owner, verb="project.created", target=project)
    return project


@transaction.atomic
def project_update(*, project: Project, user: AnyUser, name: str | None = None,
                   description: str | None = None) -> Project:
    membership = membership_require(project=project, user=user, action=Action.UPDATE)
    changes = _clean_text(name=name, description=description)
    if "name" in changes and changes["name"] != project.name:
        project.name = changes["name"]
        activity_record(project=project, actor=membership.user, verb="project.renamed",
                        data={"name": project.name})
    if "description" in changes and changes["description"] != project.description:
        project.description = changes["description"]
        activity_record(project=project, actor=membership.user, verb="project.described")
    project.save()
    return project


@transaction.atomic
def project_set_archived(*, project: Project, user: AnyUser, archived: bool) -> Project:
    membership = membership_require(project=project, user=user, action=Action.ARCHIVE)
    if archived == project.is_archived:
        return project
    project.archived_at = timezone.now() if archived else None
    project.save(update_fields=["archived_at", "updated_at"])
    access_announce(project_id=project.pk)  # an archived project's storyboard is read-only
    activity_record(project=project, actor=membership.user,
                    verb="project.archived" if archived else "project.unarchived")
    return project


@transaction.atomic
def project_delete(*, project: Project, user: AnyUser, confirm_name: str) -> None:
    membership_require(project=project, user=user, action=Action.DELETE)
    if confirm_name.strip() != project.name:
        raise ValidationFailed(_("Type the project's name to confirm deletion."), fields={
            "confirm_name": [_("Must be exactly “%(name)s”.") % {"name": project.name}]})
    for hook in project_deletion_hooks():
        hook(project)
    project_id = project.pk  # delete() clears it
    project.delete()
    access_announce(project_id=project_id)  # every open socket closes


def _owners_locked(project: Project) -> list[Membership]:
    """Lock the owner rows so two owners cannot demote each other at once."""
    return list(Membership.objects.select_for_update().filter(project=project, role=Role.OWNER))


@transaction.atomic
def membership_change_role(*, project: Project, user: AnyUser, membership_id: int,
                           role: str) -> Membership:
    actor = membership_require(project=project, user=user, action=Action.CHANGE_ROLE)
    new_role = _role(role)
    owners = _owners_locked(project)
    target = Membership.objects.select_for_update().filter(project=project, pk=membership_id).first()
    if target is None:
        raise NotFound(_("No such member."))
    if target.role == new_role:
        return target
    if target.role == Role.OWNER and len(owners) == 1:
        raise Conflict(_("A project needs at least one owner: make someone else owner first."),
                       code="last_owner", fields={"role": [_("The last owner must stay owner.")]})
    target.role = new_role
    target.save(update_fields=["role"])
    activity_record(project=project, actor=actor.user, verb="member.role_changed", target=target,
                    data={"member": target.user.name, "role": new_role.value})
    access_announce(project_id=project.pk, user_id=target.user_id)  # their open sockets follow
    return target


@transaction.atomic
def membership_remove(*, project: Project, user: AnyUser, membership_id: int) -> None:
    """Owners remove anyone; any member may remove themselves (leave)."""
    me = membership_get(project=project, user=user)
    target = Membership.objects.select_related("user").filter(project=project, pk=membership_id).first()
    leaving = me is not None and target is not None and me.pk == target.pk
    if not leaving:
        me = membership_require(project=project, user=user, action=Action.REMOVE_MEMBER)
    if target is None or me is None:
        raise NotFound(_("No such member."))
    owners = _owners_locked(project)
    if target.role == Role.OWNER and len(owners) == 1:
        raise Conflict(_("A project needs at least one owner: make someone else owner first."),
                       code="last_owner")
    target.delete()
    access_announce(project_id=project.pk, user_id=target.user_id)  # their open sockets close
    if leaving:
        activity_record(project=project, actor=me.user, verb="member.left")
    else:
        activity_record(project=project, actor=me.user, verb="member.removed",
                        data={"member": target.user.name})


@transaction.atomic
def invitation_create(*, project: Project, user: AnyUser, invitee: str,
                      role: str = Role.EDITOR) -> Invitation:
    """Invite by username or e-mail. An unknown e-mail gets a sign-up invitation by mail."""
    actor = membership_require(project=project, user=user, action=Action.INVITE)
    new_role = _role(role)
    identifier = invitee.strip()
    if not identifier:
        raise ValidationFailed(_("Say whom to invite."), fields={
            "invitee": [_("A username or an e-mail address.")]})
    target = user_find(identifier=identifier)
    if target is not None and "@" in identifier and not target.email_verified:
        # Whoever signed up with an address they never verified is not its owner: invite the
        # address (accepting needs it verified), not their account.
        target = None
    email = ""
    if target is None:
        if "@" not in identifier:
            raise ValidationFailed(_("No user with this username."), fields={
                "invitee": [_("No user “%(u)s”. Check the spelling or invite by e-mail.") % {
                    "u": identifier}]})
        try:
            validate_email(identifier)
        except ValidationError:
            raise ValidationFailed(_("This e-mail address is not valid."), fields={
                "invitee": [_("Enter a valid e-mail address.")]}) from None
        email = identifier.lower()
    else:
        if membership_get(project=project, user=target) is not None:
            raise Conflict(_("%(u)s is already a member.") % {"u": target.name},
                           code="already_member", fields={"invitee": [_("Already a member.")]})
        email = target.email

    pending = Invitation.objects.select_for_update().filter(
        project=project, status=InvitationStatus.PENDING)
    # An e-mail invitation sent before the invitee signed up counts as theirs too.
    same_email = Q(invitee__isnull=True, email__iexact=email)
    existing = pending.filter(Q(invitee=target) | same_email if target else same_email).first()
    if existing is not None:
        if existing.expires_at > timezone.now():
            raise Conflict(_("An invitation is already pending for %(u)s.") % {
                "u": existing.invitee_label}, code="already_invited",
                fields={"invitee": [_("Already invited.")]})
        existing.status = InvitationStatus.EXPIRED
        existing.save(update_fields=["status"])

    invitation = Invitation.objects.create(
        project=project, invited_by=actor.user, invitee=target, email=email, role=new_role,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS))
    activity_record(project=project, actor=actor.user, verb="member.invited", target=invitation,
                    data={"invitee": _invitee_public_label(invitation), "role": new_role.value})
    transaction.on_commit(lambda: _invitation_mail(invitation), robust=True)
    if target is not None:  # an account: its inbox too (an address not signed up has none)
        notification_send(recipients=[target], kind=NotificationKind.INVITATION, actor=actor.user,
                          link=reverse("projects:invitations"), params={"project": project.name})
    return invitation


def _invitation_mail(invitation: Invitation) -> None:
    """Mail the invitee in their language, with a link to their invitations (or to sign up)."""
    invitee = invitation.invitee
    path = reverse("projects:invitations")
    if invitee is None:  # not signed up yet: sign up first, then land on the invitations
        path = f"{reverse('accounts:signup')}?{urlencode({'next': path})}"
    with translation.override(invitee.preferred_language if invitee else settings.LANGUAGE_CODE):
        inviter = invitation.invited_by.name if invitation.invited_by else _("Someone")
        send_mail(
            subject=_("%(who)s invited you to “%(project)s” on Storyloom") % {
                "who": inviter, "project": invitation.project.name},
            message=_("Accept or decline here: %(url)s\n\nThe invitation expires on %(date)s.") % {
                "url": settings.SITE_URL.rstrip("/") + path,
                "date": invitation.expires_at.date().isoformat()},
            from_email=None, recipient_list=[invitation.email], fail_silently=True)


def _invitee_public_label(invitation: Invitation) -> str:
    """How the invitee is named where every member reads it (the activity feed): the account's
    name, or the invited address masked (only owners see addresses)."""
    return invitation.invitee.name if invitation.invitee else email_masked(invitation.email)


def _invitation_for_invitee(*, invitation_id: int, user: User) -> Invitation:
    """The invitation if it is addressed to the user: to their account, or to their e-mail
    address once they have verified it (anyone can sign up with any address)."""
    invitation = (Invitation.objects.select_for_update().select_related("project")
                  .filter(pk=invitation_id).first())
    to_my_account = invitation is not None and invitation.invitee_id == user.id
    to_my_address = invitation is not None and invitation.invitee_id is None and (
        invitation.email.lower() == user.email.lower())
    if invitation is None or not (to_my_account or to_my_address):
        raise NotFound(_("No such invitation."))
    if to_my_address and not user.email_verified:
        raise PermissionDenied(
            _("Verify your e-mail address %(email)s first: follow the link we mailed to it (your "
              "profile can send it again), then accept the invitation.") % {"email": user.email},
            code="email_unverified")
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(_("This invitation is %(status)s.") % {
            "status": invitation.get_status_display().lower()}, code="invitation_closed")
    if invitation.expires_at <= timezone.now():  # invitations_expire marks it
        raise Conflict(_("This invitation has expired; ask for a new one."), code="invitation_closed")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation_id: int, user: AnyUser) -> Membership:
    me = _require_user(user)
    invitation = _invitation_for_invitee(invitation_id=invitation_id, user=me)
    project = invitation.project
    invitation.status, invitation.responded_at, invitation.invitee = (
        InvitationStatus.ACCEPTED, timezone.now(), me)
    invitation.save(update_fields=["status", "responded_at", "invitee"])
    membership, created = Membership.objects.get_or_create(
        project=project, user=me, defaults={"role": invitation.role})
    if created:
        activity_record(project=project, actor=me, verb="member.joined", target=membership,
                        data={"role": membership.role})
    return membership


@transaction.atomic
def invitation_decline(*, invitation_id: int, user: AnyUser) -> Invitation:
    me = _require_user(user)
    invitation = _invitation_for_invitee(invitation_id=invitation_id, user=me)
    invitation.status, invitation.responded_at, invitation.invitee = (
        InvitationStatus.DECLINED, timezone.now(), me)
    invitation.save(update_fields=["status", "responded_at", "invitee"])
    activity_record(project=invitation.project, actor=me, verb="member.declined", target=invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, project: Project, user: AnyUser, invitation_id: int) -> Invitation:
    actor = membership_require(project=project, user=user, action=Action.REVOKE_INVITATION)
    invitation = (Invitation.objects.select_for_update()
                  .filter(project=project, pk=invitation_id).first())
    if invitation is None:
        raise NotFound(_("No such invitation."))
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(_("Only pending invitations can be revoked."), code="invitation_closed")
    invitation.status, invitation.responded_at = InvitationStatus.REVOKED, timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    activity_record(project=project, actor=actor.user, verb="invitation.revoked", target=invitation,
                    data={"invitee": _invitee_public_label(invitation)})
    return invitation


def invitations_expire() -> int:
    """Mark pending invitations past their expiry (run by Celery beat)."""
    return Invitation.objects.filter(status=InvitationStatus.PENDING,
                                     expires_at__lte=timezone.now()).update(
        status=InvitationStatus.EXPIRED)
