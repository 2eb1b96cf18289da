"""Storyloom Tiny's training data and the frame analysis its evaluation relies on."""

import itertools
import random

import numpy as np
import pytest

from generation.storyloom_tiny import analysis, data


def specs(seed: int, count: int, *, held_out: bool = False,
          objects: int | None = None) -> list[data.ClipSpec]:
    rng = random.Random(seed)
    return [data.sample(rng, held_out=held_out, objects=objects) for _ in range(count)]


def combos(spec: data.ClipSpec) -> set[tuple[str, str, str]]:
    return {(o.colour, o.shape, o.motion) for o in spec.objects}


def test_the_same_seed_gives_the_same_clips_and_captions() -> None:
    rng_a, rng_b = random.Random(11), random.Random(11)
    first = [(spec, data.caption(spec, rng_a)) for spec in [data.sample(rng_a) for _ in range(50)]]
    second = [(spec, data.caption(spec, rng_b)) for spec in [data.sample(rng_b) for _ in range(50)]]
    assert first == second
    assert np.array_equal(data.render(first[0][0]), data.render(second[0][0]))


def test_held_out_combinations_never_reach_training_but_their_parts_do() -> None:
    training = specs(1, 3000)
    seen = set().union(*(combos(spec) for spec in training))
    assert not seen & data.HELD_OUT
    assert {c for c, _, _ in seen} == set(data.COLOURS)
    assert {s for _, s, _ in seen} == set(data.SHAPES)
    assert {m for _, _, m in seen} == set(data.MOTIONS)
    assert {spec.background for spec in training} == set(data.BACKGROUNDS)
    assert {len(spec.objects) for spec in training} == {1, 2}
    held = specs(2, 300, held_out=True)
    assert set().union(*(combos(spec) for spec in held)) <= data.HELD_OUT
    assert 20 <= len(data.HELD_OUT) <= len(data.COLOURS) * len(data.SHAPES) * len(data.MOTIONS) // 8


def test_captions_vary_and_name_what_is_shown() -> None:
    rng = random.Random(3)
    spec = data.ClipSpec((data.ObjectSpec("circle", "red", "left", 0.7, 0.5, 0.1),), "sea")
    wordings = {data.caption(spec, rng) for _ in range(200)}
    assert len(wordings) > 50
    for text in wordings:
        assert any(word in text for word in data.COLOUR_WORDS["red"])
        assert any(word in text for word in data.SHAPE_WORDS["circle"])
        assert any(phrase in text for phrase in data.MOTION_WORDS["left"])
    assert any(text.endswith(tuple(data.BACKGROUND_WORDS["sea"])) for text in wordings)
    two = specs(4, 200)
    assert any(" and " in data.caption(spec, rng) for spec in two if len(spec.objects) == 2)


@pytest.mark.parametrize("objects", [1, 2])
def test_every_object_stays_inside_the_frame(objects: int) -> None:
    for spec in specs(5, 150, objects=objects):
        masks = analysis.object_masks(data.render(spec))
        assert masks.any(axis=(1, 2)).all(), spec  # every object visible in every frame
        assert not masks[:, :, : analysis.EDGE].any() and not masks[:, :, -analysis.EDGE:].any(), spec
        assert not masks[:, 0].any() and not masks[:, -1].any(), spec


def test_the_analysis_reads_every_combination_back_from_the_frames() -> None:
    rng = random.Random(6)
    wrong = []
    for (colour, shape, motion), background in itertools.product(
            itertools.product(data.COLOURS, data.SHAPES, data.MOTIONS), ("dark", "dusk", "sea", "white")):
        obj = data._start(rng, shape, colour, motion)
        reading = analysis.read(data.render(data.ClipSpec((obj,), background)))
        if (reading.colour, reading.shape, reading.motion) != (colour, shape, motion):
            wrong.append((colour, shape, motion, background, reading))
    assert not wrong, wrong[:5]


def test_an_empty_clip_shows_no_object() -> None:
    frames = np.full((16, 64, 64, 3), 30, dtype=np.uint8)
    reading = analysis.read(frames)
    assert reading == analysis.Reading(None, None, None, 0.0, 0)
