"""What a clip shows, read back from its frames: the main object's colour, motion and shape.

For each frame the background is estimated row by row from the frame's left and right edges
(plain colours, vertical gradients and a horizon are all constant along a row), and the object
is the largest connected part of the pixels far enough from it in colour. Then:
- colour: the named colour (data.COLOURS) nearest to the object's median pixel;
- motion: from the centroid's path and the area over time (grow, shrink, left, right, up, down,
  still);
- shape: on the frame where the object is largest, a star by its concavity (it fills much less
  of its convex hull than the convex shapes do), the others by how much of their bounding box
  they fill (a square all of it, a circle about pi/4, a triangle a little over half) and of their
  hull.

Used by the evaluation of Storyloom Tiny and by tests that check a render follows its prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generation.storyloom_tiny.data import COLOURS

EDGE = 3  # columns on each side that give a row's background
DISTANCE = 60.0  # RGB distance from the background that counts as object
MIN_PIXELS = 6  # fewer than this in a frame: no object there
MOVED = 0.12  # centroid travel, as a fraction of the frame, that counts as moving
GREW = 1.6  # area ratio (last / first) that counts as growing (its inverse: shrinking)

# Each convex shape's fill ratio of its bounding box and solidity at 64 x 64, as measured on
# data.render's clips (fill: square 0.96-1.0, circle 0.71-0.82, triangle 0.50-0.64; solidity:
# square 0.98-1.0, circle 0.90-0.96, triangle 0.84-0.91); and the solidity below which it is a star.
CONVEX = {"square": (0.99, 1.0), "circle": (0.77, 0.94), "triangle": (0.56, 0.87)}
STAR_SOLIDITY = 0.76  # (stars 0.57-0.69, the convex shapes 0.83-1.0)


@dataclass(frozen=True)
class Reading:
    colour: str | None
    motion: str | None
    shape: str | None
    shape_score: float  # 1 - the distance of the fill ratio from the chosen shape's, in [0, 1]
    found: int  # frames in which an object was found


def object_masks(frames: np.ndarray) -> np.ndarray:
    """(frames, H, W) booleans: the pixels that differ from their row's background."""
    pixels = frames.astype(np.float32)
    edges = np.concatenate([pixels[:, :, :EDGE], pixels[:, :, -EDGE:]], axis=2)
    background = np.median(edges, axis=2, keepdims=True)
    return np.linalg.norm(pixels - background, axis=-1) > DISTANCE


def largest_parts(masks: np.ndarray) -> np.ndarray:
    """Each frame's mask reduced to its largest connected part: the main object, without specks,
    a second smaller object or a watermark's letters."""
    from scipy import ndimage

    out = np.zeros_like(masks)
    for index, mask in enumerate(masks):
        labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
        if count:
            out[index] = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    return out


def nearest_colour(rgb: np.ndarray) -> str:
    return min(COLOURS, key=lambda name: float(np.linalg.norm(np.array(COLOURS[name]) - rgb)))


def _motion(centroids: np.ndarray, areas: np.ndarray, size: int) -> str:
    quarter = max(1, len(areas) // 4)  # the first and last quarters of the clip, compared
    growth = float(areas[-quarter:].mean() / max(areas[:quarter].mean(), 1.0))
    if growth >= GREW:
        return "grow"
    if growth <= 1 / GREW:
        return "shrink"
    dx, dy = (centroids[-quarter:].mean(axis=0) - centroids[:quarter].mean(axis=0)) / size
    if max(abs(dx), abs(dy)) < MOVED:
        return "still"
    if abs(dx) >= abs(dy):
        return "right" if dx > 0 else "left"
    return "down" if dy > 0 else "up"


def _solidity(ys: np.ndarray, xs: np.ndarray) -> float:
    """The object's area over its convex hull's (the hull of its pixels' corners)."""
    from scipy.spatial import ConvexHull, QhullError

    corners = np.concatenate([np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1) for dy in (0, 1)])
    try:
        return float(len(ys) / ConvexHull(corners).volume)
    except QhullError:  # (all in a line: no area)
        return 1.0


def _shape(mask: np.ndarray) -> tuple[str, float]:
    ys, xs = np.nonzero(mask)
    solidity = _solidity(ys, xs)
    if solidity < STAR_SOLIDITY:
        return "star", min(1.0, (STAR_SOLIDITY - solidity) / 0.1)
    fill = len(ys) / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1))

    def distance(name: str) -> float:  # (solidity counts double: its range is narrower)
        typical_fill, typical_solidity = CONVEX[name]
        return float(np.hypot(fill - typical_fill, 2 * (solidity - typical_solidity)))

    shape = min(CONVEX, key=distance)
    return shape, max(0.0, 1.0 - distance(shape) / 0.25)


def read(frames: np.ndarray) -> Reading:
    """What the clip's main object is and does (None where nothing can be told)."""
    masks = largest_parts(object_masks(frames))
    counts = masks.sum(axis=(1, 2))
    present = np.flatnonzero(counts >= MIN_PIXELS)
    if present.size < 2:
        return Reading(None, None, None, 0.0, int(present.size))
    pixels = frames[masks]
    colour = nearest_colour(np.median(pixels.astype(np.float32), axis=0))
    centroids = np.array([np.argwhere(masks[f]).mean(axis=0)[::-1] for f in present])  # (x, y)
    motion = _motion(centroids, counts[present].astype(np.float32), frames.shape[2])
    shape, score = _shape(masks[present[np.argmax(counts[present])]])
    return Reading(colour, motion, shape, score, int(present.size))
