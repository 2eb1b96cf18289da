"""The kinds of render (public: the apps above tell a storyboard's render from a scene's)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    STORYBOARD = "storyboard", _("Storyboard")  # the project's scenes, rendered and joined


class RenderMode(models.TextChoices):
    QUALITY = "quality", _("Quality")  # every denoising step computed in full
    FAST = "fast", _("Fast")  # the preset's cache hook reuses work between steps (generation/fast.py)
