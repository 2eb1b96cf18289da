from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Plan
from accounts.views import AuthenticatedHttpRequest
from generation.quotas import jobs_today, usage_get


@login_required
@require_GET
def usage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the user's plan allows and what they used today."""
    usage = usage_get(user=request.user)
    limit = usage["video_seconds_per_day"]
    return render(request, "generation/usage.html", {
        "usage": usage, "plan_label": Plan(usage["plan"]).label,
        "seconds_percent": min(100, round(100 * usage["video_seconds_today"] / limit)) if limit else 100,
        "jobs": jobs_today(user=request.user)[:100]})
