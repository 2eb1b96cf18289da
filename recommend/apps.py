from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from generation.models import Asset


class RecommendConfig(AppConfig):
    name = "recommend"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from generation.deletion import deletion_guards_register

        deletion_guards_register(asset_published)


def asset_published(asset: "Asset") -> str | None:
    """A render in the gallery is kept until it leaves it (generation.deletion): deleting it
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
