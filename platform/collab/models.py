"""Storyboard documents: a snapshot plus an append-only log of Yjs updates (the source of truth)."""

from django.conf import settings
from django.db import models


class StoryboardDocument(models.Model):
    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="storyboard")
    # Every update up to snapshot_seq is folded into snapshot; the log holds the ones after it.
    snapshot = models.BinaryField(default=b"")
    snapshot_seq = models.BigIntegerField(default=0)
    head_seq = models.BigIntegerField(default=0)  # the last sequence number handed out
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Storyboard of {self.project}"


class StoryboardUpdate(models.Model):
    document = models.ForeignKey(StoryboardDocument, on_delete=models.CASCADE, related_name="updates")
    seq = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="+")
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["document", "seq"], name="collab_update_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} of {self.document_id}"


class Contribution(models.Model):
    """Per-user edit statistics, counted as updates are accepted (they survive compaction)."""

    document = models.ForeignKey(StoryboardDocument, on_delete=models.CASCADE,
                                 related_name="contributions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    updates = models.PositiveIntegerField(default=0)
    chars_inserted = models.PositiveIntegerField(default=0)
    chars_deleted = models.PositiveIntegerField(default=0)
    scenes_added = models.PositiveIntegerField(default=0)
    scenes_removed = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    last_edit_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"],
                                               name="collab_contribution_unique")]

    def __str__(self) -> str:
        return f"{self.user} on {self.document_id}"


class StoryboardVersion(models.Model):
    document = models.ForeignKey(StoryboardDocument, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(max_length=120)
    snapshot = models.BinaryField()
    seq = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label
