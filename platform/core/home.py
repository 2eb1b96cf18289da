"""`/`: the public home for visitors, the dashboard for people logged in. Wiring on top of the
apps: each part comes from its owning app's selectors, and each app's selector decides what the
person may see."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.selectors import signed_in
from generation.selectors import jobs_in_progress
from projects.activity import verb_text
from projects.roles import Role
from projects.selectors import activity_data_public, activity_recent, memberships_recent
from recommend.api.serializers import publication_cards
from recommend.selectors import publications_popular
from rights.selectors import works_awaiting_confirmation

SHOWCASE = 6  # works on the public home
PROJECTS = 6
JOBS = 8
WORKS = 8
ACTIVITY = 12


def _home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {
        "cards": publication_cards(request, publications_popular(limit=SHOWCASE))})


def _ago(value: datetime) -> str:
    """“just now” or “5 minutes ago”, in the active language (as the project pages say it)."""
    if (timezone.now() - value).total_seconds() < 60:
        return _("just now")
    return _("%(when)s ago") % {"when": timesince(value)}


def _dashboard(request: HttpRequest, user: User) -> HttpResponse:
    projects = [{"project": m.project, "role": Role(m.role).label, "updated": _ago(m.project.updated_at)}
                for m in memberships_recent(user=user, limit=PROJECTS)]
    activity = [{"activity": row, "text": verb_text(row.verb, activity_data_public(row)),
                 "ago": _ago(row.created_at)} for row in activity_recent(user=user, limit=ACTIVITY)]
    return render(request, "core/dashboard.html", {
        "projects": projects,
        "jobs": jobs_in_progress(user=user, limit=JOBS),
        "works": works_awaiting_confirmation(user=user, limit=WORKS),
        "activity": activity,
    })


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in(request.user)
    return _dashboard(request, user) if user is not None else _home(request)
