"""The plans an account can be on (public: the quotas of other apps depend on it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.TextChoices):
    FREE = "free", _("Free")
    PRO = "pro", _("Pro")
