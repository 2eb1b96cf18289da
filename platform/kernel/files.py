"""Names and types of stored and downloaded files: never the name or type a user sent.

A stored file is named `<random>.<extension of the type its bytes were sniffed as>`, so no name a
user chose (`x.html`) ever reaches storage, and a download is named after its title with the
extension of its stored type."""

import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.core.files import File
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


# --- containers whose end is missing ---------------------------------------------------------------

_BOX_TYPE = re.compile(rb"[A-Za-z0-9 ]{4}")
_EBML_TOP = {0x1A45DFA3, 0x18538067}  # the EBML header and the Segment


def _boxes_cut_short(data: bytes) -> bool:
    """An ISO BMFF file (MP4, MOV): a top-level box says it is longer than what is left. Bytes
    after the last box that do not read as one (a ZIP appended, say) end the walk: not cut."""
    pos = 0
    while pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if not _BOX_TYPE.fullmatch(kind):
            return False
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > len(data):
                return True
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:  # the box runs to the end of the file
            return False
        if size < header:
            return False
        if pos + size > len(data):
            return True
        pos += size
    return False


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `pos`: (value, length), or None when it is not one.
    An all-ones size (unknown, as live streams write) reads as -1."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 9 - data[pos].bit_length()
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos:pos + length], "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def _ebml_cut_short(data: bytes) -> bool:
    """A WebM (Matroska) file: its Segment says it is longer than what is left."""
    pos = 0
    while pos < len(data):
        element = _vint(data, pos, keep_marker=True)
        if element is None or element[0] not in _EBML_TOP:
            return False  # not ours: bytes after the file
        size = _vint(data, pos + element[1], keep_marker=False)
        if size is None:
            return True
        if size[0] < 0:  # of unknown size: runs to the end
            return False
        pos += element[1] + size[1] + size[0]
        if pos > len(data):
            return True
    return False


def cut_short(data: bytes, mime: str) -> bool:
    """Whether an MP4 or WebM file's own structure says that its end is missing (a truncated
    upload: ffmpeg would still read the part that is there). Other types: False."""
    if mime == "video/mp4":
        return _boxes_cut_short(data)
    if mime == "video/webm":
        return _ebml_cut_short(data)
    return False


@contextmanager
def local_copy(source: File) -> Iterator[Path]:
    """A stored file (from any storage, S3 included) copied, chunk by chunk, into a temporary
    file for a program that reads a path (ffmpeg); removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        with source.open("rb") as opened, path.open("wb") as copy:
            for chunk in opened.chunks():
                copy.write(chunk)
        yield path
