"""The aesthetic report of a render: its stored file decoded and measured, off the render's path
(a task on the default queue, queued once the render is stored)."""

import numpy as np
from PIL import Image

from aesthetics.measures import decode_size
from aesthetics.selectors import report_find
from aesthetics.services import report_make
from generation.models import Asset
from kernel import ffmpeg
from kernel.files import local_copy


def asset_assess(*, asset_id: int) -> bool:
    """Measure the asset's file (once per content); False when the asset is gone."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return False
    if report_find(sha256=asset.sha256) is not None:
        return True
    if asset.kind == "image":
        with asset.file.open("rb") as source:
            picture = np.asarray(Image.open(source).convert("RGB"))
        report_make(sha256=asset.sha256, frames=picture[None], fps=None)
        return True
    with local_copy(asset.file) as path:  # (the platform's own MP4: ffmpeg may read it as it is)
        frames = ffmpeg.decode_frames(["-i", str(path)], size=decode_size(asset.width, asset.height),
                                      limits=ffmpeg.render_limits())
    report_make(sha256=asset.sha256, frames=frames, fps=asset.fps)
    return True
