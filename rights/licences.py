"""The licences a work can carry (public: the gallery offers and shows them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LicenceKind(models.TextChoices):
    CC_BY = "cc-by-4.0", "CC BY 4.0"
    CC_BY_NC = "cc-by-nc-4.0", "CC BY-NC 4.0"
    CC_BY_ND = "cc-by-nd-4.0", "CC BY-ND 4.0"
    ALL_RIGHTS_RESERVED = "all-rights-reserved", _("All rights reserved")
    CUSTOM = "custom", _("Custom terms")


LICENCE_URLS = {
    LicenceKind.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    LicenceKind.CC_BY_NC: "https://creativecommons.org/licenses/by-nc/4.0/",
    LicenceKind.CC_BY_ND: "https://creativecommons.org/licenses/by-nd/4.0/",
}
