"""Generation jobs and the media assets they produce."""

import secrets

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from generation.extensions import assets_deletion_check
from generation.kinds import JobKind, RenderMode


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
MAX_PROMPT = 2000  # characters
MAX_SEED = 2**32 - 1


def new_public_id() -> str:
    return f"video_{secrets.token_hex(12)}"


class Job(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=12, choices=JobKind.choices)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="jobs")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  related_name="generation_jobs")
    preset = models.CharField(max_length=64)
    prompt = models.TextField(max_length=MAX_PROMPT)
    negative_prompt = models.TextField(max_length=MAX_PROMPT, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frames = models.PositiveIntegerField(default=1)
    fps = models.PositiveIntegerField(default=24)
    steps = models.PositiveIntegerField()
    guidance = models.FloatField()
    seed = models.BigIntegerField()  # always recorded (drawn at submit when not given)
    # "fast": the preset's cache hook reuses work between denoising steps (generation/fast.py)
    render_mode = models.CharField(max_length=8, choices=RenderMode.choices, default=RenderMode.QUALITY)
    parent = models.ForeignKey("Asset", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")  # a remix's source (gone if it was deleted since)
    # What a remix keeps of its source when it is queued, so that deleting the source afterwards
    # neither fails it nor loses its lineage (OpenAI's remixes behave so): the source's hash (named
    # in the remix's Content Credentials) and its job's public id.
    parent_sha256 = models.CharField(max_length=64, blank=True)
    remixed_from = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(default=0.0)  # percent of the denoising steps
    step = models.PositiveIntegerField(default=0)
    eta_s = models.FloatField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # what the people who asked see: never internals
    error_detail = models.TextField(blank=True)  # the exception behind a failure: staff only (admin)
    # Seconds spent per phase of the last attempt: queue, load (pipeline), render, store.
    timings = models.JSONField(default=dict, blank=True)
    # Storyboard jobs: the scenes as they were at submit, each {scene, prompt, negative_prompt,
    # frames, seed}, so the render matches what was asked for even while people keep editing.
    scenes = models.JSONField(default=list, blank=True)
    # The queue token (Celery task id) of the worker running it: a token handed out again after
    # its worker died finds its job by this (generation/scheduler.py).
    claim = models.CharField(max_length=64, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last sign of life while running
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="generation_job_queue"),
                   models.Index(fields=["project", "-created_at"], name="generation_job_project"),
                   models.Index(fields=["requester", "started_at"], name="generation_job_served")]

    def __str__(self) -> str:
        return self.public_id

    @property
    def total_steps(self) -> int:
        """Denoising steps of the whole job: a storyboard runs them once per scene."""
        return self.steps * max(1, len(self.scenes))

    @property
    def seconds(self) -> float:
        return round(self.frames / self.fps, 3) if self.kind != JobKind.IMAGE else 0.0


class ComputeUse(models.Model):
    """What one job costs its requester's daily compute allowance (generation/quotas.py), in
    pixel-steps (frames x width x height x denoising steps): the estimate, reserved at submit;
    what ran, once a job fails or is cancelled. Kept when the job is deleted, so that deleting a
    render never gives its compute back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    job = models.OneToOneField(Job, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="compute_use")
    pixel_steps = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="generation_compute_day")]

    def __str__(self) -> str:
        return f"{self.pixel_steps} pixel-steps for {self.job_id}"


def asset_path(asset: "Asset", filename: str) -> str:
    return f"generation/{asset.project_id}/{asset.job.public_id}/{filename}"


class Asset(models.Model):
    FILES = ("file", "poster", "preview", "thumbnail")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="assets")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=12, choices=JobKind.choices)
    role = models.CharField(max_length=20, default="output")  # a job's main output, or one of its parts
    file = models.FileField(upload_to=asset_path)  # the MP4, or the PNG of an image
    poster = models.FileField(upload_to=asset_path)
    preview = models.FileField(upload_to=asset_path, blank=True)  # animated WebP (videos)
    thumbnail = models.FileField(upload_to=asset_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frames = models.PositiveIntegerField(default=1)
    fps = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="remixes")  # what it was remixed from
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # A job that runs again after a lost worker replaces its assets, never adds to them.
        constraints = [models.UniqueConstraint(fields=["job", "role"], name="generation_asset_role")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.job}"

    def media_url(self, name: str, *, download: bool = False) -> str | None:
        """The members-only URL of one of its files (None when it has none): the files are
        never served straight from storage."""
        if not getattr(self, name):
            return None
        url = reverse("api-asset-media", kwargs={"project_id": self.project_id, "asset_id": self.pk,
                                                 "name": name})
        return f"{url}?download=1" if download else url


def assets_delete(assets: "models.QuerySet[Asset]") -> None:
    """Delete the assets, and their files once the deletion commits (a rollback keeps both);
    Conflict when an app above keeps one of them (generation.extensions: a published or registered
    render)."""
    assets = assets.all()
    assets_deletion_check(assets)
    files = [(field.storage, field.name) for asset in assets for name in Asset.FILES
             if (field := getattr(asset, name))]
    assets.delete()

    def delete_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(delete_files, robust=True)


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class Webhook(models.Model):
    """A URL told about the owner's jobs when they finish, signed with the secret (HMAC-SHA256)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class InstallStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Downloading")
    SUCCEEDED = "succeeded", _("Installed")
    FAILED = "failed", _("Failed")


class ModelInstall(models.Model):
    """The last install of a preset's weights from the Hub (generation/models_manager.py): one row
    per preset, its progress while it runs (what the staff Models page polls) and how it ended.
    `token` names the attempt: a task whose attempt was replaced does nothing."""

    preset = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=InstallStatus.choices, default=InstallStatus.QUEUED)
    token = models.CharField(max_length=32, blank=True)
    bytes_done = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # for staff, in plain words
    error_detail = models.TextField(blank=True)  # the exception behind it (staff: the page, the admin)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # a sign of life while it runs
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["preset"]

    def __str__(self) -> str:
        return f"{self.preset}: {self.status}"
