"""Server-rendered project pages. Thin: selectors read, services write and check permissions;
the role table is only used here to hide controls a role cannot use."""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import current_user
from kernel.errors import NotFound, ServiceError
from kernel.forms import form_submit
from projects import selectors, services
from projects.activity import verb_text
from projects.extensions import SLOTS, project_page_parts
from projects.forms import DeleteForm, InviteForm, ProjectForm
from projects.models import Membership, Project
from projects.roles import Role

ACTIVITY_SHOWN = 50
PROJECTS_PER_PAGE = 20


# --- shared by every page -------------------------------------------------------------------


def ago(value: datetime) -> str:
    """“just now” or “5 minutes ago”, in the active language."""
    if (timezone.now() - value).total_seconds() < 60:
        return _("just now")
    return _("%(when)s ago") % {"when": timesince(value)}


def _project_or_404(request: HttpRequest, project_id: int) -> Project:
    """The project if the user may see it; non-members get a 404, not a hint that it exists."""
    try:
        return selectors.project_get(project_id=project_id, user=request.user)
    except NotFound:
        raise Http404(_("No such project.")) from None


def _detail_url(project: Project, anchor: str = "") -> str:
    url = reverse("projects:detail", args=[project.id])
    return f"{url}#{anchor}" if anchor else url


# --- project list ---------------------------------------------------------------------------


def _render_list(request: HttpRequest, *, archived: bool, form: ProjectForm,
                 status: int = 200) -> HttpResponse:
    user = current_user(request)
    page = Paginator(selectors.project_list(user=user, archived=archived),
                     PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    ids = [project.id for project in page]
    roles = dict(Membership.objects.filter(user=user, project_id__in=ids)
                 .values_list("project_id", "role"))
    sizes = dict(Membership.objects.filter(project_id__in=ids).values("project_id")
                 .annotate(n=Count("id")).values_list("project_id", "n"))
    rows = [{"project": project, "role": Role(roles[project.id]).label if project.id in roles
             else "", "members": sizes.get(project.id, 0), "updated": ago(project.updated_at)}
            for project in page]
    return render(request, "projects/list.html", {
        "rows": rows,
        "page": page,
        "archived": archived,
        "active_count": selectors.project_list(user=user, archived=False).count(),
        "archived_count": selectors.project_list(user=user, archived=True).count(),
        "form": form,
    }, status=status)


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived", "") in {"1", "true", "yes", "on"}
    return _render_list(request, archived=archived, form=ProjectForm())


@login_required
@require_POST
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST)
    submitted = form_submit(form, lambda data: services.project_create(user=request.user, **data))
    if submitted.ok:
        project = submitted.result
        messages.success(request, _("Project “%(name)s” created. Invite your collaborators "
                                    "below.") % {"name": project.name})
        return redirect(_detail_url(project))
    return _render_list(request, archived=False, form=form, status=submitted.status)


# --- project page ---------------------------------------------------------------------------


def _render_detail(request: HttpRequest, project: Project, *, status: int = 200,
                   update_form: ProjectForm | None = None,
                   invite_form: InviteForm | None = None) -> HttpResponse:
    user = current_user(request)
    membership = selectors.membership_get(project=project, user=user)
    if membership is None:  # removed between the check and now
        raise Http404(_("No such project."))
    role = membership.role
    memberships = list(selectors.member_list(project=project, user=user))
    owner_count = sum(1 for m in memberships if m.role == Role.OWNER)
    members = [{"membership": m, "is_me": m.user_id == user.pk,
                "last_owner": m.role == Role.OWNER and owner_count == 1} for m in memberships]
    activities = [
        {"activity": activity, "text": verb_text(activity.verb, selectors.activity_data_public(activity)),
         "ago": ago(activity.created_at)}
        for activity in selectors.activity_list(project=project, user=user)[:ACTIVITY_SHOWN]
    ]
    can = selectors.actions_allowed(project=project, role=role)
    # Invitees' addresses are for owners' eyes; other members see a name or a masked address.
    show_email = selectors.invitee_emails_visible(project=project, user=user)
    invitations = list(selectors.invitation_list_for_project(project=project, user=user))
    for invitation in invitations:
        invitation.shown_label = selectors.invitee_label(  # type: ignore[attr-defined]
            invitation=invitation, show_email=show_email)
    # What the apps above add to the page (rights' works, the studio, gallery links).
    parts = project_page_parts()
    parts_context: dict[str, Any] = {}
    for part in parts:
        parts_context.update(part.context(project, user))
    return render(request, "projects/detail.html", {
        "project": project,
        "membership": membership,
        "role_label": Role(role).label,
        "is_owner": role == Role.OWNER,
        "can": can,
        "members": members,
        "role_choices": Role.choices,
        "invitations": invitations,
        "activities": activities,
        "update_form": update_form or ProjectForm(
            initial={"name": project.name, "description": project.description}),
        "invite_form": invite_form or InviteForm(),
        # A refused form is shown again with the user's input even if the role no longer
        # allows it (their role may have changed while the page was open).
        "show_update": can["update"] or update_form is not None,
        "show_invite": can["invite"] or invite_form is not None,
        **parts_context,
        "page_parts": {slot: [part.template for part in parts if part.template and part.slot == slot]
                       for slot in SLOTS},
    }, status=status)


@login_required
@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    return _render_detail(request, _project_or_404(request, project_id))


@login_required
@require_POST
def project_update(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    form = ProjectForm(request.POST)
    submitted = form_submit(form, lambda data: services.project_update(project=project, user=request.user,
                                                                       **data))
    if submitted.ok:
        messages.success(request, _("Project details saved."))
        return redirect(_detail_url(project))
    project.refresh_from_db()  # (a refused change may have been applied to the object)
    return _render_detail(request, project, update_form=form, status=submitted.status)


@login_required
@require_POST
def project_archive(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    archived = request.POST.get("archived") == "1"
    try:
        services.project_set_archived(project=project, user=request.user, archived=archived)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if archived:
            messages.success(request, _("“%(name)s” is archived: it is read-only until you "
                                        "unarchive it.") % {"name": project.name})
        else:
            messages.success(request, _("“%(name)s” is active again.") % {"name": project.name})
    return redirect(_detail_url(project))


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    membership = selectors.membership_get(project=project, user=request.user)
    if request.method == "GET":
        role = membership.role if membership else None
        if not selectors.actions_allowed(project=project, role=role)["delete"]:
            messages.error(request, _("Only owners can delete a project."))
            return redirect(_detail_url(project))
        return render(request, "projects/delete.html",
                      {"project": project, "form": DeleteForm()})
    form = DeleteForm(request.POST)
    name = project.name
    submitted = form_submit(form, lambda data: services.project_delete(
        project=project, user=request.user, confirm_name=data["confirm_name"]))
    if submitted.ok:
        messages.success(request, _("Project “%(name)s” was deleted.") % {"name": name})
        return redirect("projects:list")
    return render(request, "projects/delete.html", {"project": project, "form": form},
                  status=submitted.status)


# --- members and invitations ----------------------------------------------------------------


@login_required
@require_POST
def member_change_role(request: HttpRequest, project_id: int, membership_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    try:
        membership = services.membership_change_role(
            project=project, user=request.user, membership_id=membership_id,
            role=request.POST.get("role", ""))
    except ServiceError as exc:
        messages.error(request, " ".join([exc.message, *(
            message for field in exc.fields.values() for message in field
            if message != exc.message)]))
    else:
        messages.success(request, _("%(member)s is now %(role)s.") % {
            "member": membership.user.name, "role": Role(membership.role).label})
    return redirect(_detail_url(project, "members"))


@login_required
@require_POST
def member_remove(request: HttpRequest, project_id: int, membership_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    mine = selectors.membership_get(project=project, user=request.user)
    leaving = mine is not None and mine.pk == membership_id
    target = project.memberships.select_related("user").filter(pk=membership_id).first()
    try:
        services.membership_remove(project=project, user=request.user, membership_id=membership_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(project, "members"))
    if leaving:
        messages.success(request, _("You left “%(name)s”.") % {"name": project.name})
        return redirect("projects:list")
    messages.success(request, _("%(member)s was removed from the project.") % {
        "member": target.user.name if target else _("The member")})
    return redirect(_detail_url(project, "members"))


@login_required
@require_POST
def invitation_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    form = InviteForm(request.POST)
    submitted = form_submit(form, lambda data: services.invitation_create(project=project, user=request.user,
                                                                          **data))
    if submitted.ok:
        invitation = submitted.result
        messages.success(request, _("Invited %(invitee)s as %(role)s.") % {
            "invitee": invitation.invitee_label, "role": Role(invitation.role).label})
        return redirect(_detail_url(project, "invitations"))
    return _render_detail(request, project, invite_form=form, status=submitted.status)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, project_id: int, invitation_id: int) -> HttpResponse:
    project = _project_or_404(request, project_id)
    try:
        invitation = services.invitation_revoke(project=project, user=request.user,
                                                invitation_id=invitation_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation of %(invitee)s was revoked.") % {
            "invitee": invitation.invitee_label})
    return redirect(_detail_url(project, "invitations"))


# --- my invitations -------------------------------------------------------------------------


@login_required
@require_GET
def my_invitations(request: HttpRequest) -> HttpResponse:
    invitations = list(selectors.invitation_list_for_user(user=request.user))
    for invitation in invitations:
        invitation.role_label = Role(invitation.role).label  # type: ignore[attr-defined]
        invitation.sent = ago(invitation.created_at)  # type: ignore[attr-defined]
    return render(request, "projects/invitations.html", {"invitations": invitations})


@login_required
@require_POST
def invitation_accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        membership = services.invitation_accept(invitation_id=invitation_id, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("projects:invitations")
    messages.success(request, _("Welcome to “%(name)s”: you joined as %(role)s.") % {
        "name": membership.project.name, "role": Role(membership.role).label})
    return redirect(_detail_url(membership.project))


@login_required
@require_POST
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = services.invitation_decline(invitation_id=invitation_id, user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("You declined the invitation to “%(name)s”.") % {
            "name": invitation.project.name})
    return redirect("projects:invitations")
