from django.contrib import admin

from collab.models import Contribution, StoryboardDocument, StoryboardUpdate, StoryboardVersion


@admin.register(StoryboardDocument)
class StoryboardDocumentAdmin(admin.ModelAdmin):
    list_display = ("project", "head_seq", "snapshot_seq", "updated_at")
    raw_id_fields = ("project",)
    readonly_fields = ("snapshot", "snapshot_seq", "head_seq")


@admin.register(StoryboardUpdate)
class StoryboardUpdateAdmin(admin.ModelAdmin):
    list_display = ("document", "seq", "user", "created_at")
    raw_id_fields = ("document", "user")
    readonly_fields = ("data",)


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ("document", "user", "updates", "chars_inserted", "chars_deleted", "scenes_added",
                    "comments", "last_edit_at")
    raw_id_fields = ("document", "user")


@admin.register(StoryboardVersion)
class StoryboardVersionAdmin(admin.ModelAdmin):
    list_display = ("document", "label", "seq", "created_by", "created_at")
    raw_id_fields = ("document", "created_by")
    readonly_fields = ("snapshot",)
