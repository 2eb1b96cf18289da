"""Rendering with progress and cancel, and the files a render becomes."""

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from generation.fast import cache_config
from generation.media import PREVIEW_FRAMES, mp4_info, mp4_write, poster_png, preview_webp, thumbnail_jpeg
from generation.pipelines import pipeline_load
from generation.presets import preset_get
from generation.runner import Cancelled, Progress, RenderRequest, render


@pytest.fixture(scope="module")
def ltx(tmp_path_factory):
    from django.conf import settings

    saved = settings.GENERATION_MODELS_DIR
    settings.GENERATION_MODELS_DIR = tmp_path_factory.mktemp("models")
    try:
        yield pipeline_load(preset_get("tiny-ltx-video"))
    finally:
        settings.GENERATION_MODELS_DIR = saved


def clip_request(**overrides) -> RenderRequest:
    fields = {"preset": preset_get("tiny-ltx-video"), "prompt": "waves at dawn", "seed": 11, "width": 64,
              "height": 96, "frames": 17, "steps": 4}
    return RenderRequest(**{**fields, **overrides})


def test_a_render_reports_every_step_and_returns_uint8_frames(ltx):
    seen: list[Progress] = []
    frames = render(ltx, clip_request(), on_progress=seen.append)
    assert frames.shape == (17, 96, 64, 3) and frames.dtype == np.uint8
    assert [(p.step, p.total) for p in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert seen[-1].percent == 100.0 and seen[-1].eta_s == 0.0 and seen[0].eta_s is not None
    assert np.array_equal(frames, render(ltx, clip_request()))  # the seed decides
    assert not np.array_equal(frames, render(ltx, clip_request(seed=12)))


def test_cancel_stops_at_the_next_step_before_the_vae_decode(ltx, monkeypatch):
    decodes = []
    real_decode = ltx.vae.decode

    def counted_decode(*args, **kwargs):
        decodes.append(1)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(ltx.vae, "decode", counted_decode)
    seen: list[Progress] = []
    with pytest.raises(Cancelled, match="after step 2 of 4"):
        render(ltx, clip_request(), on_progress=seen.append, should_stop=lambda: len(seen) >= 2)
    assert len(seen) == 2 and decodes == []


def _counting_blocks(pipeline, monkeypatch) -> list[int]:
    """Calls of the transformer's last block (a step that reuses cached work skips it)."""
    calls: list[int] = []
    block = pipeline.transformer.transformer_blocks[-1]
    real_forward = block.forward

    def counted(*args, **kwargs):
        calls.append(1)
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(block, "forward", counted)
    return calls


def test_fast_mode_skips_steps_close_to_the_last_and_leaves_the_pipeline_as_it_was(ltx, monkeypatch):
    request = clip_request(steps=12, preset=replace(preset_get("tiny-ltx-video"),
                                                    fast={"cache": "first_block", "threshold": 0.5}))
    calls = _counting_blocks(ltx, monkeypatch)
    quality = render(ltx, request)
    full = len(calls)
    seen: list[Progress] = []
    fast = render(ltx, replace(request, render_mode="fast"), on_progress=seen.append)
    assert len(seen) == 12  # every step is still a step: progress and cancel as before
    assert 0 < len(calls) - full < full  # some steps reused the blocks' last output
    assert fast.shape == quality.shape and not np.array_equal(fast, quality)
    assert not ltx.transformer.is_cache_enabled
    assert np.array_equal(render(ltx, request), quality)  # nothing of the hook stayed behind


def test_a_cancelled_fast_render_removes_its_hook(ltx):
    request = replace(clip_request(), render_mode="fast")
    with pytest.raises(Cancelled):
        render(ltx, request, should_stop=lambda: True)
    assert not ltx.transformer.is_cache_enabled


def test_fast_mode_on_a_preset_without_one_renders_at_full_quality(ltx, monkeypatch):
    request = clip_request(preset=replace(preset_get("tiny-ltx-video"), fast={}))
    calls = _counting_blocks(ltx, monkeypatch)
    quality = render(ltx, request)
    assert np.array_equal(render(ltx, replace(request, render_mode="fast")), quality)
    assert len(calls) == 2 * 4  # two renders of four steps (guidance batches its two passes)


@pytest.mark.parametrize("name, frames", [("storyloom-tiny", 17), ("tiny-ltx-video", 9), ("tiny-wan", 5)])
def test_each_built_in_fast_mode_changes_the_computation_but_keeps_the_picture(name, frames, settings,
                                                                               tmp_path):
    """Each tiny preset's hook finds its modules (a hook that matches none renders exactly the
    quality frames) and stays close to the quality render (benchmarks/generation_fast.py)."""
    settings.GENERATION_MODELS_DIR = tmp_path
    preset = preset_get(name)
    pipeline = pipeline_load(preset)
    request = RenderRequest(preset=preset, prompt="a red ball rolls to the left over the sea", seed=3,
                            width=64, height=64, frames=frames)
    quality = render(pipeline, request).astype(np.float64)
    fast = render(pipeline, replace(request, render_mode="fast")).astype(np.float64)
    psnr = 10 * np.log10(255**2 / np.mean((quality - fast) ** 2))
    assert 30 < psnr < 100, psnr


def test_frames_become_an_h264_mp4_a_poster_a_webp_preview_and_a_thumbnail(tmp_path):
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 255, size=(25, 96, 128, 3), dtype=np.uint8)
    path = tmp_path / "clip.mp4"
    mp4_write(frames, path, fps=24)
    info = mp4_info(path)
    assert (info.frames, info.codec, info.pix_fmt) == (25, "h264", "yuv420p")
    assert (info.width, info.height) == (128, 96)
    assert info.seconds == pytest.approx(25 / 24, abs=0.05)
    poster = Image.open(io.BytesIO(poster_png(frames)))
    assert (poster.format, poster.size) == ("PNG", (128, 96))
    assert np.array_equal(np.asarray(poster), frames[0])  # lossless first frame
    preview = Image.open(io.BytesIO(preview_webp(frames, fps=24)))
    assert preview.format == "WEBP" and preview.is_animated
    assert getattr(preview, "n_frames", 1) == PREVIEW_FRAMES  # evenly picked from the 25
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(frames)))
    assert thumb.format == "JPEG" and max(thumb.size) <= 256


def test_a_fast_spec_from_json_takes_a_range_as_a_list_and_a_skip_as_a_number():
    config = cache_config(object(), {"cache": "pyramid_attention", "spatial_attention_block_skip_range": 2,
                                     "spatial_attention_timestep_skip_range": [100, 800]})
    assert config.spatial_attention_block_skip_range == 2
    assert config.spatial_attention_timestep_skip_range == (100, 800)
