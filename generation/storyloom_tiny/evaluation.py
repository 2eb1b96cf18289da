"""Does a render follow its prompt? Clips rendered through a preset's diffusers pipeline, read
back by `analysis`, scored against what their prompts asked for.

Three prompt sets, one object each, on random backgrounds:
- held_out: the (colour, shape, motion) combinations no training caption contains (data.HELD_OUT),
  in the training captions' wordings: can the model compose what it learned apart?
- seen: combinations the training captions do contain, for comparison;
- new_wordings: the held-out combinations in phrasings the training captions never use ("a cobalt
  box, heading right"), which only the sentence encoder can relate to the trained ones.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from generation.storyloom_tiny import analysis, data, model

SEED = 20261205
TARGETS = {"colour": 0.90, "motion": 0.80, "shape": 0.60}

# Phrasings no training caption uses.
NEW_MOTION_WORDS = {
    "left": ("heading left", "travelling to the left"), "right": ("heading right", "travelling to the right"),
    "up": ("ascending", "going up"), "down": ("descending", "going down"),
    "still": ("motionless", "staying in place"), "grow": ("getting larger", "swelling"),
    "shrink": ("getting tinier", "dwindling"),
}
NEW_TEMPLATES = ("{colour} {shape}, {motion}", "there is a {colour} {shape} {motion}",
                 "a video of a {colour} {shape} {motion}")


@dataclass(frozen=True)
class Case:
    spec: data.ClipSpec
    prompt: str
    seed: int

    @property
    def truth(self) -> data.ObjectSpec:
        return self.spec.objects[0]


def cases(prompt_set: str, per_combo: int, combinations: int | None = None) -> Iterator[Case]:
    """The clips of a prompt set, the same on every run; of its first `combinations` (colour,
    shape, motion) combinations only, when given (a quick look, not the evaluation)."""
    rng = random.Random(f"{SEED}:{prompt_set}")
    if prompt_set == "seen":
        seen = sorted({(c, s, m) for c in data.COLOURS for s in data.SHAPES for m in data.MOTIONS}
                      - data.HELD_OUT)
        combos = rng.sample(seen, len(data.HELD_OUT))
    else:
        combos = sorted(data.HELD_OUT)
    for colour, shape, motion in combos[:combinations]:
        for _ in range(per_combo):
            spec = data.single(rng, colour, shape, motion)
            if prompt_set == "new_wordings":
                prompt = rng.choice(NEW_TEMPLATES).format(
                    colour=rng.choice(data.COLOUR_WORDS[colour]), shape=rng.choice(data.SHAPE_WORDS[shape]),
                    motion=rng.choice(NEW_MOTION_WORDS[motion]))
            else:
                prompt = data.caption(spec, rng)
            yield Case(spec, prompt, rng.randrange(2**31))


def score(readings: list[tuple[Case, analysis.Reading]]) -> dict[str, Any]:
    """The share of clips whose colour, motion and shape read back as asked, overall and by the
    value asked for; and the readings that missed, a few of each."""
    result: dict[str, Any] = {"clips": len(readings)}
    for attribute in ("colour", "motion", "shape"):
        right, asked = Counter[str](), Counter[str]()
        for case, reading in readings:
            want = getattr(case.truth, attribute)
            asked[want] += 1
            right[want] += getattr(reading, attribute) == want
        result[attribute] = round(sum(right.values()) / max(1, len(readings)), 4)
        result[f"{attribute}_by_value"] = {value: round(right[value] / asked[value], 3)
                                           for value in sorted(asked)}
    result["misses"] = [
        {"prompt": case.prompt, "read": [reading.colour, reading.shape, reading.motion]}
        for case, reading in readings
        if (reading.colour, reading.shape, reading.motion) != (case.truth.colour, case.truth.shape,
                                                               case.truth.motion)][:8]
    return result


def vae_roundtrip(vae: Any) -> Callable[[Case], np.ndarray]:
    """A "render" that is the drawn clip through the VAE and back: what the VAE can keep, the
    ceiling of any render decoded by it."""
    def render(case: Case) -> np.ndarray:
        x = model.to_tensor([data.render(case.spec, frames=model.FRAMES, size=model.SIZE)])
        with torch.no_grad():
            return model.from_tensor(vae.decode(vae.encode(x).latent_dist.mode()).sample)

    return render


def evaluate(render: Callable[[Case], Any], prompt_sets: dict[str, int],
             progress: Callable[[str, int], None] | None = None,
             combinations: int | None = None) -> dict[str, Any]:
    """Render every case of each set with `render(case) -> frames` and score the readings."""
    results: dict[str, Any] = {}
    for prompt_set, per_combo in prompt_sets.items():
        readings, started = [], time.monotonic()
        for case in cases(prompt_set, per_combo, combinations):
            readings.append((case, analysis.read(render(case))))
            if progress is not None:
                progress(prompt_set, len(readings))
        seconds = (time.monotonic() - started) / max(1, len(readings))
        results[prompt_set] = {**score(readings), "seconds_per_clip": round(seconds, 3)}
    return results
