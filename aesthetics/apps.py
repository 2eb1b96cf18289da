from django.apps import AppConfig


class AestheticsConfig(AppConfig):
    name = "aesthetics"
    default_auto_field = "django.db.models.BigAutoField"
