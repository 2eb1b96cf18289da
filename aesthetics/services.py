"""Writes for aesthetics: measuring a file's pixels and keeping the report."""

import time

import numpy as np

from aesthetics.measures import clip_measures, image_measures
from aesthetics.models import MEASURES_VERSION, Report
from aesthetics.predictor import predicted_score
from aesthetics.selectors import published, standing_invalidate


def report_make(*, sha256: str, frames: np.ndarray, fps: float | None) -> Report:
    """Measure a picture (`frames` holds one frame and `fps` is None) or a clip, uint8
    (frames, h, w, 3), and keep the report for the content `sha256` (replacing an older one).
    With an aesthetic predictor installed, its score is one of the measures (a clip's: the mean
    over some of its frames, picked evenly); without, or when it fails, the report has the rest."""
    started = time.monotonic()
    video = fps is not None and len(frames) > 1
    measures = clip_measures(frames, float(fps)) if video and fps else image_measures(frames[0])
    score = predicted_score(frames if video else frames[:1])
    if score is not None:
        measures["aesthetic_score"] = score
    report, _ = Report.objects.update_or_create(
        sha256=sha256, defaults={"kind": "video" if video else "image", "measures": measures,
                                 "version": MEASURES_VERSION,
                                 "seconds": round(time.monotonic() - started, 3)})
    if published(sha256=sha256):  # the gallery's distribution has changed
        standing_invalidate()
    return report
