"""Training Storyloom Tiny from nothing: the VAE, then the latents of a fixed set of clips, then
the transformer. Seeded and resumable.

Every batch is drawn from a random generator seeded by (seed, phase, step), so a run that stops
and resumes from its last checkpoint draws the same batches as one that never stopped. The
checkpoint (models, optimisers, the exponential moving average, the loss curve) is written to
`workdir` every CHECKPOINT_EVERY steps and at the end of each phase; a finished phase is not run
again.

Objectives:
- VAE: L1 reconstruction, with the object's pixels weighted OBJECT_WEIGHT times (they are a
  small part of each frame but all of its meaning), and in the tune phase those along its outline
  more again (the corners tell the shapes apart), on 9-frame 32 x 32 crops (the VAE is
  convolutional: it runs on whole 17-frame 64 x 64 clips afterwards); the latents are kept small
  by a quadratic penalty and learn to survive a little noise.
- Transformer: rectified flow (predict noise - data at a noise level drawn from a logit-normal),
  with one caption in ten dropped for classifier-free guidance; each latent cell's error weighted
  by how much of the object it holds (the background is most of every clip and is learned first;
  the object is what the caption is about) and, more, by how much of its outline (the cells that
  tell a star from a circle). The logit-normal is shifted towards high noise
  (`transformer_noise_shift`): where the object will be, and so its motion, is decided at the
  highest noise levels, which a centred logit-normal draws rarely (above 0.8 one draw in twelve;
  shifted by 0.8, one in four). Its first
  `transformer_curriculum` steps draw only clips on the plain dark and black backgrounds: with
  the backgrounds' variety to learn from the start, the motion words were still unused after a
  whole training; learned on plain backgrounds first, they kept being used once every background
  came in (the model card's measurements).
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generation.storyloom_tiny import analysis, data, model

CHECKPOINT_EVERY = 200
OBJECT_WEIGHT = 3.0
LATENT_NOISE = 0.1  # added to the VAE's latents while training its decoder
CAPTION_DROP = 0.1
PHASE_SEEDS = {"vae": 0, "vae_tune": 1_000_000}  # offsets of each phase's noise seeds
EASY_BACKGROUNDS = ("dark", "black")


@dataclass(frozen=True)
class Plan:
    seed: int = 20261204
    vae_steps: int = 3200
    vae_batch: int = 16
    vae_lr: float = 1e-3
    # then shorter clips, more steps, the objects weighted more: the first phase learns the
    # backgrounds well before the objects' colours and edges
    vae_tune_steps: int = 5000
    vae_tune_batch: int = 8
    vae_tune_lr: float = 5e-4
    vae_tune_object_weight: float = 10.0
    vae_tune_outline_weight: float = 20.0  # the pixels along the object's outline: its corners
    clips: int = 6000  # clips whose latents the transformer trains on
    transformer_steps: int = 2800
    transformer_batch: int = 16
    transformer_lr: float = 1e-3
    transformer_object_weight: float = 4.0
    transformer_outline_weight: float = 40.0  # the latent cells along the object's outline
    transformer_noise_shift: float = 0.8  # the noise levels' logit-normal location
    # the first steps draw only clips on the plain dark or black backgrounds (EASY_BACKGROUNDS)
    transformer_curriculum: int = 600
    ema: float = 0.998


Report = Callable[[str], None]


def _lr(base: float, step: int, total: int, warmup: int = 100) -> float:
    """Linear warm-up, then a cosine down to a tenth."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup))))


def _rng(plan: Plan, phase: str, step: int) -> random.Random:
    return random.Random(f"{plan.seed}:{phase}:{step}")


def clip_spec(plan: Plan, index: int) -> data.ClipSpec:
    """The index-th clip of the transformer's training set."""
    return data.sample(random.Random(f"{plan.seed}:clip:{index}"))


class Trainer:
    """`vae_from`: a trained VAE's directory (diffusers format) to start from: the VAE phases are
    skipped and only the latents and the transformer are made (a new transformer recipe tried on
    the committed VAE, which the plan's VAE phases reproduce)."""

    def __init__(self, plan: Plan, workdir: Path, report: Report = print,
                 vae_from: Path | None = None) -> None:
        self.plan, self.workdir, self.report = plan, workdir, report
        self.workdir.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(plan.seed)
        self.vae, self.transformer = model.new_vae(), model.new_transformer()
        self.ema = model.new_transformer()
        self.ema.load_state_dict(self.transformer.state_dict())
        self.vae_opt = torch.optim.Adam(self.vae.parameters(), lr=plan.vae_lr)
        self.transformer_opt = torch.optim.AdamW(self.transformer.parameters(), lr=plan.transformer_lr,
                                                 weight_decay=0.01)
        self.state: dict[str, Any] = {"plan": asdict(plan), "phase": "vae", "step": 0,
                                      "losses": {"vae": [], "vae_tune": [], "transformer": []},
                                      "seconds": {}}
        if vae_from is not None and not self.checkpoint.exists():
            from diffusers import AutoencoderKLLTXVideo

            self.vae.load_state_dict(AutoencoderKLLTXVideo.from_pretrained(vae_from).state_dict())
            self.state.update(phase="latents", vae_from=str(vae_from))
        self._load()

    # -- checkpoints ---------------------------------------------------------------------------

    @property
    def checkpoint(self) -> Path:
        return self.workdir / "checkpoint.pt"

    def _load(self) -> None:
        if not self.checkpoint.exists():
            return
        saved = torch.load(self.checkpoint, weights_only=False)
        if saved["state"]["plan"] != asdict(self.plan):
            raise ValueError(f"{self.checkpoint} was written by another plan; start afresh with --fresh")
        self.state = saved["state"]
        for name in ("vae", "transformer", "ema", "vae_opt", "transformer_opt"):
            getattr(self, name).load_state_dict(saved[name])
        self.report(f"resuming: {self.state['phase']} phase, step {self.state['step']}")

    def _save(self) -> None:
        partial = self.checkpoint.with_suffix(".partial")
        torch.save({"state": self.state, **{name: getattr(self, name).state_dict() for name in
                    ("vae", "transformer", "ema", "vae_opt", "transformer_opt")}}, partial)
        partial.replace(self.checkpoint)

    # -- phases --------------------------------------------------------------------------------

    def run(self, progress: Callable[..., Any]) -> None:
        """Train whatever is left; `progress(total=, initial=, desc=)` makes a progress bar."""
        if self.state["phase"] == "vae":
            self._phase("vae", self.plan.vae_steps, self._vae_step, progress)
            self.state.update(phase="vae_tune", step=0)
            self._save()
        if self.state["phase"] == "vae_tune":
            self._phase("vae_tune", self.plan.vae_tune_steps, self._vae_tune_step, progress)
            self.state.update(phase="latents", step=0)
            self._save()
        if self.state["phase"] == "latents":
            started = time.monotonic()
            self._encode_latents(progress)
            self.state["seconds"]["latents"] = time.monotonic() - started
            self.state.update(phase="transformer", step=0)
            self._save()
        if self.state["phase"] == "transformer":
            self._cache = torch.load(self.workdir / "latents.pt")
            everything = range(self.plan.clips)
            self._easy = [i for i in everything if clip_spec(self.plan, i).background in EASY_BACKGROUNDS]
            self._easy = self._easy or list(everything)
            self._pipeline = model.pipeline(self.vae, self.transformer)
            self._phase("transformer", self.plan.transformer_steps, self._transformer_step, progress)
            self.state.update(phase="done", step=0)
            self._save()

    def _phase(self, phase: str, total: int, step_fn: Callable[[int], float],
               progress: Callable[..., Any]) -> None:
        started = time.monotonic() - self.state["seconds"].get(phase, 0.0)
        losses: list[float] = self.state["losses"][phase]
        window: list[float] = []
        with progress(total=total, initial=self.state["step"], desc=phase) as bar:
            while self.state["step"] < total:
                loss = step_fn(self.state["step"])
                window.append(loss)
                self.state["step"] += 1
                bar.update(1)
                if self.state["step"] % 50 == 0 or self.state["step"] == total:
                    losses.append(round(sum(window) / len(window), 5))
                    bar.set_postfix(loss=losses[-1])
                    window = []
                if self.state["step"] % CHECKPOINT_EVERY == 0 or self.state["step"] == total:
                    self.state["seconds"][phase] = time.monotonic() - started
                    self._save()
        self.report(f"{phase}: {total} steps in {self.state['seconds'][phase] / 60:.1f} min")

    def _vae_step(self, step: int) -> float:
        plan = self.plan
        return self._autoencode(step, "vae", batch=plan.vae_batch, frames=9, object_weight=OBJECT_WEIGHT,
                                outline_weight=0.0, lr=_lr(plan.vae_lr, step, plan.vae_steps))

    def _vae_tune_step(self, step: int) -> float:
        plan = self.plan
        return self._autoencode(step, "vae_tune", batch=plan.vae_tune_batch, frames=5,
                                object_weight=plan.vae_tune_object_weight,
                                outline_weight=plan.vae_tune_outline_weight,
                                lr=_lr(plan.vae_tune_lr, step, plan.vae_tune_steps, warmup=50))

    def _autoencode(self, step: int, phase: str, *, batch: int, frames: int, object_weight: float,
                    outline_weight: float, lr: float) -> float:
        plan, rng = self.plan, _rng(self.plan, phase, step)
        crops, weights = [], []
        for _ in range(batch):
            clip = data.render(data.sample(rng), frames=frames)
            top, left = rng.randrange(0, 33, 8), rng.randrange(0, 33, 8)
            crops.append(clip[:, top:top + 32, left:left + 32])
            # (the object read on the whole frame: a crop's edges are neither background nor outline)
            objects = analysis.object_masks(clip)
            weighted = object_weight * objects
            if outline_weight:  # (the first phase weighs none: 9 ms a step saved finding it)
                weighted = weighted + outline_weight * _outlines(objects)
            weights.append(weighted[:, top:top + 32, left:left + 32])
        x = model.to_tensor(crops)
        weight = 1 + torch.from_numpy(np.stack(weights)).float()[:, None]
        for group in self.vae_opt.param_groups:
            group["lr"] = lr
        generator = torch.Generator().manual_seed(plan.seed + step + PHASE_SEEDS[phase])
        with _bfloat16():
            z = self.vae.encode(x).latent_dist.mode().float()
            noise = torch.randn(z.shape, generator=generator) * LATENT_NOISE
            y = self.vae.decode(z + noise).sample.float()
        reconstruction = ((y - x).abs() * weight).mean()
        loss = reconstruction + 1e-3 * z.pow(2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.vae.parameters(), 5.0)
        self.vae_opt.step()
        self.vae_opt.zero_grad(set_to_none=True)
        return float(reconstruction.detach())

    @torch.no_grad()
    def _encode_latents(self, progress: Callable[..., Any]) -> None:
        """For plan.clips clips, their latents (the VAE's means) and how much of each latent cell
        is object and outline (`_cell_shares`); and the latents' per-channel statistics, which
        become the VAE's latents_mean and latents_std (the pipeline normalises with them)."""
        self.vae.eval()
        # the VAE rounded as export stores it: the latents are the stored VAE's, so a run from those
        # weights (--vae-from) trains the same transformer
        self.vae.to(model.STORED_DTYPE).float()
        latents, shares = [], []
        with progress(total=self.plan.clips, desc="latents") as bar:
            for start in range(0, self.plan.clips, 32):
                indices = range(start, min(start + 32, self.plan.clips))
                clips = [data.render(clip_spec(self.plan, i), frames=model.FRAMES) for i in indices]
                latents.append(self.vae.encode(model.to_tensor(clips)).latent_dist.mode())
                shares.append(torch.stack([_cell_shares(clip) for clip in clips]))
                bar.update(len(indices))
        everything = torch.cat(latents)
        self.vae.latents_mean.copy_(everything.mean(dim=(0, 2, 3, 4)))
        self.vae.latents_std.copy_(everything.std(dim=(0, 2, 3, 4)))
        torch.save({"latents": everything.half(), "shares": torch.cat(shares).half()},
                   self.workdir / "latents.pt")

    def _batch(self, step: int, rng: random.Random) -> list[int]:
        """The clips of a transformer step: during the curriculum, only those on an easy background."""
        if step < self.plan.transformer_curriculum:
            return [rng.choice(self._easy) for _ in range(self.plan.transformer_batch)]
        return [rng.randrange(self.plan.clips) for _ in range(self.plan.transformer_batch)]

    def _transformer_step(self, step: int) -> float:
        plan, rng, cache = self.plan, _rng(self.plan, "transformer", step), self._cache
        pipe = self._pipeline
        indices = self._batch(step, rng)
        captions = ["" if rng.random() < CAPTION_DROP else data.caption(clip_spec(plan, i), rng)
                    for i in indices]
        with torch.no_grad():
            embeds, _ = pipe.encode_prompt(captions, do_classifier_free_guidance=False,
                                           max_sequence_length=model.MAX_TOKENS)
        # (the pipeline's layout: batch, frames, channels, height, width)
        x0 = model.normalise(cache["latents"][indices].float(), self.vae).transpose(1, 2)
        generator = torch.Generator().manual_seed(plan.seed + step)
        noise = torch.randn(x0.shape, generator=generator)
        sigma = torch.sigmoid(torch.randn(len(indices), generator=generator) + plan.transformer_noise_shift)
        noisy = (1 - sigma.view(-1, 1, 1, 1, 1)) * x0 + sigma.view(-1, 1, 1, 1, 1) * noise
        for group in self.transformer_opt.param_groups:
            group["lr"] = _lr(plan.transformer_lr, step, plan.transformer_steps, warmup=200)
        with _bfloat16():
            prediction = self.transformer(hidden_states=noisy, encoder_hidden_states=embeds,
                                          timestep=sigma * 1000, return_dict=False)[0].float()
        shares = cache["shares"][indices].float()[:, :, :, None]  # (object, outline) in x0's layout
        weight = (1 + plan.transformer_object_weight * shares[:, 0]
                  + plan.transformer_outline_weight * shares[:, 1])
        error = (prediction - (noise - x0)).pow(2)
        loss = (error * weight).sum() / (weight.sum() * error.shape[2])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.transformer.parameters(), 1.0)
        self.transformer_opt.step()
        self.transformer_opt.zero_grad(set_to_none=True)
        decay = min(plan.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for average, current in zip(self.ema.parameters(), self.transformer.parameters(), strict=True):
                average.lerp_(current, 1 - decay)
        return float(loss.detach())

    # -- the result ----------------------------------------------------------------------------

    def export(self, dest: Path) -> dict[str, Any]:
        """Write the trained VAE and the averaged transformer as diffusers models (safetensors)
        into `dest`; return the training summary (also written there as training.json)."""
        if self.state["phase"] != "done":
            raise ValueError("training is not finished")
        dest.mkdir(parents=True, exist_ok=True)
        for part, name in ((self.vae, "vae"), (self.ema, "transformer")):
            copy.deepcopy(part).to(model.STORED_DTYPE).save_pretrained(dest / name)
        summary = {"plan": self.state["plan"], "minutes": {k: round(v / 60, 1) for k, v in
                                                            self.state["seconds"].items()},
                   "loss_every_50_steps": self.state["losses"]}
        if "vae_from" in self.state:  # (a path on the training machine: only its last part is kept)
            summary["vae_from"] = Path(self.state["vae_from"]).name
        (dest / "training.json").write_text(json.dumps(summary, indent=1) + "\n")
        return summary


def _bfloat16() -> torch.autocast:
    """Mixed precision for the training passes (the weights, optimisers and losses stay float32)
    where the CPU computes in bfloat16 itself: with AVX-512 BF16 the VAE's steps take 0.69 of
    their float32 time, the transformer's 0.86. Without it (an AVX2-only CPU) bfloat16 is
    emulated and a transformer step took 10 times as long as in float32, so it stays float32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bfloat16())


def native_bfloat16() -> bool:
    """Whether the CPU has bfloat16 instructions (torch's own checks, the ones its CPU kernels use)."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def _cell_shares(clip: np.ndarray) -> torch.Tensor:
    """How much of each latent cell of a drawn clip is object, and how much is its outline
    (`_outlines`): (2, latent frames, rows, columns). A latent frame is the first frame alone,
    then each next TEMPORAL frames (the causal VAE's grouping); a cell is SPATIAL x SPATIAL pixels."""
    spatial, temporal = model.compression()
    objects = analysis.object_masks(clip)
    masks = torch.from_numpy(np.stack([objects, _outlines(objects)])).float()  # (2, frames, H, W)
    frames = masks.shape[1]
    groups = [masks[:, :1].mean(1)] + [masks[:, f:f + temporal].mean(1) for f in range(1, frames, temporal)]
    return torch.nn.functional.avg_pool2d(torch.stack(groups, dim=1), spatial)


def _outlines(masks: np.ndarray) -> np.ndarray:
    """(frames, H, W) object masks -> the pixels within a pixel of the object's outline, inside or
    out (its corners are most of what tells the shapes apart), frame by frame."""
    from scipy import ndimage

    within_a_frame = np.zeros((3, 3, 3), dtype=bool)
    within_a_frame[1] = True
    return ndimage.binary_dilation(masks, within_a_frame) & ~ndimage.binary_erosion(masks, within_a_frame)


def loss_curve(losses: list[float], points: int = 10) -> str:
    """A few points of a loss curve, as text."""
    if not losses:
        return "(none)"
    picks = sorted({round(i * (len(losses) - 1) / max(1, points - 1)) for i in range(points)})
    return "  ".join(f"{(i + 1) * 50}: {losses[i]:.4f}" for i in picks)
