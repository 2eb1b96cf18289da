from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.plans import Plan
from accounts.selectors import current_user
from generation import models_manager
from generation.presets import presets
from generation.quotas import MEGA, jobs_today, usage_get
from kernel.errors import ServiceError


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
    known = presets()  # each job's model by its label, as the studio names it
    jobs = [(job, (getattr(job, "pixel_steps", None) or 0) / MEGA,  # (annotated by jobs_today)
             known[job.preset].label or job.preset if job.preset in known else job.preset)
            for job in jobs_today(user=user)[:100]]
    return render(request, "generation/usage.html", {
        "usage": usage, "plan_label": Plan(usage["plan"]).label, "allowances": allowances,
        "compute_percent": _percent(usage["compute_today"], usage["compute_per_day"]), "jobs": jobs})


def _staff_or_403(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@login_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    """Staff: every model preset, installed or not, with install and remove."""
    _staff_or_403(request)
    user = current_user(request)
    states = models_manager.preset_states(user=user)
    return render(request, "generation/models.html", {
        "states": states, "failures": models_manager.job_failures(user=user),
        "models_dir": models_manager.models_root(),
        "predictor": models_manager.aesthetic_predictor_state(user=user),
        "installing": any(s.state == "installing" for s in states)})


def _staff_model_action(request: HttpRequest, call: Callable[[], object], done: str) -> HttpResponse:
    """Run a staff action on the Models page; say how it went there."""
    _staff_or_403(request)
    try:
        call()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("generation:models")


@login_required
@require_POST
def model_install(request: HttpRequest, name: str) -> HttpResponse:
    return _staff_model_action(
        request, lambda: models_manager.model_install_start(user=current_user(request), name=name),
        _("Installing %(name)s: the download runs in the background.") % {"name": name})


@login_required
@require_POST
def model_remove(request: HttpRequest, name: str) -> HttpResponse:
    return _staff_model_action(
        request, lambda: models_manager.model_remove(user=current_user(request), name=name),
        _("Removed %(name)s's weights.") % {"name": name})
