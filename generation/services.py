"""Writes for generation: submitting and cancelling jobs.

A job is validated against its preset at submit (every problem reported per field) and queued
for the GPU workers once the transaction commits.
"""


from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collab.selectors import storyboard_get
from generation import scheduler
from generation.events import job_announce
from generation.kinds import RenderMode
from generation.models import FINISHED, MAX_PROMPT, MAX_SEED, Asset, Job, JobKind, JobStatus
from generation.presets import Preset, presets, presets_installed
from generation.quotas import compute_reserve, compute_settle, quota_check
from generation.storyboard import storyboard_prompt, storyboard_scenes
from kernel.errors import NotFound, ValidationFailed
from projects.roles import Action
from projects.selectors import AnyUser, membership_require

if TYPE_CHECKING:
    from projects.models import Project

MAX_FPS = 60
MAX_GUIDANCE = 30.0
MIN_SIDE = 64


def _number(fields: dict[str, list[str]], name: str, value: Any, kind: type, default: Any) -> Any:
    """`value` as an int or float (the default when absent); records an error when it is not one."""
    if value is None or value == "":
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        fields.setdefault(name, []).append(_("Must be a number."))
        return default
    if kind is int and number != float(value):
        fields.setdefault(name, []).append(_("Must be a whole number."))
    return number


def _check_size(fields: dict[str, list[str]], preset: Preset, name: str, value: int, largest: int) -> None:
    multiple = preset.size_multiple
    if value < MIN_SIDE or value > largest or value % multiple:
        fields.setdefault(name, []).append(
            _("Must be a multiple of %(multiple)s from %(low)s to %(high)s for %(preset)s.") % {
                "multiple": multiple, "low": max(MIN_SIDE, multiple), "high": largest,
                "preset": preset.name})


def job_parameters(*, kind: str, preset_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The job's fields from what a client sent, defaults from the preset; ValidationFailed
    lists every field that is wrong and what is allowed."""
    fields: dict[str, list[str]] = {}
    known = presets_installed()  # (a model whose weights are missing is refused here, not failed later)
    preset = known.get(preset_name)
    if preset is None:
        message = (_("The model %(name)s is not installed; choose one of: %(names)s.")
                   if preset_name in presets() else _("Unknown model %(name)s; choose one of: %(names)s."))
        raise ValidationFailed(_("Choose one of the available models."), fields={"preset": [
            message % {"name": preset_name, "names": ", ".join(sorted(known))}]})
    storyboard = kind == JobKind.STORYBOARD
    if kind not in JobKind.values:
        fields["kind"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(JobKind.values)}]
    elif (JobKind.VIDEO if storyboard else kind) != preset.kind:
        fields["preset"] = [_("%(preset)s makes %(made)s, not %(asked)s.") % {
            "preset": preset.name, "made": preset.kind, "asked": kind}]
    prompt = str(params.get("prompt") or "").strip()
    negative = str(params.get("negative_prompt") or "").strip()
    if storyboard:  # the scenes have the prompts; the job shows the storyboard's title and scenes
        board_scenes = params.get("scenes")
        prompt = storyboard_prompt(str(params.get("title") or ""),
                                   board_scenes if isinstance(board_scenes, list) else []) or _("Storyboard")
    elif not prompt:
        fields["prompt"] = [_("Describe what to make.")]
    for name, text in (("prompt", prompt), ("negative_prompt", negative)):
        if len(text) > MAX_PROMPT:
            fields.setdefault(name, []).append(
                _("At most %(count)s characters (this one has %(length)s).") % {
                    "count": MAX_PROMPT, "length": len(text)})
    width = _number(fields, "width", params.get("width"), int, preset.width)
    height = _number(fields, "height", params.get("height"), int, preset.height)
    _check_size(fields, preset, "width", width, preset.max_width)
    _check_size(fields, preset, "height", height, preset.max_height)
    fps = _number(fields, "fps", params.get("fps"), int, preset.fps)
    if not 1 <= fps <= MAX_FPS:
        fields.setdefault("fps", []).append(_("From 1 to %(max)s.") % {"max": MAX_FPS})
    frames = 1
    if kind == JobKind.VIDEO:
        frames = _frames(fields, preset, params, max(1, min(fps, MAX_FPS)))
    steps = _number(fields, "steps", params.get("steps"), int, preset.steps)
    if not 1 <= steps <= preset.max_steps:
        fields.setdefault("steps", []).append(_("From 1 to %(max)s.") % {"max": preset.max_steps})
    guidance = _number(fields, "guidance", params.get("guidance"), float, preset.guidance)
    if not 0 <= guidance <= MAX_GUIDANCE:
        fields.setdefault("guidance", []).append(_("From 0 to %(max)s.") % {"max": int(MAX_GUIDANCE)})
    render_mode = str(params.get("render_mode") or RenderMode.QUALITY)
    if render_mode not in preset.render_modes:
        fields["render_mode"] = [
            _("%(preset)s renders only at full quality: it has no fast mode.") % {"preset": preset.name}
            if render_mode in RenderMode.values else
            _("Choose one of: %(values)s.") % {"values": ", ".join(preset.render_modes)}]
    seed = _number(fields, "seed", params.get("seed"), int, None)
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    elif not 0 <= seed <= MAX_SEED:
        fields.setdefault("seed", []).append(_("From 0 to %(max)s.") % {"max": MAX_SEED})
    scenes: list[dict[str, Any]] = []
    if storyboard and "preset" not in fields:
        scenes = storyboard_scenes(fields, preset, params.get("scenes") or [], fps=max(1, min(fps, MAX_FPS)),
                                   seed=seed, style=str(params.get("style") or "").strip())
        frames = sum(scene["frames"] for scene in scenes)
    if fields:
        raise ValidationFailed(_("Some settings need changing."), fields=fields)
    return {"kind": kind, "preset": preset.name, "prompt": prompt, "negative_prompt": negative,
            "width": width, "height": height, "frames": frames, "fps": fps, "steps": steps,
            "guidance": guidance, "seed": seed, "render_mode": render_mode, "scenes": scenes}


def _frames(fields: dict[str, list[str]], preset: Preset, params: dict[str, Any], fps: int) -> int:
    """Frames from `frames`, or from `seconds` at the clip's fps, on the VAE's frame grid."""
    step = preset.frame_step
    if params.get("frames") not in (None, ""):
        frames = _number(fields, "frames", params.get("frames"), int, preset.frames)
        name = "frames"
    elif params.get("seconds") not in (None, ""):
        seconds = _number(fields, "seconds", params.get("seconds"), float, preset.frames / fps)
        frames = preset.frames_for(seconds, fps)
        name = "seconds"
    else:
        return preset.frames
    if not 1 <= frames <= preset.max_frames or (frames - 1) % step:
        longest = (preset.max_frames - 1) // step * step + 1
        fields.setdefault(name, []).append(
            _("%(preset)s makes 1 to %(max)s frames, in steps of %(step)s (%(seconds)s s at %(fps)s fps).")
            % {"preset": preset.name, "max": longest, "step": step,
               "seconds": round(longest / fps, 2), "fps": fps})
    return frames


@transaction.atomic
def job_submit(*, project: Project, user: AnyUser, kind: str, preset: str, parent: Asset | None = None,
               **params: Any) -> Job:
    """Queue a render (a remix when `parent`, the asset it starts from, is given); the project's
    editors and owners may."""
    membership = membership_require(project=project, user=user, action=Action.GENERATE)
    if kind == JobKind.STORYBOARD:  # the scenes as they are now, named after the storyboard
        board = storyboard_get(project=project, user=user)
        params.update(scenes=board["scenes"], title=board["title"].strip() or project.name)
    fields = job_parameters(kind=kind, preset_name=preset, params=params)
    quota_check(user=membership.user, job=fields)
    # A remix keeps what it needs of its source now: deleting the source later does not fail it.
    lineage = {"parent_sha256": parent.sha256, "remixed_from": parent.job.public_id} if parent else {}
    job = Job.objects.create(project=project, requester=membership.user, parent=parent, **lineage, **fields)
    compute_reserve(job=job)  # the estimate, until it ends (a failed or cancelled one: what ran)
    transaction.on_commit(lambda: job_announce(job), robust=True)
    scheduler.dispatch_on_commit()
    return job


REMIX_FIELDS = ("preset", "prompt", "negative_prompt", "width", "height", "fps", "steps", "guidance", "seed",
                "render_mode")


@transaction.atomic
def asset_remix(*, project: Project, user: AnyUser, asset_id: int, **changes: Any) -> Job:
    """A new job from an asset: its job's settings with `changes` applied, the asset recorded as
    the new job's parent. A storyboard's render re-renders the storyboard as it is now."""
    membership_require(project=project, user=user, action=Action.GENERATE)
    asset = Asset.objects.filter(project=project, pk=asset_id).select_related("job").first()
    if asset is None:
        raise NotFound(_("No such asset."))
    return remix_submit(project=project, user=user, asset=asset, **changes)


def remix_submit(*, project: Project, user: AnyUser, asset: Asset, **changes: Any) -> Job:
    """A job in `project` with `asset`'s settings and `changes`, the asset as its parent (an asset
    of the same project, or a work published in the gallery)."""
    source = asset.job
    params: dict[str, Any] = {name: getattr(source, name) for name in REMIX_FIELDS}
    if source.kind == JobKind.VIDEO and not {"frames", "seconds"} & set(changes):
        params["frames"] = source.frames
    params.update({name: value for name, value in changes.items() if value is not None})
    target = presets().get(params["preset"])
    if "render_mode" not in changes and target and params["render_mode"] not in target.render_modes:
        params["render_mode"] = RenderMode.QUALITY  # another model, without the source's fast mode
    if "seed" in changes and changes["seed"] is None:
        params["seed"] = None  # asked for a new random seed
    return job_submit(project=project, user=user, kind=source.kind, parent=asset, **params)


@transaction.atomic
def job_cancel(*, project: Project, user: AnyUser, job_id: str) -> Job:
    """Stop a job (by its public id): a queued one never starts, a running one stops at its
    next step."""
    membership_require(project=project, user=user, action=Action.GENERATE)
    job = Job.objects.select_for_update().filter(project=project, public_id=job_id).first()
    if job is None:
        raise NotFound(_("No such job."))
    if job.status in FINISHED:
        return job
    job.cancel_requested = True
    if job.status == JobStatus.QUEUED:
        job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
        compute_settle(job=job, steps_done=0)  # it never ran
    job.save(update_fields=["cancel_requested", "status", "finished_at"])
    transaction.on_commit(lambda: job_announce(job), robust=True)
    return job
