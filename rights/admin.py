from django.contrib import admin

from rights.models import (
    Batch,
    BatchEntry,
    ChainAllowanceUse,
    ChainCursor,
    ChainEvent,
    ChainTx,
    Custody,
    Licence,
    Offer,
    OfferApproval,
    Owner,
    Payment,
    ProvenanceAttempt,
    PublishedPrint,
    Purchase,
    Work,
    WorkReview,
)


class OwnerInline(admin.TabularInline):
    model = Owner
    extra = 0
    readonly_fields = ["user", "address", "bps", "position", "confirmed_at"]


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = ["public_id", "title", "status", "mode", "licence", "created_by", "block_number",
                    "created_at"]
    list_filter = ["status", "mode", "licence"]
    search_fields = ["public_id", "title", "sha256", "iscc"]
    readonly_fields = ["public_id", "sha256", "iscc", "phash", "mime", "size", "registrant", "block_number",
                       "registered_at"]
    inlines = [OwnerInline]


@admin.register(ChainTx)
class ChainTxAdmin(admin.ModelAdmin):
    """The outbox: read it here; the signer owns every field (never edit a nonce by hand)."""

    list_display = ["key", "function", "signer", "status", "nonce", "tx_hash", "replacements",
                    "created_at"]
    list_filter = ["status", "function"]
    search_fields = ["key", "tx_hash", "signer"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["licence_id", "work", "licensee", "status", "expires_at", "created_at"]
    list_filter = ["status"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["root", "count", "status", "block_number", "anchored_at"]


@admin.register(ChainEvent)
class ChainEventAdmin(admin.ModelAdmin):
    list_display = ["name", "content_hash", "block_number", "tx_hash", "log_index"]
    list_filter = ["name"]
    search_fields = ["content_hash", "tx_hash"]


admin.site.register([Owner, BatchEntry, ChainCursor, Custody])


@admin.register(ProvenanceAttempt)
class ProvenanceAttemptAdmin(admin.ModelAdmin):
    """Refused claims on files the platform made: who tried, on what, and what the file said."""

    list_display = ["created_at", "user", "reason", "asset", "sha256"]
    list_filter = ["reason"]
    search_fields = ["sha256", "user__username"]
    readonly_fields = ["user", "sha256", "reason", "asset", "manifest", "detail", "created_at"]


@admin.register(WorkReview)
class WorkReviewAdmin(admin.ModelAdmin):
    """Look-alike registrations waiting for the owners of what they look like; moderators decide
    them through the API (POST /api/v1/reviews/<id>/approve|decline) as staff."""

    list_display = ["work", "matched_work", "matched_asset", "status", "decided_by", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["work", "matched_work", "matched_asset", "content_bits", "phash_bits", "status",
                       "decided_by", "decided_at", "created_at"]


@admin.register(PublishedPrint)
class PublishedPrintAdmin(admin.ModelAdmin):
    list_display = ["asset", "iscc", "phash", "created_at"]
    readonly_fields = ["asset", "iscc", "phash", "created_at"]


@admin.register(ChainAllowanceUse)
class ChainAllowanceUseAdmin(admin.ModelAdmin):
    """Chain requests counted against accounts' daily allowance (rights/allowance.py)."""

    list_display = ["user", "kind", "key", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the chain decides (or will): read it here, change it only through the services."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


class OfferApprovalInline(admin.TabularInline):
    model = OfferApproval
    extra = 0
    readonly_fields = ["kind", "address", "user", "deadline", "created_at"]
    exclude = ["signature"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["title", "work", "status", "currency", "price", "sold", "max_quantity", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["offer_id", "title", "work__title"]
    inlines = [OfferApprovalInline]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["offer", "licensee", "serial", "status", "tx_hash", "created_at"]
    list_filter = ["status"]
    search_fields = ["licensee", "tx_hash", "offer__offer_id"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["kind", "payee", "token", "amount", "work", "block_number"]
    list_filter = ["kind"]
    search_fields = ["payee", "tx_hash"]


admin.site.register(OfferApproval, ReadOnlyAdmin)
