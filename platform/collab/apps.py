from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "collab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext as _
        from django.utils.translation import ngettext

        from collab import metrics  # noqa: F401 (its families on /metrics from the start)
        from collab.fanout import announce_access
        from projects.extensions import access_changed, verbs_register

        def storyboard_access_changed(*, project_id: int, user_id: int | None, **_: object) -> None:
            # Every process's room of the project (this one's too) re-checks the sockets concerned.
            announce_access(project_id=project_id, user_id=user_id)

        access_changed.connect(storyboard_access_changed, weak=False,
                               dispatch_uid="collab.storyboard_access_changed")

        verbs_register({
            "storyboard.scene_added": lambda d: ngettext(
                "added a scene", "added %(count)s scenes", d["count"]) % d,
            "storyboard.scene_removed": lambda d: ngettext(
                "removed a scene", "removed %(count)s scenes", d["count"]) % d,
            "storyboard.version_saved": lambda d: _("saved the version “%(label)s”") % d,
            "storyboard.version_restored": lambda d: _("restored the version “%(label)s”") % d,
        })
