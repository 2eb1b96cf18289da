"""A visible mark on generated frames, for plans that carry one (GENERATION_QUOTAS `watermark`)."""

from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TEXT = "Storyloom"
OPACITY = 0.6


@cache
def _stamp(width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The mark for a frame of this size, as an alpha mask, and where it goes (bottom right)."""
    size = max(8, min(width, height) // 14)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(TEXT)
    mask = Image.new("L", (int(right - left) + 2, int(bottom - top) + 2))
    ImageDraw.Draw(mask).text((1 - left, 1 - top), TEXT, fill=255, font=font, stroke_width=0)
    margin = max(2, size // 2)
    x = max(0, width - mask.width - margin)
    y = max(0, height - mask.height - margin)
    alpha = np.asarray(mask, dtype=np.float32)[: height - y, : width - x, None] / 255 * OPACITY
    return alpha, (x, y)


def watermark(frames: np.ndarray) -> np.ndarray:
    """uint8 frames (count, height, width, 3) with the mark in white over a soft shadow."""
    _, height, width, _ = frames.shape
    alpha, (x, y) = _stamp(width, height)
    h, w = alpha.shape[:2]
    marked = frames.copy()
    region: np.ndarray = marked[:, y:y + h, x:x + w].astype(np.float32)
    shadow = np.roll(alpha, (1, 1), axis=(0, 1))
    region = region * (1 - shadow * 0.5)  # darken under the text so it reads on light frames
    region = region * (1 - alpha) + 255 * alpha
    marked[:, y:y + h, x:x + w] = region.round().clip(0, 255).astype(np.uint8)
    return marked
