"""Turning rendered frames into the files a media asset keeps: an MP4 (H.264, yuv420p, through
imageio-ffmpeg's bundled ffmpeg, run with a deadline by kernel.ffmpeg), a poster, an animated WebP
preview and a thumbnail."""

import io
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from kernel import ffmpeg

PREVIEW_WIDTH = 256  # the animated WebP
PREVIEW_FRAMES = 24  # at most, evenly picked
THUMBNAIL_SIZE = (256, 256)  # bounding box


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    seconds: float
    codec: str
    pix_fmt: str
    width: int
    height: int


def mp4_write(frames: np.ndarray, path: Path, fps: int) -> None:
    """Encode uint8 frames (count, height, width, 3) as H.264 in yuv420p, playable everywhere.
    Width and height must be even (yuv420p); the presets keep them multiples of 8 or more.
    FfmpegError (FfmpegTimeout past MEDIA_ENCODE_TIMEOUT_S) when ffmpeg does not finish well.

    x264's veryfast preset with its cheapest motion search (diamond, one subpel refinement): on
    a grainy 97-frame 256 x 256 clip it encodes in 0.16 s against 0.22 s, 2 % smaller, 0.02 dB
    PSNR lower. (superfast as it is doubles that file: it turns off the macroblock tree.)"""
    _, height, width, _ = frames.shape
    ffmpeg.feed(["-loglevel", "warning", "-y", "-f", "rawvideo", "-vcodec", "rawvideo",
                 "-s", f"{width}x{height}", "-pix_fmt", "rgb24", "-r", f"{fps:.02f}", "-i", "-",
                 "-an", "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "veryfast",
                 "-x264-params", "me=dia:subme=1",
                 "-movflags", "+faststart", str(path)],
                (np.ascontiguousarray(frame).data for frame in frames), limits=ffmpeg.render_limits())


@dataclass(frozen=True)
class Encoded:
    data: bytes
    mime: str
    filename: str


def mp4_bytes(frames: np.ndarray, fps: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        mp4_write(frames, path, fps=fps)
        return path.read_bytes()


def encode_outputs(frames: np.ndarray, fps: int | None) -> dict[str, Encoded]:
    """An asset's files for `frames`: for a video (`fps` given) the MP4, the poster, the animated
    preview and the thumbnail; for an image the PNG, the poster and the thumbnail. Encoded side
    by side: ffmpeg runs in its own process and Pillow's encoders release the GIL."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {"poster": (pool.submit(poster_png, frames), "image/png", "poster.png"),
                "thumbnail": (pool.submit(thumbnail_jpeg, frames), "image/jpeg", "thumbnail.jpg")}
        if fps is not None:
            jobs["file"] = (pool.submit(mp4_bytes, frames, fps), "video/mp4", "video.mp4")
            jobs["preview"] = (pool.submit(preview_webp, frames, fps), "image/webp", "preview.webp")
        else:
            jobs["file"] = (jobs["poster"][0], "image/png", "image.png")
        return {name: Encoded(future.result(), mime, filename)
                for name, (future, mime, filename) in jobs.items()}


def mp4_info(path: Path) -> VideoInfo:
    """What the file holds, as ffmpeg reads it back (frames counted by decoding)."""
    source = ["-i", str(path)]
    info = ffmpeg.probe(source, limits=ffmpeg.render_limits())
    if not info.videos:
        raise ffmpeg.FfmpegError(f"{path.name} has no video stream")
    frames, seconds = ffmpeg.count_frames(source, limits=ffmpeg.render_limits())
    video = info.videos[0]
    return VideoInfo(frames=frames, seconds=round(seconds, 3), codec=video.codec, pix_fmt=video.pix_fmt,
                     width=video.width, height=video.height)


def poster_png(frames: np.ndarray) -> bytes:
    return _encode(Image.fromarray(frames[0]), "PNG")


def thumbnail_jpeg(frames: np.ndarray) -> bytes:
    image = Image.fromarray(frames[0])
    image.thumbnail(THUMBNAIL_SIZE)
    return _encode(image, "JPEG", quality=85)


def preview_webp(frames: np.ndarray, fps: int) -> bytes:
    """An animated WebP of the clip, small and looping (evenly picked frames, real duration)."""
    picked = np.linspace(0, len(frames) - 1, min(len(frames), PREVIEW_FRAMES)).round().astype(int)
    scale = min(1.0, PREVIEW_WIDTH / frames.shape[2])
    size = (max(2, round(frames.shape[2] * scale)), max(2, round(frames.shape[1] * scale)))
    images = [Image.fromarray(frames[i]).resize(size, Image.Resampling.BILINEAR) for i in picked]
    frame_ms = max(20, round(1000 * len(frames) / fps / len(picked)))
    buffer = io.BytesIO()
    images[0].save(buffer, "WEBP", save_all=True, append_images=images[1:], duration=frame_ms, loop=0,
                   quality=60, method=0)  # method 0: the fastest encoder setting
    return buffer.getvalue()


def _encode(image: Image.Image, image_format: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()
