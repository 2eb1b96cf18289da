"""Names and types of stored and downloaded files: never the name or type a user sent.

A stored file is named `<random>.<extension of the type its bytes were sniffed as>`, so no name a
user chose (`x.html`) ever reaches storage, and a download is named after its title with the
extension of its stored type."""

import secrets
from urllib.parse import quote

from django.utils.http import content_disposition_header
from django.utils.text import slugify

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif",
              "video/mp4": "mp4", "video/webm": "webm"}
IMAGE_TYPES = {mime for mime in EXTENSIONS if mime.startswith("image/")}
MAX_NAME = 80  # characters of a download's name before its extension


def extension_for(mime: str) -> str:
    return EXTENSIONS.get(mime, "bin")


def mime_for_name(name: str) -> str | None:
    """The type a stored name's extension stands for (stored names are made by `stored_name`
    from the sniffed type); None for any other extension."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "jpeg":
        extension = "jpg"
    return next((mime for mime, ext in EXTENSIONS.items() if ext == extension), None)


def stored_name(mime: str) -> str:
    """A random name with the extension of the type the bytes were sniffed as."""
    return f"{secrets.token_hex(16)}.{extension_for(mime)}"


def download_name(title: str, mime: str) -> str:
    """A safe ASCII file name for Content-Disposition, from a title (`download.png` when the title
    has no ASCII letters or digits)."""
    return f"{slugify(title)[:MAX_NAME].strip('-') or 'download'}.{extension_for(mime)}"


def content_disposition(title: str, mime: str, *, attachment: bool) -> str:
    """`inline` or `attachment` with the ASCII name from the title and, when the title has other
    characters, the UTF-8 one too (RFC 6266 `filename*`, which browsers prefer)."""
    ascii_name = download_name(title, mime)
    header = content_disposition_header(attachment, ascii_name) or ""
    full = slugify(title, allow_unicode=True)[:MAX_NAME].strip("-")
    if full and f"{full}.{extension_for(mime)}" != ascii_name:
        header += f"; filename*=utf-8''{quote(f'{full}.{extension_for(mime)}')}"
    return header


def sniff_image(head: bytes) -> str | None:
    """The image type of a file from its first 12 bytes (PNG, JPEG, WebP, GIF), else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None
