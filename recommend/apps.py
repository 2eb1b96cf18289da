from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset
    from projects.models import Project


class RecommendConfig(AppConfig):
    name = "recommend"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aesthetics.extensions import gallery_register
        from generation.extensions import deletion_guards_register
        from projects.extensions import PagePart, project_page_part_register
        from recommend import metrics  # noqa: F401 (its families on /metrics from the start)

        deletion_guards_register(asset_published)
        gallery_register(published_hashes)  # aesthetic reports rank a work among the published ones
        project_page_part_register(PagePart(key="recommend.gallery_links", context=project_page_links))


def published_hashes() -> Any:
    from recommend.models import Publication, PublicationStatus

    published = Publication.objects.filter(status=PublicationStatus.PUBLISHED)
    return published.values_list("asset__sha256", flat=True)


def project_page_links(project: "Project", user: "User") -> dict[str, Any]:
    """The media library's player links each published render to its gallery page."""
    from django.urls import reverse

    from recommend.selectors import project_publications

    return {"published": {str(asset_id): reverse("gallery:work", args=[public_id]) for asset_id, public_id
                          in project_publications(project=project).values_list("asset_id", "public_id")}}


def asset_published(asset: "Asset") -> str | None:
    """A render in the gallery is kept until it leaves it (generation.extensions): deleting it
    would take the publication, its likes and its remix lineage with it."""
    from django.utils.translation import gettext as _

    from recommend.models import Publication, PublicationStatus

    publication = Publication.objects.filter(asset=asset).only("status", "title").first()
    if publication is None:
        return None
    if publication.status == PublicationStatus.PUBLISHED:
        return _("This render is published in the gallery as “%(title)s”: unpublish it first.") % {
            "title": publication.title}
    if publication.status == PublicationStatus.HELD:
        return _("This render is published in the gallery and a moderator is reviewing it: it can be "
                 "deleted once they have decided.")
    return None
