"""A corpus of hostile and broken files, made by code (no binary fixtures): decompression bombs,
truncated videos, a video with huge frames, polyglots, wrong names, empty and broken files.
Used by tests/abuse/test_bad_files.py and benchmarks/abuse_limits.py."""

import functools
import io
import struct
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from PIL import Image


@dataclass(frozen=True)
class BadFile:
    key: str
    name: str  # the name it is uploaded under
    data: bytes
    sniffed: str | None  # accepted as this type (the name and the rest ignored); None: refused
    reason: str  # (refused) a word the reason must contain


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width x height over one short row of data (a few hundred bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + _chunk(b"IEND", b""))


def png_of_zeros(width: int, height: int, *, palette: bool = False) -> bytes:
    """A real decompression bomb: width x height pixels of zeros, every row there, compressed
    (grey: 13,000 x 13,000 is 169 MB decoded from about 165 KB; a palette one the same per pixel)."""
    colour_type = 3 if palette else 0
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    squeeze = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # the filter byte, then one byte per pixel
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    chunks = _chunk(b"IHDR", header)
    if palette:
        chunks += _chunk(b"PLTE", bytes(range(256)) * 3)
    return b"\x89PNG\r\n\x1a\n" + chunks + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def png_picture(seed: int = 1) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 48), 40 + seed).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def ffmpeg_made(*args: str, suffix: str) -> bytes:
    """A file ffmpeg makes from its own test sources (`args` before the output)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"out{suffix}"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *args, "-y", str(out)],
                       check=True, timeout=120)
        return out.read_bytes()


@functools.cache
def small_mp4() -> bytes:
    return ffmpeg_made("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=2", "-c:v", "libx264",
                       "-pix_fmt", "yuv420p", suffix=".mp4")


@functools.cache
def small_webm() -> bytes:
    return ffmpeg_made("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=2", "-c:v", "libvpx",
                       suffix=".webm")


@functools.cache
def huge_frame_mp4(side: int = 8192) -> bytes:
    """A real H.264 video of one side x side frame (8192: 67 megapixels; about 200 KB)."""
    return ffmpeg_made("-f", "lavfi", "-i", f"color=c=gray:size={side}x{side}:rate=25:duration=0.04",
                       "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                       suffix=".mp4")


def mp4_claiming(width: int, height: int) -> bytes:
    """A small Motion-JPEG MP4 whose track, sample entry and every frame's JPEG header claim
    width x height (the data is that of 64 x 64 frames)."""
    data = bytearray(ffmpeg_made("-f", "lavfi", "-i", "color=c=gray:size=64x64:rate=10:duration=0.2",
                                 "-c:v", "mjpeg", suffix=".mp4"))
    claimed = struct.pack(">HH", height, width)
    at = data.find(b"\xff\xc0")  # each frame's start-of-frame: length, precision, height, width
    while at >= 0:
        if data[at + 5:at + 9] == struct.pack(">HH", 64, 64):
            data[at + 5:at + 9] = claimed
        at = data.find(b"\xff\xc0", at + 2)
    entry = data.find(b"mp4v") + 4 + 24  # the visual sample entry's width and height
    data[entry:entry + 4] = struct.pack(">HH", width, height)
    track = data.find(b"tkhd") + 4 + 4 + 4 * 5 + 8 + 8 + 36  # tkhd (version 0): width, height
    data[track:track + 8] = struct.pack(">II", width << 16, height << 16)
    return bytes(data)


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.domain)</script>")
    return buffer.getvalue()


HTML = b"<!doctype html><html><body><script>fetch('/api/v1/tokens', {method: 'POST'})</script></body></html>"


def cut(data: bytes, fraction: float) -> bytes:
    return data[:int(len(data) * fraction)]


def corpus() -> list[BadFile]:
    """Every file of the corpus (the bombs and videos are made once per process)."""
    return [BadFile(key, *rest) for key, *rest in _corpus()]


@functools.cache
def _corpus() -> tuple[tuple[str, str, bytes, str | None, str], ...]:
    return (
        ("png_claims_20000x20000", "bomb.png", png_claiming(20_000, 20_000), None, "megapixels"),
        ("png_bomb_13000x13000", "bomb.png", png_of_zeros(13_000, 13_000), None, "megapixels"),
        ("palette_bomb_20000x20000", "palette.png", png_of_zeros(20_000, 20_000, palette=True), None,
         "megapixels"),
        ("mp4_cut_short", "clip.mp4", cut(small_mp4(), 0.6), None, "cut short"),
        ("webm_cut_short", "clip.webm", cut(small_webm(), 0.6), None, "cut short"),
        ("mp4_8192x8192", "huge.mp4", huge_frame_mp4(), None, "megapixels"),
        ("mp4_claims_20000x20000", "claims.mp4", mp4_claiming(20_000, 20_000), None, "video"),
        ("html_named_png", "picture.png", HTML, None, "PNG"),
        ("empty_file", "empty", b"", None, "empty"),
        ("zero_bytes_named_png", "blank.png", b"", None, "empty"),
        ("jpeg_broken_header", "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8, None,
         "read"),
        # Accepted as what their bytes are: stored under a random name with the extension of the
        # sniffed type and served as that type with nosniff (tests/security/test_media_serving.py);
        # verification reads what is there (a render with bytes added is still known by its
        # Content Credentials: tests/security/test_provenance.py).
        ("png_html_polyglot", "x.html", png_picture(2) + HTML, "image/png", ""),
        ("mp4_zip_polyglot", "clip.mp4", small_mp4() + zip_archive(), "video/mp4", ""),
        ("png_named_mp4", "clip.mp4", png_picture(3), "image/png", ""),
    )
