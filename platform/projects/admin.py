from django.contrib import admin

from projects.models import Activity, Invitation, Membership, Project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at", "archived_at")
    list_filter = ("archived_at",)
    search_fields = ("name", "description")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "role", "created_at")
    list_filter = ("role",)
    raw_id_fields = ("project", "user")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("project", "invitee", "email", "role", "status", "created_at", "expires_at")
    list_filter = ("status", "role")
    raw_id_fields = ("project", "invitee", "invited_by")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("project", "actor", "verb", "created_at")
    list_filter = ("verb",)
    raw_id_fields = ("project", "actor")
    readonly_fields = ("created_at",)
