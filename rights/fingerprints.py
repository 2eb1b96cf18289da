"""Fingerprints of a work's file: what it is (sniffed, not trusted from its name), its SHA-256,
its ISCC code (ISO 24138, with iscc-core) and a perceptual hash.

The ISCC code joins a Content-Code (Image-Code from the 32x32 grey pixels, as iscc-sdk normalises
them; Video-Code from MPEG-7 frame signatures that the bundled ffmpeg's `signature` filter
computes at 5 frames per second, as iscc-sdk does), a Data-Code and an Instance-Code. Similar
content gives Content-Codes a short Hamming distance apart: near-duplicates are found by it and by
the perceptual hash (imagehash's pHash of the image, or of the video's first frame).
"""

import hashlib
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import imagehash
import iscc_core
import numpy as np
from django.conf import settings
from PIL import ExifTags, Image

from kernel import ffmpeg
from kernel.files import cut_short, sniff_image

logger = logging.getLogger(__name__)

MIMES = {"image/png", "image/jpeg", "image/webp", "video/mp4", "video/webm"}
VIDEO_FPS = 5  # frames per second the video signature samples (iscc-sdk's default)
_SIGELEM = 380  # values per MPEG-7 frame signature
VIDEO_DEMUXERS = {"video/mp4": "mp4", "video/webm": "webm"}  # ffmpeg's names (mov..., matroska...)


class UnsupportedFile(ValueError):
    """Not an image or video the platform registers, or not readable as one."""


@dataclass(frozen=True)
class Fingerprints:
    mime: str
    size: int
    sha256: str
    iscc: str
    content_code: str  # the ISCC Content-Code unit (Image or Video), for similarity
    phash: str  # 64-bit hex


def sniff(head: bytes) -> str | None:
    """The file's type from its first bytes (one of MIMES)."""
    image = sniff_image(head)
    if image is not None:
        return image if image in MIMES else None
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def _too_many_pixels() -> UnsupportedFile:
    return UnsupportedFile(f"larger than {(Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} megapixels")


def _refuse_bombs(width: int, height: int) -> None:
    """A picture is refused before it is decoded when it claims more pixels than Pillow's limit
    (settings.IMAGE_MAX_PIXELS, set in core.apps): a few KB can claim 20,000 x 20,000."""
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        raise _too_many_pixels()


_STRIP = 256  # rows converted at a time
_ORIENTATIONS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                 4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                 8: Image.Transpose.ROTATE_90}  # EXIF orientation -> ImageOps.exif_transpose's method


def _on_white(strip: Image.Image) -> Image.Image:
    """iscc-sdk's normalisation before grey: white under transparency."""
    if strip.mode not in ("RGBA", "LA", "P"):
        return strip
    strip = strip.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", strip.size, (255, 255, 255, 255)), strip)


def _greys(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Grey versions of a decoded picture, for its Image-Code (on white, as iscc-sdk) and its pHash
    (through RGB, as imagehash is given it), built a strip of rows at a time: every step is pixel
    by pixel, so the values are those of converting the whole picture at once, without its full
    size copies (three of 160 MB for a 40-megapixel picture with transparency)."""
    iscc_grey = Image.new("L", image.size)
    shared = image.mode in ("RGB", "L")  # (there both ways give the same grey)
    phash_grey = iscc_grey if shared else Image.new("L", image.size)
    for top in range(0, image.height, _STRIP):
        box = (0, top, image.width, min(image.height, top + _STRIP))
        strip = image.crop(box)
        iscc_grey.paste(_on_white(strip).convert("L"), box)
        if not shared:
            phash_grey.paste(strip.convert("RGB").convert("L"), box)
    return iscc_grey, phash_grey


def _image_codes(image: Image.Image) -> tuple[str, str]:
    """The ISCC Content-Code (Image-Code from iscc-sdk's 32x32 grey pixels, upright by the EXIF
    orientation, white under transparency) and the pHash (imagehash, of the picture as stored)."""
    image.load()
    method = _ORIENTATIONS.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    iscc_grey, phash_grey = _greys(image)
    image.close()  # (its pixels are no longer needed)
    if method is not None:
        iscc_grey = iscc_grey.transpose(method)
    pixels = iscc_grey.resize((32, 32), Image.Resampling.BICUBIC).get_flattened_data()
    content = iscc_core.gen_image_code_v0([int(value) for value in pixels])["iscc"]  # type: ignore[arg-type]
    del iscc_grey
    return content, str(imagehash.phash(phash_grey))


def video_input(path: Path, mime: str) -> list[str]:
    """ffmpeg's input options for an uploaded video: its demuxer forced from the sniffed type (no
    other format, playlist or protocol is tried), two decoding threads, and no more than
    VIDEO_MAX_SECONDS read whatever the file claims."""
    return ["-threads", str(ffmpeg.DECODE_THREADS), "-f", VIDEO_DEMUXERS[mime],
            "-t", str(settings.VIDEO_MAX_SECONDS), "-i", str(path)]


def _refuse_large_videos(path: Path, mime: str) -> None:
    """Refuse a video before any frame is decoded when its streams claim frames larger than
    VIDEO_MAX_PIXELS or it lasts longer than VIDEO_MAX_SECONDS (read from its header)."""
    info = ffmpeg.probe(video_input(path, mime), limits=ffmpeg.upload_limits())
    if not info.videos:
        raise UnsupportedFile(f"the {mime} file holds no video that can be read")
    limit = settings.VIDEO_MAX_PIXELS
    if any(video.width * video.height > limit for video in info.videos):
        raise UnsupportedFile(f"frames larger than {limit / 1_000_000:.1f} megapixels")
    if info.seconds is not None and info.seconds > settings.VIDEO_MAX_SECONDS:
        raise UnsupportedFile(f"longer than {settings.VIDEO_MAX_SECONDS} seconds")


def _frame_signatures(path: Path, mime: str) -> list[tuple[int, ...]]:
    """MPEG-7 frame signatures (380 values in 0..2 each) from ffmpeg's signature filter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "signature.bin"
        escaped = out.as_posix().replace(":", "\\\\:")
        sample = f"fps=fps={VIDEO_FPS},signature=format=binary:filename={escaped}"
        ffmpeg.run(["-loglevel", "error", *video_input(path, mime), "-map", "0:v:0", "-vf", sample,
                    "-f", "null", "-"], limits=ffmpeg.upload_limits())
        data = out.read_bytes()
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))

    def take(pos: int, width: int) -> tuple[int, int]:
        return int("".join(map(str, bits[pos:pos + width])) or "0", 2), pos + width

    pos = 129
    frames, pos = take(pos, 32)
    _unit, pos = take(pos, 16)
    pos += 1 + 32 + 32
    segments, pos = take(pos, 32)
    pos += segments * (4 * 32 + 1 + 5 * 243) + 1
    # Each byte packs five base-3 digits.
    digits = np.array([[(value // 3 ** (4 - i)) % 3 for i in range(5)] for value in range(256)],
                      dtype=np.uint8)
    signatures = []
    for _ in range(frames):
        pos += 1 + 32 + 8 + 5 * 8  # media time, confidence, words
        packed = np.packbits(bits[pos:pos + _SIGELEM // 5 * 8])
        pos += _SIGELEM // 5 * 8
        signatures.append(tuple(int(v) for v in digits[packed].reshape(-1)))
    return signatures


def _first_frame(path: Path, mime: str) -> Image.Image:
    """The first frame, as RGB (a PPM from ffmpeg: its header says the size it was decoded at)."""
    out = ffmpeg.run(["-loglevel", "error", *video_input(path, mime), "-map", "0:v:0", "-frames:v", "1",
                      "-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"],
                     limits=ffmpeg.upload_limits()).stdout
    with Image.open(io.BytesIO(out)) as image:
        _refuse_bombs(image.width, image.height)
        return image.convert("RGB")


def fingerprint(handle: BinaryIO, *, max_bytes: int) -> Fingerprints:
    """Fingerprints of the file in `handle`; UnsupportedFile when it is not a PNG, JPEG or WebP
    image or an MP4 or WebM video that decodes, or is larger than `max_bytes`."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsupportedFile(f"larger than {max_bytes // (1024 * 1024)} MB")
    mime = sniff(data[:16])
    if mime is None:
        raise UnsupportedFile("not a PNG, JPEG or WebP image, nor an MP4 or WebM video")
    if cut_short(data, mime):  # ffmpeg would read the part that is there
        raise UnsupportedFile(f"the {mime} file is cut short (its end is missing)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "work"
        path.write_bytes(data)
        try:
            if mime.startswith("image/"):
                with Image.open(path) as image:  # (reads the header only)
                    _refuse_bombs(image.width, image.height)
                    content, phash = _image_codes(image)
            else:
                _refuse_large_videos(path, mime)  # before a frame is decoded
                content = iscc_core.gen_video_code_v0(_frame_signatures(path, mime))["iscc"]
                phash = str(imagehash.phash(_first_frame(path, mime)))
        except UnsupportedFile:
            raise
        except Image.DecompressionBombError:  # Pillow's own check, at twice its limit
            raise _too_many_pixels() from None
        except ffmpeg.FfmpegTimeout as error:
            logger.info("reading a %s upload took too long: %s", mime, error)
            raise UnsupportedFile(f"the {mime} file took too long to read") from None
        except (OSError, ffmpeg.FfmpegError, ValueError) as error:
            logger.info("a %s upload could not be read: %s", mime, error)
            raise UnsupportedFile(f"the {mime} file could not be read") from None
    data_code = iscc_core.gen_data_code_v0(io.BytesIO(data))["iscc"]
    instance = iscc_core.gen_instance_code_v0(io.BytesIO(data))["iscc"]
    iscc = iscc_core.gen_iscc_code_v0([content, data_code, instance])["iscc"]
    return Fingerprints(mime=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(), iscc=iscc,
                        content_code=content, phash=phash)


def content_distance(a: str, b: str) -> int | None:
    """Bits apart of two Content-Codes of the same kind (None when they cannot be compared)."""
    if not a or not b:
        return None
    try:
        first, second = iscc_core.Code(a), iscc_core.Code(b)
    except (ValueError, IndexError):  # not an ISCC code
        return None
    if (first.maintype, first.subtype) != (second.maintype, second.subtype):
        return None
    return int(iscc_core.iscc_distance(a, b))


def phash_distance(a: str, b: str) -> int:
    return int(imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b))
