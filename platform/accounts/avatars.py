"""Avatar validation with Pillow: the bytes must decode as an allowed image format."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kernel.errors import ValidationFailed

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


def avatar_validate(file: UploadedFile) -> str:
    """Return the file extension matching the sniffed format, or raise ValidationFailed."""
    allowed = ", ".join(sorted(ALLOWED_FORMATS))
    if file.size is not None and file.size > settings.AVATAR_MAX_BYTES:
        raise ValidationFailed(
            _("The avatar is too large."),
            fields={"avatar": [_("At most %(mb)s MB is allowed.") % {
                "mb": settings.AVATAR_MAX_BYTES // (1024 * 1024)}]},
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            image.verify()
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed(
            _("The avatar is not a readable image."),
            fields={"avatar": [_("Upload an image in one of these formats: %(f)s.") % {"f": allowed}]},
        ) from None
    finally:
        file.seek(0)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationFailed(
            _("This image format is not allowed."),
            fields={"avatar": [_("Allowed formats: %(f)s.") % {"f": allowed}]},
        )
    limit = settings.AVATAR_MAX_PIXELS
    if width > limit or height > limit:
        raise ValidationFailed(
            _("The avatar is too big."),
            fields={"avatar": [_("At most %(n)s×%(n)s pixels.") % {"n": limit}]},
        )
    return ALLOWED_FORMATS[fmt]
