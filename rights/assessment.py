"""The aesthetic report of an uploaded work: its file decoded within the bounds of a file someone
sent (kernel.ffmpeg's upload limits, Pillow's pixel cap) and measured, on the `default` queue.
A work registered from a render shares the render's report (the same bytes)."""

import io
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from aesthetics.measures import decode_size
from aesthetics.selectors import report_find
from aesthetics.services import report_make
from kernel import ffmpeg
from rights.models import Work

PICTURE_SIDE = 512  # an image is brought this small (at most) before it is measured
def work_assess(*, work_id: int) -> bool:
    """Measure the uploaded work's file (once per content); False when there is nothing to measure."""
    work = Work.objects.filter(pk=work_id).first()
    if work is None or not work.file:
        return False
    if report_find(sha256=work.sha256) is not None:
        return True
    with work.file.open("rb") as source:
        data = source.read()
    if work.mime.startswith("image/"):
        opened = Image.open(io.BytesIO(data))
        opened.draft("RGB", (PICTURE_SIDE, PICTURE_SIDE))  # (JPEG: decoded small)
        picture = opened.convert("RGB")
        picture.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
        report_make(sha256=work.sha256, frames=np.asarray(picture)[None], fps=None)
        return True
    limits = ffmpeg.upload_limits()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "work"
        path.write_bytes(data)
        info = ffmpeg.probe(["-i", str(path)], limits=limits)
        if not info.videos:
            return False
        video = info.videos[0]
        size = decode_size(video.width, video.height)
        frames = ffmpeg.decode_frames(["-i", str(path)], size=size, limits=limits)
    if not len(frames):
        return False
    fps = len(frames) / info.seconds if info.seconds else 24.0
    report_make(sha256=work.sha256, frames=frames, fps=fps if len(frames) > 1 else None)
    return True
