from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from recommend.extensions import (
            ModerationPart,
            WorkPagePart,
            moderation_part_register,
            work_page_part_register,
        )
        from reviews.pages import moderation_part, work_part

        # The thread under a work, and reported reviews beside reported works (recommend's pages).
        work_page_part_register(WorkPagePart(key="reviews.thread", template="reviews/_work_part.html",
                                             context=work_part))
        moderation_part_register(ModerationPart(key="reviews.queue", template="reviews/_moderation_part.html",
                                                context=moderation_part))
