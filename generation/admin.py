from django.contrib import admin

from generation.models import Asset, Job, Webhook


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("public_id", "project", "requester", "preset", "kind", "status", "progress", "created_at")
    list_filter = ("status", "kind", "preset")
    search_fields = ("public_id", "prompt")
    raw_id_fields = ("project", "requester", "parent")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("job", "project", "kind", "role", "width", "height", "frames", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("job", "project", "parent")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "user", "created_at")
    raw_id_fields = ("user",)
    readonly_fields = ("secret",)
