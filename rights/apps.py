from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset
    from projects.models import Project


class RightsConfig(AppConfig):
    name = "rights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from generation.extensions import deletion_guards_register, usage_allowances_register
        from projects.extensions import PagePart, project_page_part_register
        from rights import metrics  # noqa: F401 (its families on /metrics from the start)
        from rights.allowance import chain_allowance_usage

        project_page_part_register(PagePart(key="rights.works", context=project_page_works,
                                            template="rights/_project_works.html"))
        deletion_guards_register(asset_registered)
        usage_allowances_register(chain_allowance_usage)  # the Usage page's chain transactions


PROJECT_WORKS_SHOWN = 50


def project_page_works(project: "Project", user: "User") -> dict[str, Any]:
    """The project page's registered works."""
    from rights.selectors import project_works

    return {"works": list(project_works(project=project, user=user)[:PROJECT_WORKS_SHOWN])}


def asset_registered(asset: "Asset") -> str | None:
    """A render a work was made from is kept with that work (generation.extensions): deleting it
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
