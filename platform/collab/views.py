"""The storyboard page. Thin: the page is a shell; the browser bundle (static/js/src) edits the
Yjs document over `/ws/projects/<id>/storyboard` and reads versions and contributions from the
REST API. The role table only decides which controls are shown: the server enforces it."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from accounts.selectors import current_user
from kernel.errors import NotFound
from projects.roles import Role
from projects.selectors import actions_allowed, membership_get, project_get

if TYPE_CHECKING:
    from projects.models import Project

# Suggestions offered in the scene's style and model fields (free text is allowed too).
STYLE_PRESETS = ["cinematic", "photoreal", "anime", "watercolor", "noir", "claymation",
                 "pixel-art", "documentary"]
MODEL_PRESETS = ["ltx-video", "wan", "cogvideox", "pixart", "sd3"]


def _strings() -> dict[str, str]:
    """Text the script shows, translated here (placeholders are %(name)s)."""
    return {
        "status_connecting": _("Connecting…"),
        "status_connected": _("Live"),
        "status_offline": _("Offline: your changes are kept and will sync when you are back."),
        "status_denied": _("You no longer have access to this storyboard."),
        "scene_number": _("Scene %(number)s"),
        "prompt_placeholder": _("Describe the shot: subject, action, setting, light…"),
        "negative_prompt_placeholder": _("e.g. blurry, text, watermark"),
        "scene_here": _("%(names)s in this scene"),
        "you": _("(you)"),
        "anonymous": _("Someone"),
        "confirm_delete_scene": _("Delete scene %(number)s and its comments for everyone?"),
        "confirm_restore": _("Restore “%(label)s”? The storyboard becomes this version for "
                             "everyone; the current state stays in the edit history."),
        "leave_unsynced": _("Some changes have not reached the server yet."),
        "comments_open": _("%(count)s open"),
        "resolve": _("Resolve"),
        "reopen": _("Reopen"),
        "resolved": _("Resolved"),
        "reply": _("Reply"),
        "just_now": _("just now"),
        "version_by": pgettext("saved by", "by %(name)s"),
        "version_saved": _("Saved version “%(label)s”."),
        "version_restored": _("Restored “%(label)s”."),
        "versions_empty": _("No versions yet."),
        "contributions_empty": _("No edits yet."),
        "load_failed": _("Could not load this. It will be retried."),
        "request_failed": _("The request failed: %(message)s"),
        "network_error": _("The server could not be reached. Check your connection and try again."),
        "preview_title": _("Preview of “%(label)s”"),
        "preview_untitled": _("Untitled storyboard"),
        "preview_no_scenes": _("No scenes in this version."),
        "seed_random": _("random"),
        "invalid_duration": _("Between 0.5 and 60 seconds."),
        "invalid_seed": _("A whole number from 0 to 4294967295, or empty for a random seed."),
        "moved": _("Scene moved to position %(number)s."),
        "added": _("Scene %(number)s added."),
        "deleted": _("Scene deleted."),
    }


@login_required
@require_GET
def storyboard_page(request: HttpRequest, project_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        project: Project = project_get(project_id=project_id, user=user)
    except NotFound:
        raise Http404(_("No such project.")) from None
    membership = membership_get(project=project, user=user)
    if membership is None:  # removed between the check and now
        raise Http404(_("No such project."))
    can = actions_allowed(project=project, role=membership.role)
    config: dict[str, Any] = {
        "projectId": project.id,
        "wsPath": f"/ws/projects/{project.id}/storyboard",
        "eventsPath": f"/ws/projects/{project.id}/events",
        "api": {
            "storyboard": reverse("api-storyboard", args=[project.id]),
            "versions": reverse("api-storyboard-versions", args=[project.id]),
            "contributions": reverse("api-storyboard-contributions", args=[project.id]),
        },
        "csrfToken": get_token(request),
        "user": {"id": user.pk, "username": user.username, "name": user.name},
        "can": {"edit": can["edit_storyboard"], "save": can["save_version"],
                "restore": can["restore_version"]},
        # A version without a title of its own is shown under the project's name (as the title field).
        "strings": {**_strings(), "preview_untitled": project.name or _("Untitled storyboard")},
    }
    return render(request, "collab/storyboard.html", {
        "project": project,
        "role_label": Role(membership.role).label,
        "can": can,
        "config": config,
        "style_presets": STYLE_PRESETS,
        "model_presets": MODEL_PRESETS,
    })
