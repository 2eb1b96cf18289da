"""The aesthetic measures on pictures and clips whose answer is known by construction."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from aesthetics.measures import clip_measures, image_measures


def solid(rgb: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> np.ndarray:
    return np.full((size[1], size[0], 3), rgb, dtype=np.uint8)


def checkerboard(size: int = 256, cell: int = 8) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size]
    board = (((ys // cell) + (xs // cell)) % 2 * 255).astype(np.uint8)
    return np.stack([board] * 3, axis=-1)


def textured(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Smooth random texture: something for optical flow and phase correlation to follow."""
    rng = np.random.default_rng(seed)
    noise = Image.fromarray(rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8))
    return np.asarray(noise.resize(size, Image.Resampling.BICUBIC))


def test_colourfulness_is_zero_for_grey_and_high_for_saturated_colour():
    assert image_measures(solid((128, 128, 128)))["colourfulness"] == pytest.approx(0, abs=1e-6)
    stripes = np.concatenate([solid((230, 20, 20), (80, 120)), solid((20, 200, 40), (80, 120))], axis=1)
    muted = (0.3 * stripes + 0.7 * 128).astype(np.uint8)
    vivid, dull = image_measures(stripes)["colourfulness"], image_measures(muted)["colourfulness"]
    assert vivid > 82 > dull > 15  # "highly colourful" against "slightly" on Hasler and Süsstrunk's scale


def test_exposure_reads_black_white_and_their_contrast():
    black, white = image_measures(solid((0, 0, 0))), image_measures(solid((255, 255, 255)))
    assert black["brightness"] == pytest.approx(0, abs=0.5) and black["shadows_clipped"] == 1
    assert white["brightness"] == pytest.approx(100, abs=0.5) and white["highlights_clipped"] == 1
    half = image_measures(np.concatenate([solid((0, 0, 0)), solid((255, 255, 255))], axis=1))
    assert half["contrast"] == pytest.approx(0.5, abs=0.01)
    assert black["contrast"] == pytest.approx(0, abs=1e-6)


def test_sharpness_falls_with_blur_and_does_not_depend_on_the_size():
    board = checkerboard(1024, cell=32)
    blurred = np.asarray(Image.fromarray(board).filter(ImageFilter.GaussianBlur(12)))
    sharp = image_measures(board)["sharpness"]
    assert sharp > 10 * image_measures(blurred)["sharpness"]
    small = np.asarray(Image.fromarray(board).resize((256, 256), Image.Resampling.BOX))
    assert image_measures(small)["sharpness"] == pytest.approx(sharp, rel=0.05)


def test_warmth_tells_orange_from_blue():
    assert image_measures(solid((240, 140, 30)))["warmth"] == pytest.approx(1)
    assert image_measures(solid((30, 80, 220)))["warmth"] == pytest.approx(0)
    assert image_measures(solid((90, 90, 90)))["warmth"] == 0.5  # no colour: neither


def test_harmony_names_the_template_a_palette_fits():
    shades = [solid((int(255 * v), int(40 * v), int(40 * v)), (40, 120)) for v in (0.5, 0.7, 0.9, 1)]
    reds = np.concatenate(shades, axis=1)
    one_hue = image_measures(reds)
    assert (one_hue["harmony_template"], one_hue["harmony"]) == ("i", pytest.approx(1, abs=0.01))
    complementary = image_measures(np.concatenate([solid((220, 30, 30)), solid((30, 190, 200))], axis=1))
    assert (complementary["harmony_template"], complementary["harmony"]) == ("I", pytest.approx(1, abs=0.01))
    hsv = np.stack(np.meshgrid(np.linspace(0, 255, 240), [220], [230]), axis=-1)[0].astype(np.uint8)
    rainbow = np.asarray(Image.fromarray(np.repeat(hsv, 120, axis=0), "HSV").convert("RGB"))
    everything = image_measures(rainbow)
    assert everything["harmony"] < 0.8 and everything["harmony"] < complementary["harmony"]


def test_the_palette_gives_the_dominant_colours_and_their_shares():
    picture = np.concatenate([solid((20, 40, 200), (112, 120)), solid((250, 220, 20), (48, 120))], axis=1)
    palette = image_measures(picture)["palette"]
    assert [entry["hex"] for entry in palette[:2]] == ["#1428c8", "#fadc14"]
    assert palette[0]["share"] == pytest.approx(0.7, abs=0.01) and sum(e["share"] for e in palette) == 1


def subject_at(x: float, y: float, size: tuple[int, int] = (300, 200)) -> np.ndarray:
    image = Image.new("RGB", size, (25, 30, 35))
    cx, cy, r = x * size[0], y * size[1], 14
    ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 240, 200))
    return np.asarray(image)


def test_composition_finds_the_subject_on_a_thirds_point_or_in_the_middle():
    thirds = image_measures(subject_at(1 / 3, 1 / 3))
    assert thirds["subject"] == [pytest.approx(1 / 3, abs=0.04), pytest.approx(1 / 3, abs=0.04)]
    middle = image_measures(subject_at(0.5, 0.5))
    assert thirds["thirds"] > 0.9 > middle["thirds"]
    assert middle["balance"] > 0.9 > thirds["balance"]
    corner = image_measures(subject_at(0.9, 0.85))
    assert corner["balance"] < thirds["balance"] and corner["thirds"] < thirds["thirds"]


def horizon(tilt_degrees: float, size: tuple[int, int] = (320, 200)) -> np.ndarray:
    """Sky above, sea below, the line through the middle rising `tilt_degrees` to the right."""
    image = Image.new("RGB", size, (40, 60, 140))
    w, h = size
    rise = np.tan(np.radians(tilt_degrees)) * w / 2
    sky = [(0, 0), (w, 0), (w, h / 2 - rise), (0, h / 2 + rise)]
    ImageDraw.Draw(image).polygon(sky, fill=(170, 200, 240))
    return np.asarray(image)


def test_horizon_tilt_reads_the_angle_and_its_side():
    assert image_measures(horizon(0))["horizon_tilt"] == pytest.approx(0, abs=0.5)
    assert image_measures(horizon(6))["horizon_tilt"] == pytest.approx(6, abs=0.75)
    assert image_measures(horizon(-4))["horizon_tilt"] == pytest.approx(-4, abs=0.75)
    assert image_measures(solid((90, 120, 60)))["horizon_tilt"] is None


def square_clip(path: list[float], size: tuple[int, int] = (192, 128)) -> np.ndarray:
    """A textured 64-pixel square at x = path[t] (fraction of the width) on a plain background."""
    frames = []
    patch = textured((64, 64), seed=3)
    for x in path:
        frame = np.full((size[1], size[0], 3), (30, 40, 50), dtype=np.uint8)
        left = round(x * size[0])
        frame[32:96, left:left + 64] = patch
        frames.append(frame)
    return np.stack(frames)


def test_motion_measures_speed_and_smoothness():
    fps, frames = 12, 24
    slow = clip_measures(square_clip([0.05 + 0.15 * t / fps for t in range(frames)]), fps)
    fast = clip_measures(square_clip([0.05 + 0.3 * t / fps for t in range(frames)]), fps)
    still = clip_measures(square_clip([0.4] * frames), fps)
    assert still["motion"] == pytest.approx(0, abs=1e-3) and still["smoothness"] == 1
    assert slow["motion"] > 0.01 and fast["motion"] == pytest.approx(2 * slow["motion"], rel=0.3)
    stop_and_go = [0.05 + 0.05 * (t // 4) + (0.05 * (t % 4) / 2 if t % 8 < 4 else 0) for t in range(frames)]
    jerky = clip_measures(square_clip(stop_and_go), fps)
    assert slow["smoothness"] > 0.7 > jerky["smoothness"]


def test_flicker_and_stability():
    fps = 12
    base = textured((256, 160), seed=1).astype(np.int16)
    steady_light = np.stack([base] * 24).clip(0, 255).astype(np.uint8)
    flickering = np.stack([base + (25 if t % 2 else -25) for t in range(24)]).clip(0, 255).astype(np.uint8)
    assert clip_measures(flickering, fps)["flicker"] > 5 > clip_measures(steady_light, fps)["flicker"] + 4
    scene = textured((400, 240), seed=2)
    pan = np.stack([scene[40:200, 10 + 3 * t:266 + 3 * t] for t in range(24)])
    rng = np.random.default_rng(0)
    offsets = rng.integers(-8, 9, (24, 2))
    shaky = np.stack([scene[40 + dy:200 + dy, 60 + dx:316 + dx] for dy, dx in offsets])
    assert clip_measures(pan, fps)["stability"] > 0.9 > clip_measures(shaky, fps)["stability"]
