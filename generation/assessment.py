"""The aesthetic report of a render: its stored file decoded and measured, off the render's path
(a task on the default queue, queued once the render is stored)."""

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from aesthetics.measures import decode_size
from aesthetics.selectors import report_find
from aesthetics.services import report_make
from generation.models import Asset
from kernel import ffmpeg


def asset_assess(*, asset_id: int) -> bool:
    """Measure the asset's file (once per content); False when the asset is gone."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return False
    if report_find(sha256=asset.sha256) is not None:
        return True
    with asset.file.open("rb") as source:
        if asset.kind == "image":
            frames = np.asarray(Image.open(source).convert("RGB"))[None]
        else:  # ffmpeg reads a file (the storage may be remote): a copy in a temporary one
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "video.mp4"
                with path.open("wb") as copy:
                    for chunk in source.chunks():
                        copy.write(chunk)
                frames = ffmpeg.decode_frames(["-i", str(path)], size=decode_size(asset.width, asset.height),
                                              limits=ffmpeg.render_limits())
    report_make(sha256=asset.sha256, frames=frames, fps=asset.fps if asset.kind != "image" else None)
    return True
