"""Procedural training clips for Storyloom Tiny: coloured shapes moving over simple backgrounds,
each with a caption in one of many wordings.

A clip is described by a `ClipSpec` (one or two objects, a background) and drawn by `render` into
`frames` RGB frames of `size` by `size` pixels, supersampled so that edges are smooth. Everything is
seeded: the same seed gives the same clips and captions, so training is reproducible and nothing
is ever downloaded.

Some (colour, shape, motion) combinations never appear in a training caption (`HELD_OUT`): the
evaluation renders exactly those, to see whether the model composes what it learned separately.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "star")
MOTIONS = ("left", "right", "up", "down", "still", "grow", "shrink")

# name -> RGB, and the other words a caption may use for it
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40), "orange": (245, 140, 30), "yellow": (245, 215, 40), "green": (50, 180, 70),
    "cyan": (40, 200, 210), "blue": (45, 90, 225), "purple": (140, 60, 200), "pink": (240, 120, 190),
}
COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "crimson", "scarlet"), "orange": ("orange", "tangerine"),
    "yellow": ("yellow", "golden", "lemon"), "green": ("green", "emerald"), "cyan": ("cyan", "turquoise"),
    "blue": ("blue", "azure", "cobalt"), "purple": ("purple", "violet"), "pink": ("pink", "rose"),
}
SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "circle": ("circle", "ball", "disc", "dot"), "square": ("square", "box", "block"),
    "triangle": ("triangle",), "star": ("star",),
}
MOTION_WORDS: dict[str, tuple[str, ...]] = {
    "left": ("moves to the left", "moving left", "rolls to the left", "slides left", "drifts left"),
    "right": ("moves to the right", "moving right", "rolls to the right", "slides right",
              "drifts right"),
    "up": ("moves up", "rising", "floats upward", "climbs"),
    "down": ("moves down", "falling", "sinks", "drops down"),
    "still": ("stays still", "standing still", "resting", "not moving"),
    "grow": ("grows", "growing", "getting bigger", "expands"),
    "shrink": ("shrinks", "shrinking", "getting smaller", "contracts"),
}

# Backgrounds: plain colours, vertical gradients, and a horizon (sky above, sea below).
PLAIN = {"dark": (24, 26, 34), "black": (8, 8, 10), "white": (240, 240, 236), "grey": (128, 128, 128)}
GRADIENTS = {"dusk": ((40, 30, 80), (230, 120, 80)), "night": ((10, 12, 40), (40, 60, 110)),
             "dawn": ((250, 200, 150), (120, 150, 220))}
HORIZON = {"sea": ((150, 200, 240), (20, 60, 130))}  # sky, sea
BACKGROUND_WORDS: dict[str, tuple[str, ...]] = {
    "dark": ("on a dark background", "against a dark backdrop", "in the dark"),
    "black": ("on black", "on a black background"),
    "white": ("on a white background", "on white"),
    "grey": ("on a grey background", "against grey"),
    "dusk": ("at dusk", "against a dusk sky"), "night": ("at night", "under a night sky"),
    "dawn": ("at dawn", "against a dawn sky"),
    "sea": ("over the sea", "over a blue sea", "above the ocean"),
}
BACKGROUNDS = (*PLAIN, *GRADIENTS, *HORIZON)


def _held_out() -> frozenset[tuple[str, str, str]]:
    """One (colour, shape, motion) combination in ten, chosen so that every colour, shape and
    motion still appears in training with other partners."""
    combos = [(c, s, m) for c in COLOURS for s in SHAPES for m in MOTIONS]
    return frozenset(combo for n, combo in enumerate(combos) if n % 10 == 3)


HELD_OUT = _held_out()


TRAVEL = 0.4  # how far a moving object goes over the clip, as a fraction of its box
GROWTH = 2.0  # how much a growing object's size is multiplied by (a shrinking one's divided)


@dataclass(frozen=True)
class ObjectSpec:
    shape: str
    colour: str
    motion: str
    x: float  # start centre, as a fraction of the frame
    y: float
    size: float  # start size (radius), as a fraction of the frame
    travel: float = TRAVEL  # how far it moves (left, right, up, down), as a fraction of the frame


@dataclass(frozen=True)
class ClipSpec:
    objects: tuple[ObjectSpec, ...]
    background: str



def _position(obj: ObjectSpec, t: float) -> tuple[float, float, float]:
    """Centre x, y and size at time t in [0, 1]."""
    dx = {"left": -obj.travel, "right": obj.travel}.get(obj.motion, 0.0)
    dy = {"up": -obj.travel, "down": obj.travel}.get(obj.motion, 0.0)
    scale = {"grow": GROWTH ** t, "shrink": GROWTH ** -t}.get(obj.motion, 1.0)
    return obj.x + dx * t, obj.y + dy * t, obj.size * scale


Box = tuple[float, float, float, float]  # x, y, width, height, as fractions of the frame
WHOLE: Box = (0.0, 0.0, 1.0, 1.0)


def _start(rng: random.Random, shape: str, colour: str, motion: str, box: Box = WHOLE) -> ObjectSpec:
    """A start inside `box` that keeps the whole path inside it."""
    # Large (two fifths of the frame across, and the whole path still inside it) because the
    # VAE's 8x8 latent cells must hold the outline: the larger, the more corners its
    # reconstructions keep (a sixth of the frame across: a quarter of the shapes; a third: 39 %).
    # (Those that travel sideways a little smaller: they keep clear of the columns at the frame's
    # edges that the analysis reads the background from.)
    radii = {"grow": (0.13, 0.155), "shrink": (0.26, 0.31), "left": (0.18, 0.215), "right": (0.18, 0.215)}
    size = rng.uniform(*radii.get(motion, (0.2, 0.26)))
    span = (0.5 - TRAVEL / 2 - 0.02, 0.5 - TRAVEL / 2 + 0.02)
    x, y = rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)
    if motion in ("left", "right"):
        x = rng.uniform(*span) if motion == "right" else 1 - rng.uniform(*span)
        y = rng.uniform(0.35, 0.65)
    elif motion in ("up", "down"):
        y = rng.uniform(*span) if motion == "down" else 1 - rng.uniform(*span)
        x = rng.uniform(0.35, 0.65)
    bx, by, bw, bh = box
    travel = TRAVEL * (bw if motion in ("left", "right") else bh)
    return ObjectSpec(shape, colour, motion, bx + x * bw, by + y * bh, size * min(bw, bh), travel)


def single(rng: random.Random, colour: str, shape: str, motion: str) -> ClipSpec:
    """A clip of one given object on a random background."""
    return ClipSpec(objects=(_start(rng, shape, colour, motion),), background=rng.choice(BACKGROUNDS))


def sample(rng: random.Random, *, held_out: bool = False, objects: int | None = None) -> ClipSpec:
    """A random clip: from the training combinations, or only from HELD_OUT ones. Two objects
    share the frame, one in each half, told apart by their colours."""
    count = objects or (1 if rng.random() < 0.75 else 2)
    boxes: list[Box] = [WHOLE] if count == 1 else [(0.0, 0.0, 1.0, 0.5), (0.0, 0.5, 1.0, 0.5)]
    chosen: list[ObjectSpec] = []
    while len(chosen) < count:
        combo = (rng.choice(list(COLOURS)), rng.choice(SHAPES), rng.choice(MOTIONS))
        if (combo in HELD_OUT) != held_out or any(o.colour == combo[0] for o in chosen):
            continue
        colour, shape, motion = combo
        chosen.append(_start(rng, shape, colour, motion, box=boxes[len(chosen)]))
    return ClipSpec(objects=tuple(chosen), background=rng.choice(BACKGROUNDS))


def caption(spec: ClipSpec, rng: random.Random) -> str:
    """The clip in words, in one of many phrasings ("a crimson ball rolls to the left over the sea")."""
    parts = []
    for obj in spec.objects:
        colour = rng.choice(COLOUR_WORDS[obj.colour])
        noun = rng.choice(SHAPE_WORDS[obj.shape])
        motion = rng.choice(MOTION_WORDS[obj.motion])
        article = rng.choice(("a ", "the ", "one ", ""))
        parts.append(f"{article}{colour} {noun} {motion}".strip())
    text = " and ".join(parts)
    if rng.random() < 0.8:
        text += " " + rng.choice(BACKGROUND_WORDS[spec.background])
    return text


def _background(name: str, size: int) -> np.ndarray:
    if name in PLAIN:
        return np.broadcast_to(np.array(PLAIN[name], dtype=np.float32), (size, size, 3)).copy()
    if name in GRADIENTS:
        top, bottom = (np.array(c, dtype=np.float32) for c in GRADIENTS[name])
        t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
        return np.broadcast_to(top * (1 - t) + bottom * t, (size, size, 3)).copy()
    sky, sea = (np.array(c, dtype=np.float32) for c in HORIZON[name])
    image = np.empty((size, size, 3), dtype=np.float32)
    horizon = int(size * 0.55)
    image[:horizon], image[horizon:] = sky, sea
    return image


def _outline(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "square":
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "triangle":
        return [(cx + r * math.cos(a), cy + r * math.sin(a))
                for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    points = []  # a five-pointed star, inner radius 0.45 of the outer
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


SUPERSAMPLE = 4


def render(spec: ClipSpec, *, frames: int = 16, size: int = 64) -> np.ndarray:
    """The clip as uint8 frames, shape (frames, size, size, 3)."""
    big = size * SUPERSAMPLE
    background = Image.fromarray(_background(spec.background, big).astype(np.uint8))
    out = np.empty((frames, size, size, 3), dtype=np.uint8)
    for f in range(frames):
        t = f / max(frames - 1, 1)
        image = background.copy()
        draw = ImageDraw.Draw(image)
        for obj in spec.objects:
            x, y, r = _position(obj, t)
            cx, cy, radius = x * big, y * big, r * big
            if obj.shape == "circle":
                draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=COLOURS[obj.colour])
            else:
                draw.polygon(_outline(obj.shape, cx, cy, radius), fill=COLOURS[obj.colour])
        out[f] = np.asarray(image.resize((size, size), Image.Resampling.BOX))
    return out
