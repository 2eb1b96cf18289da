"""Reviews: what people write about a published work, in threads.

A thread is a review of the work (a root: no parent) and the replies to it, one level deep. A
reply to a reply joins the same thread, after the others, and names whom it answers
(`reply_to`), shown as an @mention: threads stay readable on a phone and a page of them is two
queries, however long the conversation.

A review is published, held back on reports (waiting for a moderator), removed by a moderator, or
deleted (by its author, or by the work's creator, on their work). A review that is no longer
published keeps its place in its thread while replies are shown under it, as a line saying what
became of it, so that the thread keeps its shape; without replies it is left out. An author's
deletion blanks the text.

Reports and moderators' decisions follow the works' rules (recommend.services: `report_weight`,
`reports_warrant_hold`); they are kept here, beside the works' own.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recommend.services import ReportReason

BODY_MAX = 2000  # characters of a review's text
NOTE_MAX = 1000  # characters of a report's note
DECISION_NOTE_MAX = 2000


class ReviewStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    HELD = "held", _("Held back")  # reported by several trusted people, waiting for a moderator
    REMOVED = "removed", _("Removed")  # by a moderator
    DELETED = "deleted", _("Deleted")  # by its author, or by the work's creator


class Review(models.Model):
    publication = models.ForeignKey("recommend.Publication", on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="gallery_reviews")
    # The thread's root (None: this review is a root). Always a root: threads are one level deep.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="replies")
    # Whom a reply to a reply answers (shown as @username); None for a root and a reply to the root.
    reply_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    body = models.TextField(max_length=BODY_MAX, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PUBLISHED)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)  # the author's last edit
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["publication", "parent", "-created_at"], name="reviews_thread"),
            models.Index(fields=["parent", "created_at"], name="reviews_replies"),
            models.Index(fields=["author", "-created_at"], name="reviews_author_recent"),  # the rate limit
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.publication_id} by {self.author_id}"

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class ReviewDecision(models.Model):
    """What was decided about a review: the platform held it back on reports (no moderator), or a
    moderator restored or removed it, with the reports it settled."""

    class Action(models.TextChoices):
        HOLD = "hold", _("Held back on reports")
        RESTORE = "restore", _("Restored")
        REMOVE = "remove", _("Removed")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="review_decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    note = models.TextField(max_length=DECISION_NOTE_MAX, blank=True)
    status_before = models.CharField(max_length=10, choices=ReviewStatus.choices)
    status_after = models.CharField(max_length=10, choices=ReviewStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["review", "-id"], name="reviews_decision_latest")]

    def __str__(self) -> str:
        return f"{self.action} review {self.review_id}"


class ReviewReport(models.Model):
    """One person's report of a review (once per person), with the same reasons as a work's and
    the reporter's standing when they reported (recommend.services.report_weight)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="review_reports")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    note = models.TextField(max_length=NOTE_MAX, blank=True)
    text = models.TextField(max_length=BODY_MAX, blank=True)  # the review's text as it was reported
    created_at = models.DateTimeField(auto_now_add=True)
    weight = models.FloatField(default=0.0)
    trusted = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    settled_by = models.ForeignKey(ReviewDecision, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="settled_reports")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "review"], name="reviews_report_once")]
        indexes = [models.Index(fields=["review", "resolved"], name="reviews_report_open")]

    def __str__(self) -> str:
        return f"{self.user_id} reports review {self.review_id}: {self.reason}"
