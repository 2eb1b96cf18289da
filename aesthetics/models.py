"""Aesthetic reports, one per file content (its SHA-256): a render and the work registered from
it share theirs."""

from django.db import models

# Bumped when a measure's definition changes: older reports are computed again when asked for.
MEASURES_VERSION = 1


class Report(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=[("image", "image"), ("video", "video")])
    measures = models.JSONField()  # aesthetics.measures' names → values
    version = models.PositiveSmallIntegerField(default=MEASURES_VERSION)
    seconds = models.FloatField(default=0.0)  # what computing it took
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"aesthetic report of {self.sha256[:12]}"
