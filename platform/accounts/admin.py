from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.models import ApiToken, User, Wallet


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Storyloom", {"fields": ("display_name", "bio", "avatar", "preferred_language", "plan",
                                  "email_verified_at")}),
    )
    list_display = ("username", "email", "email_verified_at", "display_name", "plan", "is_staff",
                    "date_joined")
    list_filter = ("plan", "is_staff", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scopes", "created_at", "expires_at", "last_used_at",
                    "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    """Linked wallets, to read: a wallet is linked only by its holder's signature."""

    list_display = ("address", "user", "chain_id", "linked_at")
    search_fields = ("address", "user__username")
    readonly_fields = ("user", "address", "chain_id", "linked_at", "message", "signature")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
