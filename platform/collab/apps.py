from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "collab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext as _
        from django.utils.translation import ngettext

        from projects.activity import verbs_register

        verbs_register({
            "storyboard.scene_added": lambda d: ngettext(
                "added a scene", "added %(count)s scenes", d["count"]) % d,
            "storyboard.scene_removed": lambda d: ngettext(
                "removed a scene", "removed %(count)s scenes", d["count"]) % d,
            "storyboard.version_saved": lambda d: _("saved the version “%(label)s”") % d,
            "storyboard.version_restored": lambda d: _("restored the version “%(label)s”") % d,
        })
