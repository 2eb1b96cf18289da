from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext as _
        from django.utils.translation import ngettext

        from generation import metrics  # noqa: F401 (its families on /metrics from the start)
        from generation.models import Asset, assets_delete
        from projects.extensions import (
            PagePart,
            project_deletion_hooks_register,
            project_page_part_register,
            verbs_register,
        )

        # A project's renders go with it, files included, unless an app above keeps one.
        project_deletion_hooks_register(lambda project: assets_delete(Asset.objects.filter(project=project)))

        # The studio (generate, queue, media library) on the project page.
        project_page_part_register(PagePart(key="generation.studio", context=lambda project, user: {},
                                            template="generation/_studio.html", slot="workspace"))

        verbs_register({
            "generation.rendered_image": lambda d: _("rendered an image: “%(prompt)s”") % d,
            "generation.rendered_video": lambda d: _("rendered a video: “%(prompt)s”") % d,
            "generation.rendered_storyboard": lambda d: ngettext(
                "rendered the storyboard (%(scenes)s scene)", "rendered the storyboard (%(scenes)s scenes)",
                d["scenes"]) % d,
        })
