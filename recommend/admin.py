from django.contrib import admin

from recommend.models import (
    Collection,
    CollectionItem,
    Follow,
    Hide,
    Like,
    ModelVersion,
    ModerationDecision,
    Preferences,
    Publication,
    Report,
    Signal,
    Tag,
    UserVector,
)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Moderators decide on held works here (status) as well as through the API."""

    list_display = ["public_id", "title", "creator", "status", "likes", "saves", "views", "reports",
                    "published_at"]
    list_filter = ["status", "licence", "language"]
    search_fields = ["public_id", "title", "creator__username"]
    readonly_fields = ["public_id", "asset", "project", "creator", "likes", "saves", "views", "shares",
                       "reports", "embedding"]
    filter_horizontal = ["tags"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Every report, trusted or not (only trusted reporters can hold a work; the others are here)."""

    list_display = ["publication", "user", "reason", "trusted", "weight", "resolved", "created_at"]
    list_filter = ["resolved", "trusted", "reason"]
    ordering = ["resolved", "-trusted", "-weight", "-created_at"]
    readonly_fields = ["weight", "trusted"]


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    """Moderators' decisions and the platform's holds: read only (decide on /moderation/)."""

    list_display = ["publication", "action", "moderator", "status_before", "status_after", "created_at"]
    list_filter = ["action"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    """The log the recommender trains on: read only."""

    list_display = ["user", "publication", "kind", "dwell_ms", "reason", "created_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "active", "users", "items", "signals", "seconds", "trained_at"]


admin.site.register([Tag, Like, Collection, CollectionItem, Follow, Hide, Preferences, UserVector])
