from django.contrib import admin

from reviews.models import Review, ReviewDecision, ReviewReport


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderators decide on the moderation page (recorded there); here to look things up."""

    list_display = ["pk", "publication", "author", "parent", "status", "created_at", "edited_at"]
    list_filter = ["status"]
    search_fields = ["author__username", "publication__public_id", "body"]
    raw_id_fields = ["publication", "author", "parent", "reply_to", "deleted_by"]
    readonly_fields = ["created_at", "edited_at"]


@admin.register(ReviewReport)
class ReviewReportAdmin(admin.ModelAdmin):
    list_display = ["review", "user", "reason", "trusted", "weight", "resolved", "created_at"]
    list_filter = ["resolved", "trusted", "reason"]
    raw_id_fields = ["review", "user", "settled_by"]
    readonly_fields = ["weight", "trusted", "text"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["review", "action", "moderator", "status_before", "status_after", "created_at"]
    list_filter = ["action"]
    raw_id_fields = ["review", "moderator"]
