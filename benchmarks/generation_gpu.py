"""Generation on a GPU: LTX-Video and Wan 2.1 T2V 1.3B, the real architectures with random weights.

Each model is built from its published configuration (written out below; nothing is downloaded),
cast to bf16 the way `from_pretrained(torch_dtype=...)` casts it, and run through its real
diffusers pipeline (LTXPipeline, WanPipeline) with its published scheduler. The T5 text encoders
are skipped: random `prompt_embeds` / `negative_prompt_embeds` of T5-XXL's shape go in instead.

Workload: a 5 s 768x512 clip at each model's native frame rate (LTX-Video 121 frames at 24 fps,
Wan 81 frames at 16 fps), 50 steps, classifier-free guidance as published (3.0, 5.0), output
as numpy frames, the same seed for every call. Per model, one variant after the other, each a
warm-up call then --runs timed calls:

- eager: SDPA through diffusers' default attention processors (2-step warm-up);
- fast: eager inside `generation.fast.cached(pipeline, spec)`, the platform's "fast" render
  mode, with the model's preset spec from generation/presets.py (ltx: FAST_LTX, First Block
  Cache at threshold 0.2; wan: FAST_WAN, TaylorSeer on the blocks' attention and feed-forward).
  The hook is enabled and removed around every call, as the platform does for every job, so
  each call starts from a clean cache state. Warm-up: one call of --steps steps, so that the
  hook goes through both its computing and its reusing steps before the timed calls;
- compiled: the transformer compiled as generation/pipelines.py compiles it for a preset
  without a fast mode: regionally, `compile_repeated_blocks(fullgraph=True, mode=--compile-mode)`
  (one compiled block serves every layer; both models name their repeated blocks), else the
  whole transformer. Its 2-step warm-up compiles and is reported on its own (`warmup_s`);
- compiled + fast: compiled as pipelines.py compiles a preset with a fast mode,
  `compile_repeated_blocks(fullgraph=False, ...)` (the hooks' Python control flow breaks the
  graph: under fullgraph=True every hook fails to compile, measured on a CPU), dynamo's caches
  reset first so that its warm-up (--steps steps) reports its own compile, then run with the
  hook as `fast` is.

--no-fast skips the fast variants, --no-compile the compiled ones.

Reported per variant: the median wall time of the whole pipeline call (denoise + VAE decode),
per-step time (denoise / steps), VAE decode time, peak GPU memory, the warm-up (first) call, the
speed-up = eager median / variant median, the graphs dynamo compiled during the timed calls (not
0: recompiles inside the timed calls distort them), the functions for which dynamo hit its
recompile limit (`recompile_limit_hit`: they ran eagerly from then on, so the variant is partly
uncompiled), whether every timed call gave the same frames, and the output's difference from the
eager output of the same seed: PSNR (dB, over the whole clip, data_range 1.0 for the [0, 1]
float frames; 100 when identical) and SSIM (the mean over frames, channel_axis=-1, data_range
1.0), by scikit-image. With random weights the frames are noise-like, so PSNR/SSIM here measure
how much a hook (or the compiler) changes the computation, not perceived quality: a real model's
renders, being smoother, may lose more or less. For the uncompiled variants also
`attn_calls_per_clip`, how many times the last repeated block's self-attention query projection
ran in one call, and for fast `computed_share`, that count over eager's: the share of that
block's work the hook did not skip (1.0: it skipped nothing). Baseline: the published figures
(LTX-Video: 5 s of 768x512 video at 24 fps in about 2 s on one H100); ratios: ours / published
and eager / variant.

Reading it: a fast variant pays where its speed-up over eager (and compiled + fast's over
compiled: compare the two speed-ups) is well above 1 while PSNR/SSIM stay near the compiled
variant's own (compiling alone changes the numerics a little); computed_share says how much
work the hook skipped, so a speed-up much smaller than 1 / computed_share means the time is
elsewhere (VAE decode, the hook's own cost). A non-empty recompile_limit_hit means part of that
compiled variant ran eagerly.

    .venv/bin/python benchmarks/generation_gpu.py [--model ltx|wan|all] [--runs 3] [--steps 50]
        [--no-compile] [--no-fast] [--compile-mode default] [--smoke]

It needs a CUDA GPU (H100/H200 class) and exits with status 2 without one. --smoke runs the same
code path with tiny layers and a small clip in float32 on whatever device there is (a CPU is
enough), 10 steps by default (enough for both hooks to reuse steps: TaylorSeer computes steps 0,
1, 2, 4 and 9 of 10), checks every full-size configuration on the meta device, and writes
results/generation_gpu_smoke.json instead of results/generation_gpu.json.
"""

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _harness import RecompileLimits

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WARMUP_STEPS = 2
SMOKE_STEPS = 10  # TaylorSeer (disable_cache_before_step 3, cache_interval 5) computes 0, 1, 2, 4, 9
PSNR_CAP = 100.0  # reported for identical outputs
# The platform's fast-mode spec of each model: the name of its constant in generation/presets.py
# and the preset that uses it.
FAST_SPECS = {"ltx": ("FAST_LTX", "ltx-video"), "wan": ("FAST_WAN", "wan-2.1-t2v-1.3b")}
VARIANTS = ("eager", "fast", "compiled", "compiled_fast")
LABELS = {"eager": "eager", "fast": "fast", "compiled": "compiled", "compiled_fast": "compiled + fast"}

# Published configurations. LTX-Video 0.9.0 (the release the paper's speed figure is for; what
# the "ltx-video" preset loads from Lightricks/LTX-Video): transformer/config.json, the 0.9.0 VAE
# config and the scheduler config of diffusers' scripts/convert_ltx_to_diffusers.py. Wan 2.1 T2V
# 1.3B: transformer config of diffusers' scripts/convert_wan_to_diffusers.py (Wan-AI/Wan2.1-T2V-
# 1.3B-Diffusers), the Wan 2.1 VAE (diffusers' defaults, latents_mean/std included) and the
# UniPC flow scheduler of the diffusers Wan docs (flow_shift 3.0 for 480P-sized clips).
MODELS: dict[str, dict[str, Any]] = {
    "ltx": {
        "label": "LTX-Video 0.9.0", "pipeline": "LTXPipeline",
        "transformer": ("LTXVideoTransformer3DModel", {
            "in_channels": 128, "out_channels": 128, "patch_size": 1, "patch_size_t": 1,
            "num_attention_heads": 32, "attention_head_dim": 64, "cross_attention_dim": 2048,
            "num_layers": 28, "activation_fn": "gelu-approximate", "qk_norm": "rms_norm_across_heads",
            "norm_elementwise_affine": False, "norm_eps": 1e-6, "caption_channels": 4096,
            "attention_bias": True, "attention_out_bias": True}),
        "vae": ("AutoencoderKLLTXVideo", {  # 32x spatial (patch 4, three halvings), 8x temporal
            "in_channels": 3, "out_channels": 3, "latent_channels": 128,
            "block_out_channels": (128, 256, 512, 512), "decoder_block_out_channels": (128, 256, 512, 512),
            "layers_per_block": (4, 3, 3, 3, 4), "decoder_layers_per_block": (4, 3, 3, 3, 4),
            "spatio_temporal_scaling": (True, True, True, False),
            "decoder_spatio_temporal_scaling": (True, True, True, False),
            "decoder_inject_noise": (False,) * 5, "upsample_residual": (False,) * 4,
            "upsample_factor": (1,) * 4, "patch_size": 4, "patch_size_t": 1, "resnet_norm_eps": 1e-6,
            "scaling_factor": 1.0, "encoder_causal": True, "decoder_causal": False,
            "timestep_conditioning": False}),
        "scheduler": ("FlowMatchEulerDiscreteScheduler", {
            "num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": True, "base_shift": 0.95,
            "max_shift": 2.05, "base_image_seq_len": 1024, "max_image_seq_len": 4096,
            "shift_terminal": 0.1}),
        "text": {"tokens": 128, "dim": 4096, "mask": True},  # T5-XXL, LTXPipeline's max_sequence_length
        "clip": {"width": 768, "height": 512, "num_frames": 121, "frame_rate": 24, "guidance_scale": 3.0},
        "fps": 24, "published_transformer_params_b": 1.9,
    },
    "wan": {
        "label": "Wan 2.1 T2V 1.3B", "pipeline": "WanPipeline",
        "transformer": ("WanTransformer3DModel", {
            "patch_size": (1, 2, 2), "num_attention_heads": 12, "attention_head_dim": 128,
            "in_channels": 16, "out_channels": 16, "text_dim": 4096, "freq_dim": 256, "ffn_dim": 8960,
            "num_layers": 30, "cross_attn_norm": True, "qk_norm": "rms_norm_across_heads", "eps": 1e-6,
            "image_dim": None, "added_kv_proj_dim": None, "rope_max_seq_len": 1024}),
        "vae": ("AutoencoderKLWan", {  # 8x spatial, 4x temporal
            "base_dim": 96, "z_dim": 16, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_scales": [],
            "temperal_downsample": [False, True, True], "dropout": 0.0}),
        "scheduler": ("UniPCMultistepScheduler", {
            "num_train_timesteps": 1000, "prediction_type": "flow_prediction", "use_flow_sigmas": True,
            "flow_shift": 3.0, "solver_order": 2}),
        "text": {"tokens": 512, "dim": 4096, "mask": False},  # umT5-XXL, WanPipeline's max_sequence_length
        "clip": {"width": 768, "height": 512, "num_frames": 81, "guidance_scale": 5.0},
        "fps": 16, "published_transformer_params_b": 1.3,
    },
}
# --smoke: the same classes with tiny layers (the VAEs keep their real compression) and a small clip.
SMOKE: dict[str, dict[str, Any]] = {
    "ltx": {"transformer": {"in_channels": 8, "out_channels": 8, "num_attention_heads": 2,
                            "attention_head_dim": 8, "cross_attention_dim": 16, "num_layers": 2,
                            "caption_channels": 32},
            "vae": {"latent_channels": 8, "block_out_channels": (16,) * 4,
                    "decoder_block_out_channels": (16,) * 4, "layers_per_block": (1,) * 5,
                    "decoder_layers_per_block": (1,) * 5},
            "text": {"tokens": 16, "dim": 32}, "clip": {"width": 256, "height": 256, "num_frames": 25}},
    "wan": {"transformer": {"num_attention_heads": 2, "attention_head_dim": 12, "ffn_dim": 32,
                            "num_layers": 2, "text_dim": 32},
            "vae": {"base_dim": 4, "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1},
            "text": {"tokens": 16, "dim": 32}, "clip": {"width": 256, "height": 256, "num_frames": 17}},
}
PUBLISHED: dict[str, dict[str, Any]] = {
    "ltx": {"clip_s": 2.0, "gpu": "H100", "clip": "121 frames (5 s at 24 fps), 768x512",
            "source": "HaCohen et al., LTX-Video: Realtime Video Latent Diffusion, arXiv:2501.00103 "
                      "(abstract: 5 s of 24 fps 768x512 video in 2 s on an H100), LTX-Video 0.9.0",
            "steps_assumed": 20,
            "note": "the abstract gives no step count; 20 steps is our reading of the paper, unverified "
                    "here; the figure predates the distilled (8-step) LTX-Video releases"},
    "wan": {"clip_s": 240.0, "gpu": "RTX 4090", "clip": "81 frames (5 s at 16 fps), 832x480",
            "source": "Wan2.1 README: T2V-1.3B makes a 5 s 480P video on an RTX 4090 in about 4 minutes "
                      "(8.19 GB VRAM, --offload_model True --t5_cpu, no quantization)",
            "note": "different GPU and CPU offloading: an order of magnitude, not like for like"},
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def billions(count: int) -> str:
    return f"{count / 1e9:.3f} B" if count >= 10**8 else f"{count / 1e6:.3f} M"


def merged(spec: dict[str, Any], smoke: dict[str, Any] | None) -> dict[str, Any]:
    """The model's spec with the smoke overrides merged into its configs."""
    if smoke is None:
        return spec
    out = dict(spec)
    for part in ("transformer", "vae"):
        out[part] = (spec[part][0], {**spec[part][1], **smoke[part]})
    out["text"] = {**spec["text"], **smoke["text"]}
    out["clip"] = {**spec["clip"], **smoke["clip"]}
    return out


def cast_like_from_pretrained(model: Any, dtype: torch.dtype) -> Any:
    """Cast floating weights to `dtype` except the class's `_keep_in_fp32_modules` (as diffusers'
    `from_pretrained(torch_dtype=...)` does; a plain `.to(dtype)` would cast those too)."""
    keep = set(getattr(model, "_keep_in_fp32_modules", None) or [])
    saved = set(model.state_dict())
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if name in saved and tensor.is_floating_point():
            tensor.data = tensor.data.to(torch.float32 if keep & set(name.split(".")) else dtype)
    return model.eval().requires_grad_(False)


def build(spec: dict[str, Any], device: torch.device, dtype: torch.dtype) -> Any:
    import diffusers

    torch.manual_seed(0)
    with torch.device(device):  # random init straight on the GPU: seconds, not minutes
        transformer = getattr(diffusers, spec["transformer"][0])(**spec["transformer"][1])
        vae = getattr(diffusers, spec["vae"][0])(**spec["vae"][1])
    scheduler = getattr(diffusers, spec["scheduler"][0])(**spec["scheduler"][1])
    pipe = getattr(diffusers, spec["pipeline"])(
        transformer=cast_like_from_pretrained(transformer.to(device), dtype),
        vae=cast_like_from_pretrained(vae.to(device), dtype), scheduler=scheduler,
        text_encoder=None, tokenizer=None)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def embeds(spec: dict[str, Any], device: torch.device, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Random stand-ins for the T5 outputs (shape and dtype of the real ones)."""
    generator = torch.Generator(device="cpu").manual_seed(1)
    shape = (1, spec["text"]["tokens"], spec["text"]["dim"])
    inputs = {name: (0.1 * torch.randn(shape, generator=generator)).to(device, dtype)
              for name in ("prompt_embeds", "negative_prompt_embeds")}
    if spec["text"]["mask"]:
        mask = torch.ones(shape[:2], dtype=torch.long, device=device)
        inputs |= {"prompt_attention_mask": mask, "negative_prompt_attention_mask": mask}
    return inputs


class DecodeTimer:
    """Wraps the VAE's decode to time it (synchronized) inside the pipeline call."""

    def __init__(self, vae: Any, device: torch.device) -> None:
        self.original, self.device = vae.decode, device
        self.started = self.seconds = 0.0
        setattr(vae, "decode", self)  # noqa: B010 (an instance attribute over the method)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        sync(self.device)
        self.started = time.perf_counter()
        out = self.original(*args, **kwargs)
        sync(self.device)
        self.seconds = time.perf_counter() - self.started
        return out


def project() -> tuple[Any, dict[str, dict[str, Any]]]:
    """`generation.fast.cached` and each model's fast-mode spec from generation/presets.py (which
    imports without Django settings: its module level only defines presets and lazy strings)."""
    for path in (str(ROOT / "platform"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from generation import presets
    from generation.fast import cached

    return cached, {name: dict(getattr(presets, constant)) for name, (constant, _) in FAST_SPECS.items()}


def compile_transformer(transformer: Any, mode: str, fullgraph: bool) -> str:
    """Compile as generation/pipelines.py does: the repeated blocks where the model names them
    (regional compilation), else the whole transformer. Returns what was compiled."""
    if getattr(transformer, "_repeated_blocks", None):
        transformer.compile_repeated_blocks(fullgraph=fullgraph, mode=mode)
        return f"repeated blocks ({', '.join(transformer._repeated_blocks)})"
    transformer.compile(fullgraph=fullgraph, mode=mode)
    return "whole transformer"


def repeated_blocks(transformer: Any) -> list[torch.nn.Module]:
    names = set(getattr(transformer, "_repeated_blocks", None) or ())
    return [m for m in transformer.modules() if m.__class__.__name__ in names]


class AttentionCounter:
    """Counts the runs of the last repeated block's self-attention query projection (`attn1.to_q`,
    in LTX-Video's and Wan's blocks alike): a block First Block Cache skips, or an attention
    TaylorSeer predicts, does not run it. For uncompiled variants only (removed before compiling)."""

    def __init__(self, transformer: Any) -> None:
        self.calls = 0
        block: Any = repeated_blocks(transformer)[-1]
        self.handle = block.attn1.to_q.register_forward_pre_hook(self.count)

    def count(self, *_: Any) -> None:
        self.calls += 1

    def remove(self) -> None:
        self.handle.remove()


def psnr_ssim(reference: np.ndarray, video: np.ndarray) -> dict[str, float]:
    """PSNR over the whole clip and SSIM (mean over frames) of `video` against `reference`
    (frames x height x width x channels, floats in [0, 1] or uint8)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if np.array_equal(reference, video):
        return {"psnr_db": PSNR_CAP, "ssim": 1.0}
    data_range = 255.0 if reference.dtype == np.uint8 else 1.0
    psnr = float(peak_signal_noise_ratio(reference, video, data_range=data_range))
    ssim = statistics.fmean(float(structural_similarity(a, b, channel_axis=-1, data_range=data_range))
                            for a, b in zip(reference, video, strict=True))
    return {"psnr_db": round(min(PSNR_CAP, psnr), 2), "ssim": round(ssim, 4)}


def call(pipe: Any, inputs: dict[str, Any], steps: int, timer: DecodeTimer, device: torch.device,
         hook: Any = None, counter: AttentionCounter | None = None) -> tuple[dict[str, Any], np.ndarray]:
    """One pipeline call, timed; `hook`: a context manager factory wrapped around it (a fresh one
    per call, as the platform enables its cache hook per job)."""
    if counter is not None:
        counter.calls = 0
    sync(device)
    started = time.perf_counter()
    with hook() if hook is not None else nullcontext():
        video = pipe(**inputs, num_inference_steps=steps, output_type="np", return_dict=False,
                     generator=torch.Generator(device=device).manual_seed(0))[0]
    sync(device)
    total = time.perf_counter() - started
    denoise = timer.started - started  # from the call to the decode: embeds, latents, the steps
    video = np.asarray(video)
    return {"clip_s": total, "denoise_s": denoise, "decode_s": timer.seconds,
            "other_s": total - denoise - timer.seconds, "finite": bool(np.isfinite(video).all()),
            "shape": list(video.shape), "attn_calls": None if counter is None else counter.calls}, video


def measure(pipe: Any, inputs: dict[str, Any], steps: int, runs: int, timer: DecodeTimer,
            device: torch.device, *, warmup_steps: int = WARMUP_STEPS, hook: Any = None,
            counter: AttentionCounter | None = None) -> tuple[dict[str, Any], np.ndarray]:
    """A warm-up call (`warmup_steps` steps: compiles when compiled), then `runs` timed calls.
    Returns the metrics and the first timed call's frames (the clip's first batch item)."""
    limits = RecompileLimits()
    logging.getLogger("torch._dynamo").addHandler(limits)
    try:
        return _measure(pipe, inputs, steps, runs, timer, device, warmup_steps, hook, counter, limits)
    finally:
        logging.getLogger("torch._dynamo").removeHandler(limits)


def _measure(pipe: Any, inputs: dict[str, Any], steps: int, runs: int, timer: DecodeTimer,
             device: torch.device, warmup_steps: int, hook: Any, counter: AttentionCounter | None,
             limits: RecompileLimits) -> tuple[dict[str, Any], np.ndarray]:
    warmup = call(pipe, inputs, warmup_steps, timer, device, hook)[0]["clip_s"]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    samples, first, repeatable = [], None, True
    for _ in range(runs):
        sample, video = call(pipe, inputs, steps, timer, device, hook, counter)
        samples.append(sample)
        if first is None:
            first = video[0]
        else:
            repeatable = repeatable and np.array_equal(first, video[0])
        del video
    assert first is not None

    def med(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 3)

    out = {"clip_median_s": med("clip_s"), "clip_s": [round(s["clip_s"], 3) for s in samples],
           "denoise_median_s": med("denoise_s"),
           "per_step_ms": round(1000 * statistics.median(s["denoise_s"] for s in samples) / steps, 1),
           "decode_median_s": med("decode_s"), "postprocess_median_s": med("other_s"),
           "warmup_s": round(warmup, 3), "warmup_steps": warmup_steps,
           "peak_memory_gib": (round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
                               if device.type == "cuda" else None),
           "output_finite": all(s["finite"] for s in samples), "output_shape": samples[0]["shape"],
           "output_repeatable": repeatable,  # every timed call gave the same frames
           "graphs_compiled_in_timed_runs": torch._dynamo.utils.counters["stats"]["unique_graphs"] - graphs,
           # functions dynamo stopped recompiling (torch._dynamo.config.recompile_limit) in this
           # variant's calls: they ran eagerly from then on
           "recompile_limit_hit": sorted(limits.functions)}
    if counter is not None:
        out["attn_calls_per_clip"] = statistics.median(s["attn_calls"] for s in samples)
    return out, first


def run_model(name: str, args: argparse.Namespace, device: torch.device, dtype: torch.dtype,
              cached: Any, fast_spec: dict[str, Any] | None) -> dict[str, Any]:
    """The model's variants in turn; `fast_spec`: its fast-mode spec (None: no fast variants)."""
    spec = merged(MODELS[name], SMOKE[name] if args.smoke else None)
    started = time.perf_counter()
    pipe = build(spec, device, dtype)
    result: dict[str, Any] = {"build_s": round(time.perf_counter() - started, 2),
                              "transformer_params": params(pipe.transformer), "vae_params": params(pipe.vae)}
    print(f"{spec['label']}{' [smoke sizes]' if args.smoke else ''}: transformer "
          f"{billions(result['transformer_params'])} params (published "
          f"{spec['published_transformer_params_b']} B), VAE {billions(result['vae_params'])}, "
          f"built in {result['build_s']} s")
    inputs = {**embeds(spec, device, dtype), **spec["clip"]}
    timer = DecodeTimer(pipe.vae, device)
    hook = partial(cached, pipe, fast_spec)  # a fresh context manager per call

    def variant(key: str, metrics: dict[str, Any], video: np.ndarray, reference: np.ndarray) -> None:
        if key != "eager":
            eager_s = result["eager"]["clip_median_s"]
            metrics["speedup_vs_eager"] = round(eager_s / metrics["clip_median_s"], 3)
            metrics["vs_eager"] = psnr_ssim(reference, video)
        if key.endswith("fast"):
            metrics["fast_spec"] = fast_spec
        result[key] = metrics
        print(f"  {LABELS[key]}: {metrics['clip_median_s']} s per clip"
              + (f", {metrics['speedup_vs_eager']}x eager, {metrics['vs_eager']}" if key != "eager" else ""))

    counter = AttentionCounter(pipe.transformer)
    result["eager"], reference = measure(pipe, inputs, args.steps, args.runs, timer, device, counter=counter)
    variant("eager", result["eager"], reference, reference)
    if fast_spec is not None:
        metrics, video = measure(pipe, inputs, args.steps, args.runs, timer, device,
                                 warmup_steps=args.steps, hook=hook, counter=counter)
        metrics["computed_share"] = round(
            metrics["attn_calls_per_clip"] / result["eager"]["attn_calls_per_clip"], 3)
        variant("fast", metrics, video, reference)
    counter.remove()
    if not args.no_compile:
        what = compile_transformer(pipe.transformer, args.compile_mode, fullgraph=True)
        metrics, video = measure(pipe, inputs, args.steps, args.runs, timer, device)
        variant("compiled", {**metrics, "compiled": what, "fullgraph": True}, video, reference)
        if fast_spec is not None:
            torch._dynamo.reset()  # (so that the warm-up compiles from scratch and reports it)
            what = compile_transformer(pipe.transformer, args.compile_mode, fullgraph=False)
            metrics, video = measure(pipe, inputs, args.steps, args.runs, timer, device,
                                     warmup_steps=args.steps, hook=hook)
            variant("compiled_fast", {**metrics, "compiled": what, "fullgraph": False}, video, reference)
    del pipe, timer, hook, reference
    torch._dynamo.reset()  # compiled code holds the model: free it before the next model's peak memory
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return result


def check_full_configs() -> dict[str, dict[str, int]]:
    """Build the full-size models on the meta device: every config key is real, and the sizes."""
    import diffusers

    counts = {}
    with torch.device("meta"):
        for name, spec in MODELS.items():
            counts[name] = {f"{part}_params": params(getattr(diffusers, spec[part][0])(**spec[part][1]))
                            for part in ("transformer", "vae")}
            print(f"{spec['label']} (full size, meta device): transformer "
                  f"{billions(counts[name]['transformer_params'])} params (published "
                  f"{spec['published_transformer_params_b']} B), VAE {billions(counts[name]['vae_params'])}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["ltx", "wan", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3, help="timed calls per model and mode")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"denoising steps (default 50; {SMOKE_STEPS} with --smoke)")
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled variants")
    parser.add_argument("--no-fast", action="store_true",
                        help="skip the fast variants (the platform's cache hooks)")
    parser.add_argument("--compile-mode", default="default",
                        help='torch.compile mode, e.g. "max-autotune-no-cudagraphs" (much longer to compile)')
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, float32, any device")
    args = parser.parse_args()
    if args.runs < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--runs and --steps must be at least 1")
    if not torch.cuda.is_available() and not args.smoke:
        print("generation_gpu.py needs a CUDA GPU (H100/H200 class) and torch.cuda.is_available() is False "
              "here. Run it on a GPU machine, or pass --smoke for the tiny CPU check of the code path.",
              file=sys.stderr)
        sys.exit(2)
    args.steps = args.steps or (SMOKE_STEPS if args.smoke else 50)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float32 if args.smoke else torch.bfloat16
    names = ["ltx", "wan"] if args.model == "all" else [args.model]

    import diffusers

    cached, fast_specs = project()
    full_sizes = check_full_configs() if args.smoke else None
    metrics = {name: run_model(name, args, device, dtype, cached, None if args.no_fast else fast_specs[name])
               for name in names}

    ratios: dict[str, float] = {}
    print(f"\n{'model / variant':<22}{'clip s':>9}{'denoise s':>11}{'step ms':>9}{'decode s':>10}"
          f"{'peak GiB':>10}{'warm-up s':>11}{'speed-up':>10}{'PSNR dB':>9}{'SSIM':>8}{'computed':>10}")
    for name, result in metrics.items():
        for key in VARIANTS:
            if key not in result:
                continue
            m = result[key]
            quality = m.get("vs_eager", {})
            print(f"{name + ' ' + LABELS[key]:<22}{m['clip_median_s']:>9.3f}{m['denoise_median_s']:>11.3f}"
                  f"{m['per_step_ms']:>9.1f}{m['decode_median_s']:>10.3f}"
                  f"{'n/a' if m['peak_memory_gib'] is None else m['peak_memory_gib']:>10}"
                  f"{m['warmup_s']:>11.2f}{m.get('speedup_vs_eager', 1.0):>10.3f}"
                  f"{quality.get('psnr_db', '-'):>9}{quality.get('ssim', '-'):>8}"
                  f"{m.get('computed_share', '-'):>10}"
                  + ("" if m["output_finite"] else "  (non-finite output)")
                  + (f"  ({m['graphs_compiled_in_timed_runs']} graphs compiled in the timed runs)"
                     if m["graphs_compiled_in_timed_runs"] else "")
                  + (f"  (recompile limit hit: {', '.join(m['recompile_limit_hit'])})"
                     if m["recompile_limit_hit"] else ""))
        for key in VARIANTS[1:]:
            if key in result:
                ratios[f"{name} eager / {LABELS[key]} (clip)"] = result[key]["speedup_vs_eager"]
        best = result.get("compiled", result["eager"])  # the fastest at full quality
        published = PUBLISHED[name]
        ratios[f"{name} eager / published ({published['gpu']})"] = round(
            result["eager"]["clip_median_s"] / published["clip_s"], 3)
        for key in VARIANTS[1:]:
            if key in result:
                ratios[f"{name} {LABELS[key]} / published ({published['gpu']})"] = round(
                    result[key]["clip_median_s"] / published["clip_s"], 3)
        if "steps_assumed" in published:  # our per-step time at the published step count, plus our decode
            estimate = (best["per_step_ms"] * published["steps_assumed"] / 1000 + best["decode_median_s"]
                        + best["postprocess_median_s"])
            best[f"clip_at_{published['steps_assumed']}_steps_estimate_s"] = round(estimate, 3)
            ratios[f"{name} at {published['steps_assumed']} steps (estimate) / published"] = round(
                estimate / published["clip_s"], 3)
        print(f"{name}: published {published['clip_s']} s on {published['gpu']} ({published['clip']})")
    for key, value in ratios.items():
        print(f"  {key}: {value}")

    def described(name: str) -> dict[str, Any]:
        spec = MODELS[name]
        return {"label": spec["label"], "pipeline": spec["pipeline"], "fps": spec["fps"],
                "clip": merged(spec, SMOKE[name] if args.smoke else None)["clip"],
                "configs": {part: {"class": spec[part][0], **spec[part][1]}
                            for part in ("transformer", "vae", "scheduler")},
                "text_embeds": spec["text"]}

    workload = {
        "models": {name: described(name) for name in names},
        "steps": args.steps, "runs": args.runs, "warmup_steps": WARMUP_STEPS, "output_type": "np",
        "dtype": str(dtype).removeprefix("torch."), "attention": "diffusers' default processors (torch SDPA)",
        "compile": None if args.no_compile else {
            "target": "the transformer's repeated blocks (compile_repeated_blocks), as in "
                      "generation/pipelines.py",
            "mode": args.compile_mode, "fullgraph": {"compiled": True, "compiled + fast": False}},
        "fast": None if args.no_fast else {
            name: {"spec": fast_specs[name], "constant": f"generation.presets.{FAST_SPECS[name][0]}",
                   "preset": FAST_SPECS[name][1]} for name in names},
        "fast_hook": "generation.fast.cached(pipeline, spec), enabled and removed around every call",
        "quality": {"reference": "the eager output, same seed", "psnr": "whole clip, data_range 1.0, "
                    f"{PSNR_CAP} when identical", "ssim": "mean over frames, channel_axis=-1, data_range 1.0",
                    "library": "scikit-image", "note": "random weights: how much the computation changes, "
                    "not perceived quality"},
        "weights": "random (torch.manual_seed(0)), cast like from_pretrained(torch_dtype)",
        "text_encoders": "skipped: random prompt_embeds / negative_prompt_embeds",
        "smoke": args.smoke, "smoke_sizes": SMOKE if args.smoke else None, "full_size_check": full_sizes,
    }
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
               "torch": torch.__version__, "diffusers": diffusers.__version__, "cuda": torch.version.cuda,
               "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}
    result = {"benchmark": "generation_gpu", "date": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": machine, "workload": workload, "metrics": metrics,
              "baseline": {"name": "published figures", "metrics": {n: PUBLISHED[n] for n in names}},
              "ratios": ratios}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("generation_gpu_smoke.json" if args.smoke else "generation_gpu.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
