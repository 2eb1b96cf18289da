"""Presets and pipeline loading: tiny presets built offline and reloaded with from_pretrained,
clear errors for missing weights, presets added by configuration, the per-worker cache."""

import io

import numpy as np
import pytest
import torch
from diffusers import LTXPipeline, PixArtSigmaPipeline, WanPipeline
from django.core.management import call_command

from generation.pipelines import PipelineCache, WeightsMissing, pipeline_bytes, pipeline_load
from generation.presets import preset_get, presets
from generation.tiny import tiny_build


@pytest.fixture(autouse=True)
def models_dir(settings):
    settings.GENERATION_PRESETS = {}
    return settings.GENERATION_MODELS_DIR


def run(pipeline, **kwargs):
    out = pipeline(prompt="a gull over the harbour at dusk", num_inference_steps=2, output_type="np",
                   generator=torch.Generator().manual_seed(7), **kwargs)
    return np.asarray(out.frames if hasattr(out, "frames") else out.images)


@pytest.mark.parametrize("name, pipeline_class, spatial, temporal, call, shape", [
    ("tiny-ltx-video", LTXPipeline, 32, 8, {"num_frames": 9, "width": 64, "height": 64}, (1, 9, 64, 64, 3)),
    ("tiny-wan", WanPipeline, 8, 4, {"num_frames": 5, "width": 64, "height": 64}, (1, 5, 64, 64, 3)),
    ("tiny-pixart", PixArtSigmaPipeline, 8, 1, {"width": 64, "height": 64, "clean_caption": False},
     (1, 64, 64, 3)),
])
def test_tiny_presets_are_built_once_then_loaded_like_real_weights(
        models_dir, name, pipeline_class, spatial, temporal, call, shape):
    preset = preset_get(name)
    pipeline = pipeline_load(preset)
    assert isinstance(pipeline, pipeline_class)
    saved = models_dir / name / "model_index.json"
    assert saved.exists()
    built_at = saved.stat().st_mtime_ns
    again = pipeline_load(preset)  # from the directory, not rebuilt
    assert saved.stat().st_mtime_ns == built_at and again is not pipeline
    # The real models' VAE compression (what keeps a CPU render to about a second).
    vae_spatial = getattr(pipeline, "vae_spatial_compression_ratio", None) or getattr(
        pipeline, "vae_scale_factor_spatial", None) or pipeline.vae_scale_factor
    vae_temporal = getattr(pipeline, "vae_temporal_compression_ratio", None) or getattr(
        pipeline, "vae_scale_factor_temporal", 1)
    assert (vae_spatial, vae_temporal) == (spatial, temporal)
    frames = run(again, **call)
    assert frames.shape == shape and np.isfinite(frames).all()
    assert np.array_equal(frames, run(pipeline, **call))  # same weights, same seed, same output


def test_missing_weights_name_the_preset_the_path_and_how_to_provide_them(models_dir):
    with pytest.raises(WeightsMissing) as caught:
        pipeline_load(preset_get("ltx-video"))
    message = str(caught.value)
    assert '"ltx-video"' in message and str(models_dir / "ltx-video") in message
    assert "hf download Lightricks/LTX-Video" in message and "GENERATION_PRESETS" in message


def test_any_pipeline_directory_becomes_a_preset_by_configuration(settings, tmp_path):
    tiny_build("pixart", tmp_path / "my-pixart")
    settings.GENERATION_PRESETS = {"my-pixart": {"pipeline": "PixArtSigmaPipeline", "kind": "image",
                                                 "path": str(tmp_path / "my-pixart"), "width": 128}}
    preset = preset_get("my-pixart")
    assert (preset.width, preset.kind) == (128, "image")
    assert isinstance(pipeline_load(preset), PixArtSigmaPipeline)
    settings.GENERATION_PRESETS = {"tiny-wan": {"steps": 4}}  # a built-in preset, one field changed
    assert preset_get("tiny-wan").steps == 4 and preset_get("tiny-wan").pipeline == "WanPipeline"
    settings.GENERATION_PRESETS = {"bad": {"pipeline": "LTXPipeline", "kind": "video", "weights": "x"}}
    with pytest.raises(ValueError, match="unknown fields \\['weights'\\]"):
        presets()
    settings.GENERATION_PRESETS = {"tiny-wan": {"fast": {"cache": "guesswork"}}}
    with pytest.raises(ValueError, match=r"fast\.cache must be one of first_block, pyramid_attention"):
        presets()
    settings.GENERATION_PRESETS = {}
    with pytest.raises(KeyError, match=r"known presets: .*tiny-ltx-video"):
        preset_get("no-such-model")


def test_the_worker_cache_keeps_the_most_recently_used_within_its_budget():
    ltx, pixart = preset_get("tiny-ltx-video"), preset_get("tiny-pixart")
    one = pipeline_load(ltx)
    cache = PipelineCache(max_bytes=pipeline_bytes(one) + 1)  # room for about one pipeline
    first = cache.get(ltx)
    assert cache.get(ltx) is first  # loaded once
    cache.get(pixart)
    assert list(cache.loaded) == [repr(pixart)]  # the least recently used went
    assert cache.get(ltx) is not first  # loaded again when asked for


def test_the_presets_command_says_where_each_presets_weights_are(models_dir):
    out = io.StringIO()
    call_command("generation_presets", stdout=out)
    listing = out.getvalue()
    assert "tiny-ltx-video" in listing and "not built yet" in listing
    assert "missing: Preset \"ltx-video\"" in listing and "hf download" in listing
    out = io.StringIO()
    call_command("generation_presets", "--build-tiny", stdout=out)
    assert f"ready: {models_dir / 'tiny-wan'}" in out.getvalue()
    assert (models_dir / "tiny-pixart" / "model_index.json").exists()
