from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from generation.models import Asset


class RightsConfig(AppConfig):
    name = "rights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from generation.deletion import deletion_guards_register
        from generation.quotas import usage_allowances_register
        from rights.allowance import chain_allowance_usage

        deletion_guards_register(asset_registered)
        usage_allowances_register(chain_allowance_usage)  # the Usage page's chain transactions


def asset_registered(asset: "Asset") -> str | None:
    """A render a work was made from is kept with that work (generation.deletion): deleting it
    would leave a registration, or a registration under way, without its file."""
    from django.utils.translation import gettext as _

    from rights.models import IN_FLIGHT, Work

    work = Work.objects.filter(asset=asset).order_by("-created_at", "-id").only("public_id", "status").first()
    if work is None:
        return None
    if work.status in IN_FLIGHT:
        return _("This render is registered as work %(id)s: a registered work keeps its file.") % {
            "id": work.public_id}
    return _("This render is the file of work %(id)s (%(status)s): it is kept with that work.") % {
        "id": work.public_id, "status": work.get_status_display()}
