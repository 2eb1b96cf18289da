"""What each plan may render: seconds of video a day, the largest side, jobs at a time.

Checked at submit, under a lock on the user's row so that two submits at once cannot both
squeeze under a limit. A day is the UTC calendar day; failed and cancelled jobs do not count.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Plan, User
from core.errors import QuotaExceeded
from generation.models import Job, JobKind, JobStatus


@dataclass(frozen=True)
class Quota:
    video_seconds_per_day: float
    max_side: int  # pixels, the larger of width and height
    jobs_in_flight: int  # queued or running at once
    running: int = 1  # running at once (generation/scheduler.py); the rest wait their turn
    priority_s: float = 0.0  # the scheduler counts the user as served this much earlier
    watermark: bool = False  # a visible mark on every frame


def quota_for(plan: str) -> Quota:
    return Quota(**settings.GENERATION_QUOTAS[plan])


def usage_get(*, user: User) -> dict[str, Any]:
    """Today's use against the user's plan."""
    quota = quota_for(user.plan)
    return {"plan": user.plan, "video_seconds_today": _seconds_today(user),
            "video_seconds_per_day": quota.video_seconds_per_day,
            "jobs_in_flight": _in_flight(user), "jobs_in_flight_max": quota.jobs_in_flight,
            "max_side": quota.max_side, "running_max": quota.running, "watermark": quota.watermark,
            "resets_at": _midnight() + timedelta(days=1)}


def jobs_today(*, user: User) -> QuerySet[Job]:
    """The user's jobs since midnight (UTC), newest first, in every project."""
    return Job.objects.filter(requester=user, created_at__gte=_midnight()).select_related("project")


def quota_check(*, user: User, job: dict[str, Any]) -> None:
    """Refuse a job (its validated fields) that would take the user past their plan."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one submit at a time per user
    quota = quota_for(user.plan)
    plan = Plan(user.plan).label
    if max(job["width"], job["height"]) > quota.max_side:
        raise QuotaExceeded(
            _("Your %(plan)s plan renders at most %(max)s pixels on a side.") % {
                "plan": plan, "max": quota.max_side},
            fields={name: [_("At most %(max)s.") % {"max": quota.max_side}]
                    for name in ("width", "height") if job[name] > quota.max_side})
    if _in_flight(user) >= quota.jobs_in_flight:
        raise QuotaExceeded(
            _("Your %(plan)s plan runs %(count)s jobs at a time: wait for one to finish, or cancel "
              "one.") % {"plan": plan, "count": quota.jobs_in_flight})
    if job["kind"] != JobKind.IMAGE:
        needed = job["frames"] / job["fps"]
        used = _seconds_today(user)
        if used + needed > quota.video_seconds_per_day:
            raise QuotaExceeded(
                _("Your %(plan)s plan renders %(limit)s seconds of video a day; %(used)s are used "
                  "today and this clip needs %(needed)s.") % {
                    "plan": plan, "limit": _round(quota.video_seconds_per_day), "used": _round(used),
                    "needed": _round(needed)})


def _in_flight(user: User) -> int:
    return Job.objects.filter(requester=user, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()


def _midnight() -> datetime:
    return datetime.combine(timezone.now().astimezone(UTC).date(), time.min, tzinfo=UTC)


def _seconds_today(user: User) -> float:
    total = (Job.objects.filter(requester=user, created_at__gte=_midnight()).exclude(kind=JobKind.IMAGE)
             .exclude(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
             .aggregate(seconds=Sum(Cast(F("frames"), FloatField()) / Cast(F("fps"), FloatField()))))
    return round(total["seconds"] or 0.0, 3)


def _round(seconds: float) -> str:
    return f"{seconds:g}" if seconds == int(seconds) else f"{seconds:.1f}"
