"""What each plan may render: compute a day, the largest side, jobs at a time.

One daily rule: a job is refused at submit when its estimated compute would take the
requester's total for the day past their plan's `compute_per_day`. Compute is counted in
megapixel-steps: frames x width x height x denoising steps, in millions (an image is one frame;
a storyboard adds up its scenes), so size, length, frame rate and steps all cost what they cost,
and images count too. The estimate is reserved at submit; a job that fails or is cancelled is
charged what ran instead (steps done of its total); deleting a job gives nothing back (the ledger,
`ComputeUse`, outlives it). A day is the UTC calendar day. Seconds of video are reported, not
limited.

Checked under a lock on the user's row so that two submits at once cannot both squeeze under a
limit. Apps above generation add their own daily allowances to the Usage page and the usage API
(`usage_allowances_register`).
"""


from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.plans import Plan
from accounts.services import user_lock
from generation.extensions import day_start, usage_allowance_sources
from generation.models import ComputeUse, Job, JobKind, JobStatus
from kernel.errors import QuotaExceeded

if TYPE_CHECKING:
    from accounts.models import User

MEGA = 1_000_000  # pixel-steps in a megapixel-step
UNIT = "megapixel-steps"
UNIT_HELP = gettext_lazy(
    "Compute is counted in megapixel-steps: a job costs its frames × width × height × steps, in "
    "millions (an image is one frame; a storyboard adds up its scenes). A 4-second 256 × 256 clip at "
    "24 fps (97 frames) with 20 steps costs about 127. Every job counts when it is queued; one that fails "
    "or is cancelled counts only the steps that ran.")


@dataclass(frozen=True)
class Quota:
    compute_per_day: float  # megapixel-steps a UTC day (frames x width x height x steps / 10⁶)
    max_side: int  # pixels, the larger of width and height
    jobs_in_flight: int  # queued or running at once
    running: int = 1  # running at once (generation/scheduler.py); the rest wait their turn
    priority_s: float = 0.0  # the scheduler counts the user as served this much earlier
    watermark: bool = False  # a visible mark on every frame


def quota_for(plan: str) -> Quota:
    config = settings.GENERATION_QUOTAS[plan]
    known = {f.name for f in fields(Quota)}
    if set(config) - known or "compute_per_day" not in config:
        raise ImproperlyConfigured(
            f"GENERATION_QUOTAS[{plan!r}]: unknown {sorted(set(config) - known)}, allowed {sorted(known)}; "
            "compute_per_day (megapixel-steps a day) is required and replaces video_seconds_per_day.")
    return Quota(**config)


def usage_get(*, user: User) -> dict[str, Any]:
    """Today's use against the user's plan."""
    quota = quota_for(user.plan)
    return {"plan": user.plan, "compute_today": round(_pixel_steps_today(user) / MEGA, 3),
            "compute_per_day": float(quota.compute_per_day), "compute_unit": UNIT,
            "compute_help": str(UNIT_HELP), "video_seconds_today": _seconds_today(user),
            "jobs_in_flight": _in_flight(user), "jobs_in_flight_max": quota.jobs_in_flight,
            "max_side": quota.max_side, "running_max": quota.running, "watermark": quota.watermark,
            "resets_at": day_start() + timedelta(days=1),
            "allowances": [asdict(source(user)) for source in usage_allowance_sources()]}


def jobs_today(*, user: User) -> QuerySet[Job]:
    """The user's jobs since midnight (UTC), newest first, in every project, each with what it
    costs (`pixel_steps`)."""
    return (Job.objects.filter(requester=user, created_at__gte=day_start()).select_related("project")
            .annotate(pixel_steps=F("compute_use__pixel_steps")))


def quota_check(*, user: User, job: dict[str, Any]) -> None:
    """Refuse a job (its validated fields) that would take the user past their plan."""
    user_lock(user)  # one submit at a time per user
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
    cost = job_pixel_steps(job)
    left = max(0.0, quota.compute_per_day * MEGA - _pixel_steps_today(user))
    if cost > left:
        raise QuotaExceeded(
            _("This render costs %(cost)s megapixel-steps (frames x width x height x steps, in "
              "millions); your %(plan)s plan has %(left)s of its %(limit)s left today. The allowance "
              "starts again at %(resets)s; until then choose fewer frames, steps or pixels.") % {
                "cost": _amount(cost), "plan": plan, "left": _amount(left),
                "limit": _amount(quota.compute_per_day * MEGA),
                "resets": (day_start() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M UTC")},
            code="compute_allowance")


def job_pixel_steps(job: dict[str, Any]) -> int:
    """A job's estimated compute (its validated fields): frames x width x height x steps. A
    storyboard's frames are its scenes' together, each denoised with the job's steps."""
    return int(job["frames"]) * int(job["width"]) * int(job["height"]) * int(job["steps"])


def pixel_steps_ran(job: Job, steps_done: int) -> int:
    """The compute of a job's first `steps_done` denoising steps (a storyboard runs its scenes one
    after the other, each with the job's steps)."""
    clips = [int(scene["frames"]) for scene in job.scenes] if job.kind == JobKind.STORYBOARD else [job.frames]
    done, ran = max(0, steps_done), 0
    for frames in clips:
        steps = min(done, job.steps)
        ran += frames * job.width * job.height * steps
        done -= steps
    return ran


def compute_reserve(*, job: Job) -> None:
    """Charge a job just queued its estimate against its requester's day."""
    assert job.requester_id is not None
    ComputeUse.objects.create(user_id=job.requester_id, job=job, pixel_steps=job_pixel_steps({
        "frames": job.frames, "width": job.width, "height": job.height, "steps": job.steps}))


def compute_settle(*, job: Job, steps_done: int) -> None:
    """A job that failed or was cancelled is charged what ran instead of its estimate."""
    ran = pixel_steps_ran(job, steps_done)
    ComputeUse.objects.filter(job=job, pixel_steps__gt=ran).update(pixel_steps=ran)


def _in_flight(user: User) -> int:
    return Job.objects.filter(requester=user, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()


def _pixel_steps_today(user: User) -> int:
    total = ComputeUse.objects.filter(user=user, created_at__gte=day_start()).aggregate(
        total=Sum("pixel_steps"))["total"]
    return int(total or 0)


def _seconds_today(user: User) -> float:
    total = (Job.objects.filter(requester=user, created_at__gte=day_start()).exclude(kind=JobKind.IMAGE)
             .exclude(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
             .aggregate(seconds=Sum(Cast(F("frames"), FloatField()) / Cast(F("fps"), FloatField()))))
    return round(total["seconds"] or 0.0, 3)


def _amount(pixel_steps: float) -> str:
    """Megapixel-steps for people: whole ones from 100 up, one decimal below."""
    value = pixel_steps / MEGA
    places = 0 if value >= 100 or value == int(value) else 1
    return number_format(round(value, places), decimal_pos=places, use_l10n=True, force_grouping=True)
