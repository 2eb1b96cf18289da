"""Aesthetic taste: what each published work looks like, as a few numbers on a common scale, and
which looks each viewer takes to.

A work's looks are its aesthetic report's measures (aesthetics.measures) named in TASTE, each
brought to a scale on which the gallery's works spread evenly (sharpness and motion on a log
scale: both run over orders of magnitude) and standardised over the published works that have a
report. A work not measured yet, or a picture for motion, sits at the gallery's mean: neutral.

A viewer's taste is a direction in that space: the weighted mean looks of what they engaged with
lately (the feed's positives) minus half the mean looks of what they hid, each shrunk towards
zero while there is little of it (PRIOR_WEIGHT), plus what they asked for on Preferences ("more
of ..." is +STEER on that measure, "less of ..." is -STEER). A work's taste score is its looks'
dot product with that direction. Pure numpy: the feed, its reasons and the offline evaluation
share it.

The palette is kept too, in CIELAB, for browsing the gallery by colour (`colour_match`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from skimage import color

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
TASTE = ("colourfulness", "brightness", "contrast", "warmth", "sharpness", "harmony", "motion")
LOG_SCALED = {"sharpness": 1e-4, "motion": 1e-3}  # log(value + offset): orders of magnitude apart
PRIOR_WEIGHT = 8.0  # two likes' worth: a taste learned from one like counts for little
NEGATIVE_SHARE = 0.5
STEER = 1.0  # a "more of" on Preferences: a standard deviation's lean
MIN_TASTE = 0.05  # below this length a taste says nothing
PALETTE_SLOTS = 5
MATCH_DELTA_E = 25.0  # CIELAB distance at which a palette colour stops counting as a match
MIN_MATCH = 0.12  # the share-weighted closeness a work needs to be found by colour


def on_scale(measures: Sequence[Mapping[str, Any] | None], names: Sequence[str]) -> np.ndarray:
    """(n, len(names)) float64: each work's measures `names` on the taste scale (LOG_SCALED ones
    on a log scale), NaN where not measured. The appeal model reads its measures the same way."""
    nan = float("nan")
    raw = np.array([[value if isinstance(value, int | float) and not isinstance(value, bool) else nan
                     for value in ((found or {}).get(name) for name in names)] for found in measures],
                   dtype=np.float64).reshape(len(measures), len(names))
    for name, offset in LOG_SCALED.items():
        if name in names:
            k = list(names).index(name)
            raw[:, k] = np.log(np.maximum(raw[:, k], 0.0) + offset)  # (NaN stays NaN)
    raw[~np.isfinite(raw)] = np.nan
    return raw


def looks_raw(measures: Sequence[Mapping[str, Any] | None]) -> np.ndarray:
    """(n, len(TASTE)) float32: each work's looks on the taste scale, NaN where not measured."""
    return on_scale(measures, TASTE).astype(np.float32)


def standardise(raw: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and standard deviation 1 over the works measured on it; unmeasured
    (NaN) and constant columns read 0."""
    looks = np.zeros_like(raw, dtype=np.float32)
    for k in range(raw.shape[1]):
        column = raw[:, k]
        known = ~np.isnan(column)
        if known.sum() < 2:
            continue
        std = float(column[known].std())
        if std > 1e-9:
            looks[known, k] = (column[known] - float(column[known].mean())) / std
    return looks


def learned(looks: np.ndarray, positives: Iterable[tuple[int, float]],
            negatives: Iterable[int]) -> np.ndarray:
    """The taste a viewer's engagement shows: `positives` are (catalogue row, weight), `negatives`
    catalogue rows of works they hid."""
    taste = np.zeros(looks.shape[1], dtype=np.float32)
    pairs = list(positives)
    if pairs:
        rows = np.array([row for row, _ in pairs], dtype=np.int64)
        weights = np.array([weight for _, weight in pairs], dtype=np.float32)
        taste += (looks[rows] * weights[:, np.newaxis]).sum(axis=0) / (weights.sum() + PRIOR_WEIGHT)
    hidden = np.array(list(negatives), dtype=np.int64)
    if hidden.size:  # each hide weighs as a like does
        taste -= NEGATIVE_SHARE * looks[hidden].sum(axis=0) * 4.0 / (4.0 * hidden.size + PRIOR_WEIGHT)
    return taste


def steered(taste: np.ndarray, steering: Mapping[str, int]) -> np.ndarray:
    """The taste with the viewer's own "more of" (+1) and "less of" (-1) added."""
    result = taste.copy()
    for name, direction in steering.items():
        if name in TASTE and direction in (-1, 1):
            result[TASTE.index(name)] += STEER * direction
    return result


def meaningful(taste: np.ndarray | None) -> bool:
    return taste is not None and float(np.linalg.norm(taste)) >= MIN_TASTE


def strongest(taste: np.ndarray, looks_row: np.ndarray) -> tuple[str, str] | None:
    """The measure that most draws this viewer to this work, and which end of it: ("warmth",
    "high") for a warm work shown to someone who likes warm ones. None when nothing does."""
    contributions = taste * looks_row
    k = int(np.argmax(contributions))
    if contributions[k] <= 0:
        return None
    return TASTE[k], "high" if taste[k] > 0 else "low"


def leanings(taste: np.ndarray, *, limit: int = 4, at_least: float = 0.15) -> list[tuple[str, float]]:
    """The measures a taste leans on most, strongest first: (name, signed strength)."""
    order = np.argsort(-np.abs(taste))
    return [(TASTE[k], round(float(taste[k]), 2)) for k in order[:limit] if abs(taste[k]) >= at_least]


# --- colour ---------------------------------------------------------------------------------------


def hex_to_lab(values: Sequence[str]) -> np.ndarray:
    """(len(values), 3) CIELAB of "#rrggbb" strings (parsed as one run of hex digits)."""
    if not values:
        return np.zeros((0, 3), dtype=np.float32)
    digits = bytes.fromhex("".join(value[1:] for value in values))
    rgb = np.frombuffer(digits, dtype=np.uint8).reshape(-1, 3).astype(np.float64) / 255.0
    return color.rgb2lab(rgb[np.newaxis, :, :])[0].astype(np.float32)


def palettes(measures: Sequence[Mapping[str, Any] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Each work's palette as (n, PALETTE_SLOTS, 3) CIELAB colours and (n, PALETTE_SLOTS) shares
    (empty slots have share 0)."""
    n = len(measures)
    lab = np.zeros((n, PALETTE_SLOTS, 3), dtype=np.float32)
    share = np.zeros((n, PALETTE_SLOTS), dtype=np.float32)
    hexes: list[str] = []
    rows: list[int] = []
    slots: list[int] = []
    parts: list[float] = []
    for row, found in enumerate(measures):
        for slot, entry in enumerate((found or {}).get("palette", [])[:PALETTE_SLOTS]):
            value = entry.get("hex") if isinstance(entry, dict) else None
            if isinstance(value, str) and HEX_COLOUR.fullmatch(value):
                hexes.append(value)
                rows.append(row)
                slots.append(slot)
                parts.append(float(entry.get("share", 0.0)))
    lab[rows, slots] = hex_to_lab(hexes)
    share[rows, slots] = parts
    return lab, share


def colour_match(lab: np.ndarray, share: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How much of each work is near the colour `target` (CIELAB): its palette's shares, each
    weighted by 1 - distance / MATCH_DELTA_E (CIE76), summed. 0 (none) to 1 (all of it)."""
    distance = np.linalg.norm(lab - target[np.newaxis, np.newaxis, :], axis=2)
    return (share * np.clip(1.0 - distance / MATCH_DELTA_E, 0.0, 1.0)).sum(axis=1).astype(np.float32)
