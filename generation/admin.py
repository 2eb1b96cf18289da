from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from generation.extensions import asset_deletion_refusal
from generation.models import Asset, ComputeUse, Job, ModelInstall, Webhook


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("public_id", "project", "requester", "preset", "kind", "status", "progress", "created_at")
    list_filter = ("status", "kind", "preset")
    search_fields = ("public_id", "prompt")
    raw_id_fields = ("project", "requester", "parent")
    # What the people who asked saw, and the exception behind it (for staff only).
    readonly_fields = ("error", "error_detail", "parent_sha256", "remixed_from")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # (the bulk delete would bypass the per-object check below)
        actions = super().get_actions(request)
        return {name: action for name, action in actions.items() if name != "delete_selected"}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A job whose render is published or registered is kept (generation.extensions).
        if obj is not None and any(asset_deletion_refusal(asset) for asset in obj.assets.all()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("job", "project", "kind", "role", "width", "height", "frames", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("job", "project", "parent")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        return {name: action for name, action in actions.items() if name != "delete_selected"}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and asset_deletion_refusal(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "user", "created_at")
    raw_id_fields = ("user",)
    readonly_fields = ("secret",)


@admin.register(ComputeUse)
class ComputeUseAdmin(admin.ModelAdmin):
    """The compute ledger (generation/quotas.py): what each job costs its requester's day."""

    list_display = ("user", "job", "pixel_steps", "created_at")
    raw_id_fields = ("user", "job")
    readonly_fields = ("created_at",)


@admin.register(ModelInstall)
class ModelInstallAdmin(admin.ModelAdmin):
    """Installs are started and removed on the staff Models page (generation/models_manager.py),
    which keeps one at a time per preset; here they are only read."""

    list_display = ("preset", "status", "bytes_done", "bytes_total", "requested_by", "finished_at")
    list_filter = ("status",)
    readonly_fields = [field.name for field in ModelInstall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
