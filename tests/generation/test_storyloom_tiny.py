"""Storyloom Tiny: a render through the API follows its prompt; the preset is assembled from the
committed weights; training runs, resumes where it stopped and exports; the evaluation scores
what it should."""

import io
import json
import random
from dataclasses import asdict, replace

import imageio_ffmpeg
import numpy as np
import pytest
import torch
from diffusers import AutoencoderKLLTXVideo, CogVideoXPipeline
from django.core.management import CommandError, call_command
from PIL import Image
from rest_framework.test import APIClient
from safetensors import safe_open

from generation.execution import job_execute
from generation.models import Job
from generation.pipelines import pipeline_load, weights_location
from generation.presets import preset_get
from generation.storyloom_tiny import analysis, data, evaluation, model, train
from generation.watermark import watermark


def mp4_frames(path, size: int = model.SIZE) -> np.ndarray:
    """The MP4's frames as RGB, scaled to the analysis's size."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    width, height = meta["size"]
    frames = [np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3) for raw in reader]
    return np.stack([np.asarray(Image.fromarray(f).resize((size, size), Image.Resampling.BOX))
                     for f in frames])


# (The shape is not asked for: the committed weights draw a square one time in three; see the model
# card.)
@pytest.mark.django_db
def test_a_prompt_sent_through_the_api_comes_back_as_the_clip_it_describes(team, settings, tmp_path):
    settings.GENERATION_PRESETS = {}
    api = APIClient()
    api.force_login(team.editor)
    url = f"/api/v1/projects/{team.project.pk}/jobs"
    response = api.post(url, {"kind": "video", "preset": "storyloom-tiny",
                              "prompt": "a yellow square moves to the right on a dark background",
                              "seconds": 2, "fps": 8, "seed": 7}, format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(public_id=response.json()["id"])
    assert (job.frames, job.width, job.height) == (17, 256, 256)
    job_execute(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    video = tmp_path / "render.mp4"
    with job.assets.get(role="output").file.open("rb") as stored:
        video.write_bytes(stored.read())
    frames = mp4_frames(video)
    assert len(frames) == 17
    reading = analysis.read(frames)
    assert (reading.colour, reading.motion) == ("yellow", "right"), reading


def test_the_preset_is_assembled_from_the_committed_weights_and_again_when_they_change(settings, tmp_path):
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.GENERATION_PRESETS = {}
    preset = preset_get("storyloom-tiny")
    directory = weights_location(preset)
    assert directory == str(tmp_path / "models" / "storyloom-tiny")
    assert model.assembled(preset.directory)
    pipeline = pipeline_load(preset)
    assert isinstance(pipeline, CogVideoXPipeline)
    assert type(pipeline.text_encoder).__name__ == "BertModel"  # MiniLM, from its package
    (preset.directory / "weights.sha256").write_text("an older training\n")
    assert not model.assembled(preset.directory)
    weights_location(preset)
    assert model.assembled(preset.directory)


def test_the_assembled_vae_reads_and_writes_the_latents_the_transformer_learns():
    # The pipeline scales latents by one factor; the LTX VAE normalises each channel: assemble
    # folds that normalisation into the VAE's weights.
    trained = AutoencoderKLLTXVideo.from_pretrained(model.WEIGHTS / "vae")
    folded = model.fold_normalisation(AutoencoderKLLTXVideo.from_pretrained(model.WEIGHTS / "vae"))
    assert folded.config.temporal_compression_ratio == 4
    clip = model.to_tensor([data.render(data.single(random.Random(2), "red", "star", "up"),
                                        frames=model.FRAMES)])
    with torch.no_grad():
        latents = trained.encode(clip).latent_dist.mode()
        normalised = folded.encode(clip).latent_dist.mode()
        assert torch.allclose(normalised, model.normalise(latents, trained), atol=1e-4)
        decoded, again = trained.decode(latents).sample, folded.decode(normalised).sample
    assert (decoded - again).abs().mean() < 0.01  # (of a range of 2; the frame's edges differ a little)


def test_the_committed_weights_fit_the_budget_and_carry_their_card():
    files = list(model.WEIGHTS.glob("*/*.safetensors"))
    assert {f.parent.name for f in files} == {"vae", "transformer"}
    assert sum(f.stat().st_size for f in files) <= 25 * 1024 * 1024
    card = (model.WEIGHTS / "README.md").read_text()
    for heading in ("## Data", "## Architecture", "## Training", "## Evaluation", "## Limits"):
        assert heading in card
    summary = json.loads((model.WEIGHTS / "training.json").read_text())
    assert summary["plan"] == asdict(train.Plan())  # the weights are the default plan's


TINY_PLAN = train.Plan(vae_steps=4, vae_batch=2, vae_tune_steps=3, vae_tune_batch=2, clips=6,
                       transformer_steps=5, transformer_batch=2)


class Interrupt(Exception):
    pass


def bars(stop_after: tuple[str, int] | None = None):
    """A progress factory; with stop_after=(phase, n) it interrupts that phase after n steps."""
    class Bar:
        def __init__(self, total, initial=0, desc=""):
            self.desc, self.done = desc, initial

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            self.done += n
            if stop_after == (self.desc, self.done):
                raise Interrupt

        def set_postfix(self, **kw):
            pass

    return Bar


def test_training_resumes_where_it_stopped_and_ends_where_an_unbroken_run_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "CHECKPOINT_EVERY", 2)
    unbroken = train.Trainer(TINY_PLAN, tmp_path / "a", report=lambda line: None)
    unbroken.run(bars())

    reports: list[str] = []
    broken = train.Trainer(TINY_PLAN, tmp_path / "b", report=reports.append)
    with pytest.raises(Interrupt):
        broken.run(bars(stop_after=("transformer", 3)))
    resumed = train.Trainer(TINY_PLAN, tmp_path / "b", report=reports.append)
    assert "resuming: transformer phase, step 2" in reports
    resumed.run(bars())
    for name, tensor in unbroken.ema.state_dict().items():
        assert torch.allclose(tensor, resumed.ema.state_dict()[name], atol=1e-6), name
    assert torch.equal(unbroken.vae.latents_std, resumed.vae.latents_std)

    with pytest.raises(ValueError, match="another plan"):
        train.Trainer(replace(TINY_PLAN, seed=1), tmp_path / "b")

    summary = resumed.export(tmp_path / "weights")
    assert len(summary["loss_every_50_steps"]["transformer"]) == 1
    for part in ("vae", "transformer"):  # stored in float16 (model.STORED_DTYPE), loaded back into float32
        with safe_open(tmp_path / "weights" / part / "diffusion_pytorch_model.safetensors", "pt") as stored:
            names = stored.keys()  # (a safetensors file is not iterable)
            assert {stored.get_tensor(name).dtype for name in names} == {torch.float16}

    # From a trained VAE: no VAE phase runs, and the transformer is the one the whole plan trains
    # (whose latents came from the VAE rounded as stored).
    later = train.Trainer(TINY_PLAN, tmp_path / "c", report=lambda line: None,
                          vae_from=tmp_path / "weights" / "vae")
    later.run(bars())
    assert later.state["losses"]["vae"] == later.state["losses"]["vae_tune"] == []
    for name, tensor in unbroken.ema.state_dict().items():
        assert torch.allclose(tensor, later.ema.state_dict()[name], atol=1e-6), name
    assert later.export(tmp_path / "again")["vae_from"] == "vae"
    model.assemble(tmp_path / "pipeline", weights=tmp_path / "weights")
    pipeline = CogVideoXPipeline.from_pretrained(tmp_path / "pipeline", local_files_only=True)
    frames = pipeline(prompt="a red ball", width=64, height=64, num_frames=17, num_inference_steps=1,
                      output_type="np", max_sequence_length=model.MAX_TOKENS).frames
    assert np.asarray(frames).shape == (1, 17, 64, 64, 3)


def test_the_vae_tune_phase_weighs_a_two_pixel_band_along_the_outline():
    spec = data.ClipSpec((data.ObjectSpec("square", "red", "still", 0.5, 0.5, 0.25),), "dark")
    masks = analysis.object_masks(data.render(spec, frames=1))
    band = train._outlines(masks)[0]
    rows, cols = np.nonzero(masks[0])
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    assert band[top, left] and band[top - 1, left] and band[bottom + 1, right]  # corners, inside and out
    assert not band[top + 1, left + 1] and not band[top - 2, left]  # not deeper in, not further out
    assert not band[(top + bottom) // 2, (left + right) // 2]


def test_the_transformer_weighs_the_latent_cells_along_the_outline():
    spec = data.ClipSpec((data.ObjectSpec("square", "red", "still", 0.5, 0.5, 0.25),), "dark")
    objects, outlines = train._cell_shares(data.render(spec, frames=model.FRAMES)).numpy()
    assert objects.shape == outlines.shape == (5, 8, 8)  # latent frames, rows, columns
    inside = np.zeros((8, 8), dtype=bool)
    inside[2:6, 2:6] = True  # the square covers pixels 16 to 47: cells 2 to 5
    assert np.allclose(objects[:, inside], 1, atol=0.05) and np.allclose(objects[:, ~inside], 0, atol=0.05)
    assert (outlines[:, 2, 2] > 0.1).all() and (outlines[:, 1, 2] > 0).all()  # a corner, and beside it
    assert (outlines[:, 3:5, 3:5] == 0).all() and (outlines[:, 0, 0] == 0).all()  # deep inside, far outside


@pytest.mark.parametrize(("avx512_bf16", "amx", "enabled"),
                         [(False, False, False), (True, False, True), (False, True, True)])
def test_training_uses_bfloat16_only_where_the_cpu_computes_it_itself(monkeypatch, avx512_bf16, amx, enabled):
    # Emulated bfloat16 (an AVX2-only CPU) made a transformer step 10 times slower than float32.
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    with train._bfloat16():
        assert torch.is_autocast_enabled("cpu") is enabled


def test_the_train_command_refuses_a_checkpoint_of_another_plan(tmp_path, monkeypatch):
    workdir = tmp_path / "train"
    train.Trainer(TINY_PLAN, workdir, report=lambda line: None)._save()
    with pytest.raises(CommandError, match="another plan"):
        call_command("tiny_train", "--workdir", str(workdir), "--out", str(tmp_path / "w"),
                     stdout=io.StringIO())


def test_the_evaluation_reads_drawn_clips_perfectly_and_noise_not_at_all():
    drawn = evaluation.evaluate(lambda case: data.render(case.spec, frames=model.FRAMES),
                                {"held_out": 1, "new_wordings": 1})
    for prompt_set in ("held_out", "new_wordings"):
        assert drawn[prompt_set]["clips"] == len(data.HELD_OUT)
        scores = drawn[prompt_set]
        assert (scores["colour"], scores["motion"], scores["shape"]) == (1, 1, 1)
    rng = np.random.default_rng(0)
    noise = evaluation.evaluate(lambda case: rng.integers(0, 256, (17, 64, 64, 3), dtype=np.uint8),
                                {"held_out": 1})
    assert noise["held_out"]["motion"] < 0.5 and noise["held_out"]["misses"]


def test_evaluation_prompts_are_held_out_and_new_wordings_are_new():
    held = list(evaluation.cases("held_out", 2))
    assert {(c.truth.colour, c.truth.shape, c.truth.motion) for c in held} == data.HELD_OUT
    seen = list(evaluation.cases("seen", 1))
    assert not {(c.truth.colour, c.truth.shape, c.truth.motion) for c in seen} & data.HELD_OUT
    training_phrases = {phrase for phrases in data.MOTION_WORDS.values() for phrase in phrases}
    for case in evaluation.cases("new_wordings", 1):
        assert not any(phrase in case.prompt for phrase in training_phrases), case.prompt
    assert [c.prompt for c in evaluation.cases("held_out", 2)] == [c.prompt for c in held]


def test_the_evaluate_command_writes_scores_beside_the_baseline(tmp_path, settings):
    settings.GENERATION_PRESETS = {}
    out = tmp_path / "tiny_evaluate.json"
    call_command("tiny_evaluate", "--per-combo", "1", "--steps", "2", "--combinations", "5",
                 "--out", str(out), stdout=io.StringIO())
    result = json.loads(out.read_text())
    assert result["baseline"]["name"] == "tiny-ltx-video"
    assert set(result["metrics"]) == {"held_out", "seen", "new_wordings", "vae_reconstruction"}
    assert result["workload"]["held_out_combinations"] == 5
    for scores in (*result["metrics"].values(), result["baseline"]["metrics"]["held_out"]):
        assert scores["clips"] == 5
    assert set(result["met"]) == {"colour", "motion", "shape"}


def test_a_render_is_resized_from_the_models_size_to_the_size_asked_for(settings):
    settings.GENERATION_PRESETS = {}
    from generation.runner import RenderRequest, render

    preset = preset_get("storyloom-tiny")
    request = RenderRequest(preset=preset, prompt="a green star grows", seed=3, width=128, height=192,
                            steps=2)
    assert (request.arguments()["width"], request.arguments()["height"]) == (64, 64)
    frames = render(pipeline_load(preset), request)
    assert frames.shape == (17, 192, 128, 3)


def test_a_watermark_does_not_fool_the_analysis():
    spec = data.single(random.Random(4), "green", "triangle", "left")
    marked = watermark(data.render(spec, frames=model.FRAMES, size=256))
    small = np.stack([np.asarray(Image.fromarray(f).resize((64, 64), Image.Resampling.BOX)) for f in marked])
    reading = analysis.read(small)
    assert (reading.colour, reading.shape, reading.motion) == ("green", "triangle", "left")


def test_the_curriculum_draws_only_clips_on_easy_backgrounds_first(tmp_path):
    plan = replace(TINY_PLAN, clips=64, transformer_batch=8, transformer_curriculum=2)
    trainer = train.Trainer(plan, tmp_path, report=lambda line: None)
    everything = range(plan.clips)
    trainer._easy = [i for i in everything if train.clip_spec(plan, i).background in train.EASY_BACKGROUNDS]
    assert 0 < len(trainer._easy) < plan.clips
    for step in range(4):
        drawn = trainer._batch(step, train._rng(plan, "transformer", step))
        assert len(drawn) == 8
        easy = all(i in trainer._easy for i in drawn)
        assert easy if step < 2 else not easy  # (after it, 8 clips drawn from all are not all easy)
