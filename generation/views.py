from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.plans import Plan
from accounts.selectors import current_user
from generation.quotas import MEGA, jobs_today, usage_get


def _percent(used: float, limit: float) -> int:
    return min(100, round(100 * used / limit)) if limit else 100


@login_required
@require_GET
def usage(request: HttpRequest) -> HttpResponse:
    """What the user's plan allows and what they used today."""
    user = current_user(request)
    usage = usage_get(user=user)
    allowances = [{**allowance, "percent": _percent(allowance["used"], allowance["limit"])}
                  for allowance in usage["allowances"]]
    jobs = [(job, (getattr(job, "pixel_steps", None) or 0) / MEGA)  # (annotated by jobs_today)
            for job in jobs_today(user=user)[:100]]
    return render(request, "generation/usage.html", {
        "usage": usage, "plan_label": Plan(usage["plan"]).label, "allowances": allowances,
        "compute_percent": _percent(usage["compute_today"], usage["compute_per_day"]), "jobs": jobs})
