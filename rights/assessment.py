"""The aesthetic report of an uploaded work: its file decoded within the bounds of a file someone
sent (fingerprints.video_input: the demuxer forced from the sniffed type, the length capped;
kernel.ffmpeg's upload limits) and measured, on the `default` queue. A work registered from a
render shares the render's report (the same bytes)."""

import numpy as np
from PIL import Image

from aesthetics.measures import decode_size
from aesthetics.selectors import report_find
from aesthetics.services import report_make
from kernel import ffmpeg
from kernel.files import local_copy
from rights.fingerprints import video_input
from rights.models import Work

PICTURE_SIDE = 512  # an image is brought this small (at most) before it is measured


def work_assess(*, work_id: int) -> bool:
    """Measure the uploaded work's file (once per content); False when there is nothing to measure."""
    work = Work.objects.filter(pk=work_id).first()
    if work is None or not work.file:
        return False
    if report_find(sha256=work.sha256) is not None:
        return True
    if work.mime.startswith("image/"):
        with work.file.open("rb") as source:
            opened = Image.open(source)
            opened.draft("RGB", (PICTURE_SIDE, PICTURE_SIDE))  # (JPEG: decoded small)
            picture = opened.convert("RGB")
        picture.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
        report_make(sha256=work.sha256, frames=np.asarray(picture)[None], fps=None)
        return True
    limits = ffmpeg.upload_limits()
    with local_copy(work.file) as path:
        source = video_input(path, work.mime)
        info = ffmpeg.probe(source, limits=limits)
        if not info.videos:
            return False
        frames = ffmpeg.decode_frames(source, size=decode_size(info.videos[0].width, info.videos[0].height),
                                      limits=limits)
    if not len(frames):
        return False
    fps = len(frames) / info.seconds if info.seconds else 24.0
    report_make(sha256=work.sha256, frames=frames, fps=fps if len(frames) > 1 else None)
    return True
