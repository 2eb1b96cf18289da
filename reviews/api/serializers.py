"""How the API shows reviews, and what it accepts."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recommend.services import ReportReason
from reviews.models import BODY_MAX, DECISION_NOTE_MAX, NOTE_MAX, ReviewDecision, ReviewStatus
from reviews.selectors import Entry
from reviews.services import DECISIONS, MAX_ID, thread_url


class ReviewPersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="Their page in the gallery.")


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.name,
            "url": reverse("gallery:creator", args=[user.username])}


class ReviewViewerSerializer(serializers.Serializer):
    can_edit = serializers.BooleanField(help_text="You wrote it, it is shown, and it is recent enough.")
    can_delete = serializers.BooleanField(help_text="You wrote it, or it is on your work.")
    can_report = serializers.BooleanField()
    reported = serializers.BooleanField(help_text="You reported it.")


class GalleryReviewSerializer(serializers.Serializer):
    """A review as you see it: its text, or (no longer shown, with replies under it) only what
    became of it."""

    id = serializers.IntegerField(source="review.pk")
    publication = serializers.CharField(source="review.publication.public_id",
                                        help_text="The work (pub_...).")
    parent = serializers.IntegerField(  # type: ignore[assignment]  # (a field named as Field.parent)
        source="review.parent_id", allow_null=True,
        help_text="The thread's first review; null for a thread's first.")
    reply_to = serializers.SerializerMethodField(help_text="Whom a reply to a reply answers (@mention).")
    author = serializers.SerializerMethodField(help_text="null where the review is no longer shown.")
    body = serializers.SerializerMethodField(
        help_text="Plain text; empty where the review is no longer shown.")
    status = serializers.ChoiceField(source="review.status", choices=ReviewStatus.choices, help_text=(
        "published; held (reported, waiting for a moderator: its author and moderators see it); removed "
        "(by a moderator); deleted (by its author or the work's creator)."))
    placeholder = serializers.SerializerMethodField(help_text="What became of it, where it is not shown.")
    created_at = serializers.DateTimeField(source="review.created_at")
    edited_at = serializers.DateTimeField(source="review.edited_at", allow_null=True)
    url = serializers.SerializerMethodField(help_text="The review in its thread's page.")
    viewer = serializers.SerializerMethodField()

    @extend_schema_field(ReviewPersonSerializer(allow_null=True))
    def get_reply_to(self, obj: Entry) -> dict[str, str] | None:
        return _person(obj.review.reply_to) if obj.readable and obj.review.reply_to_id else None

    @extend_schema_field(ReviewPersonSerializer(allow_null=True))
    def get_author(self, obj: Entry) -> dict[str, str] | None:
        return _person(obj.review.author) if obj.readable else None

    def get_body(self, obj: Entry) -> str:
        return obj.review.body if obj.readable else ""

    def get_placeholder(self, obj: Entry) -> str | None:
        return None if obj.readable else obj.placeholder

    def get_url(self, obj: Entry) -> str:
        return thread_url(obj.review)

    @extend_schema_field(ReviewViewerSerializer)
    def get_viewer(self, obj: Entry) -> dict[str, bool]:
        return {"can_edit": obj.can_edit, "can_delete": obj.can_delete, "can_report": obj.can_report,
                "reported": obj.reported}


class GalleryReviewThreadSerializer(GalleryReviewSerializer):
    reply_count = serializers.IntegerField(help_text="The replies shown in the thread.")
    replies = GalleryReviewSerializer(many=True, help_text=(
        "The first replies, oldest first (up to 5); the rest from GET gallery/reviews/<id>/replies."))


class ReviewInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX, help_text="Plain text, 1 to 2,000 characters.")
    parent = serializers.IntegerField(  # type: ignore[assignment]  # (a field named as Field.parent)
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID, help_text=(
            "Reply to this review of the same work (a reply to a reply joins its thread and mentions "
            "whom it answers)."))


class ReviewEditInput(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX, help_text="Plain text, 1 to 2,000 characters.")


class ReviewReportInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ReviewModerateInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(d.value, d.label) for d in DECISIONS], help_text=(
        "restore: shown again, its reports settled; remove: no longer shown (its replies stay)."))
    note = serializers.CharField(max_length=DECISION_NOTE_MAX, required=False, allow_blank=True, default="",
                                 help_text="Why (the author is told when it is removed).")
    last_decision = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                             max_value=MAX_ID, help_text=(
                                                 "The latest decision you saw (0: none): if someone decided "
                                                 "since, the answer is 409 conflict."))


class ReviewDecisionSerializer(serializers.ModelSerializer):
    moderator = serializers.CharField(source="moderator.username", allow_null=True, default=None)

    class Meta:
        model = ReviewDecision
        fields = ["id", "review", "action", "moderator", "note", "status_before", "status_after",
                  "created_at"]


class ReviewReportEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True, help_text="The review's text when it was reported.")
    reporter = serializers.CharField(source="user.username")
    trusted = serializers.BooleanField()
    weight = serializers.FloatField()
    created_at = serializers.DateTimeField()


class ReportedReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="review.pk")
    publication = serializers.CharField(source="review.publication.public_id")
    author = serializers.CharField(source="review.author.username")
    body = serializers.CharField(source="review.body")
    status = serializers.CharField(source="review.status")
    open_reports = serializers.IntegerField()
    waiting_since = serializers.DateTimeField(allow_null=True)
    reports = ReviewReportEntrySerializer(many=True, help_text="The open reports, oldest first (up to 5).")
    last_decision = serializers.IntegerField(help_text="Send it back with your decision (0: none yet).")
