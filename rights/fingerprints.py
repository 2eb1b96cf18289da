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
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import imagehash
import imageio_ffmpeg
import iscc_core
import numpy as np
from PIL import Image, ImageOps

from core.files import sniff_image

MIMES = {"image/png", "image/jpeg", "image/webp", "video/mp4", "video/webm"}
VIDEO_FPS = 5  # frames per second the video signature samples (iscc-sdk's default)
_SIGELEM = 380  # values per MPEG-7 frame signature


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


def _image_pixels(image: Image.Image) -> list[int]:
    """iscc-sdk's normalisation: EXIF orientation, white under transparency, grey, 32x32 bicubic."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    grey = image.convert("L").resize((32, 32), Image.Resampling.BICUBIC)
    return [int(value) for value in grey.get_flattened_data()]  # type: ignore[arg-type]  # (one band: ints)


def _frame_signatures(path: Path) -> list[tuple[int, ...]]:
    """MPEG-7 frame signatures (380 values in 0..2 each) from ffmpeg's signature filter."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "signature.bin"
        escaped = out.as_posix().replace(":", "\\\\:")
        sample = f"fps=fps={VIDEO_FPS},signature=format=binary:filename={escaped}"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
                        "-i", str(path), "-vf", sample, "-f", "null", "-"], check=True, capture_output=True,
                       timeout=600)
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


def _first_frame(path: Path) -> Image.Image:
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
        width, height = meta["size"]
        _refuse_bombs(width, height)  # before a frame of that size is decoded
        frame = next(reader)
    finally:
        reader.close()
    return Image.frombytes("RGB", (width, height), frame)


def fingerprint(handle: BinaryIO, *, max_bytes: int) -> Fingerprints:
    """Fingerprints of the file in `handle`; UnsupportedFile when it is not a PNG, JPEG or WebP
    image or an MP4 or WebM video that decodes, or is larger than `max_bytes`."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsupportedFile(f"larger than {max_bytes // (1024 * 1024)} MB")
    mime = sniff(data[:16])
    if mime is None:
        raise UnsupportedFile("not a PNG, JPEG or WebP image, nor an MP4 or WebM video")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "work"
        path.write_bytes(data)
        try:
            if mime.startswith("image/"):
                with Image.open(path) as image:  # (reads the header only)
                    _refuse_bombs(image.width, image.height)
                    image.load()
                    content = iscc_core.gen_image_code_v0(_image_pixels(image))["iscc"]
                    phash = str(imagehash.phash(image.convert("RGB")))
            else:
                content = iscc_core.gen_video_code_v0(_frame_signatures(path))["iscc"]
                phash = str(imagehash.phash(_first_frame(path)))
        except UnsupportedFile:
            raise
        except Image.DecompressionBombError:  # Pillow's own check, at twice its limit
            raise _too_many_pixels() from None
        except (OSError, subprocess.SubprocessError, StopIteration, ValueError) as error:
            raise UnsupportedFile(f"the {mime} file could not be read") from error
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
