"""Generation on a GPU: LTX-Video and Wan 2.1 T2V 1.3B, the real architectures with random weights.

Each model is built from its published configuration (written out below; nothing is downloaded),
cast to bf16 the way `from_pretrained(torch_dtype=...)` casts it, and run through its real
diffusers pipeline (LTXPipeline, WanPipeline) with its published scheduler. The T5 text encoders
are skipped: random `prompt_embeds` / `negative_prompt_embeds` of T5-XXL's shape go in instead.

Workload: a 5 s 768x512 clip at each model's native frame rate (LTX-Video 121 frames at 24 fps,
Wan 81 frames at 16 fps), 50 steps, classifier-free guidance as published (3.0, 5.0), output
as numpy frames. Per model: a warm-up call (2 steps), then --runs timed calls, eager (SDPA
through diffusers' default attention processors), then again with the transformer compiled
(`torch.compile`; the first compiled call, which compiles, is reported separately). Reported:
the median wall time of the whole pipeline call (denoise + VAE decode), per-step time, VAE decode
time, peak GPU memory. Baseline: the published figures (LTX-Video: 5 s of 768x512 video at 24
fps in about 2 s on one H100); ratios: ours / published and eager / compiled.

    .venv/bin/python benchmarks/generation_gpu.py [--model ltx|wan|all] [--runs 3] [--steps 50]
        [--no-compile] [--compile-mode default] [--smoke]

It needs a CUDA GPU (H100/H200 class) and exits with status 2 without one. --smoke runs the same
code path with tiny layers and a small clip in float32 on whatever device there is (a CPU is
enough), checks every full-size configuration on the meta device, and writes
results/generation_gpu_smoke.json instead of results/generation_gpu.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_STEPS = 2

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


def call(pipe: Any, inputs: dict[str, Any], steps: int, timer: DecodeTimer,
         device: torch.device) -> dict[str, Any]:
    sync(device)
    started = time.perf_counter()
    video = pipe(**inputs, num_inference_steps=steps, output_type="np", return_dict=False,
                 generator=torch.Generator(device=device).manual_seed(0))[0]
    sync(device)
    total = time.perf_counter() - started
    denoise = timer.started - started  # from the call to the decode: embeds, latents, the steps
    return {"clip_s": total, "denoise_s": denoise, "decode_s": timer.seconds,
            "other_s": total - denoise - timer.seconds, "finite": bool(np.isfinite(video).all()),
            "shape": list(np.shape(video))}


def measure(pipe: Any, inputs: dict[str, Any], steps: int, runs: int, timer: DecodeTimer,
            device: torch.device) -> dict[str, Any]:
    """A warm-up call (WARMUP_STEPS steps: compiles when compiled), then `runs` timed calls."""
    warmup = call(pipe, inputs, WARMUP_STEPS, timer, device)["clip_s"]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    samples = [call(pipe, inputs, steps, timer, device) for _ in range(runs)]

    def med(key: str) -> float:
        return round(statistics.median(s[key] for s in samples), 3)

    return {"clip_median_s": med("clip_s"), "clip_s": [round(s["clip_s"], 3) for s in samples],
            "denoise_median_s": med("denoise_s"),
            "per_step_ms": round(1000 * statistics.median(s["denoise_s"] for s in samples) / steps, 1),
            "decode_median_s": med("decode_s"), "postprocess_median_s": med("other_s"),
            "warmup_s": round(warmup, 3), "warmup_steps": WARMUP_STEPS,
            "peak_memory_gib": (round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
                                if device.type == "cuda" else None),
            "output_finite": all(s["finite"] for s in samples), "output_shape": samples[0]["shape"],
            "graphs_compiled_in_timed_runs": torch._dynamo.utils.counters["stats"]["unique_graphs"] - graphs}


def run_model(name: str, args: argparse.Namespace, device: torch.device,
              dtype: torch.dtype) -> dict[str, Any]:
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
    result["eager"] = measure(pipe, inputs, args.steps, args.runs, timer, device)
    if not args.no_compile:
        pipe.transformer.compile(mode=args.compile_mode)
        result["compiled"] = measure(pipe, inputs, args.steps, args.runs, timer, device)
    del pipe, timer
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
                        help="denoising steps (default 50; 4 with --smoke)")
    parser.add_argument("--no-compile", action="store_true", help="eager only")
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
    args.steps = args.steps or (4 if args.smoke else 50)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float32 if args.smoke else torch.bfloat16
    names = ["ltx", "wan"] if args.model == "all" else [args.model]

    import diffusers

    full_sizes = check_full_configs() if args.smoke else None
    metrics = {name: run_model(name, args, device, dtype) for name in names}

    ratios: dict[str, float] = {}
    print(f"\n{'model / mode':<26}{'clip s':>9}{'denoise s':>11}{'step ms':>9}{'decode s':>10}"
          f"{'peak GiB':>10}{'warm-up s':>11}")
    for name, result in metrics.items():
        for mode in ("eager", "compiled"):
            if mode in result:
                m = result[mode]
                print(f"{name + ' ' + mode:<26}{m['clip_median_s']:>9.3f}{m['denoise_median_s']:>11.3f}"
                      f"{m['per_step_ms']:>9.1f}{m['decode_median_s']:>10.3f}"
                      f"{'n/a' if m['peak_memory_gib'] is None else m['peak_memory_gib']:>10}"
                      f"{m['warmup_s']:>11.2f}"
                      + ("" if m["output_finite"] else "  (non-finite output)"))
        best = result.get("compiled", result["eager"])
        if "compiled" in result:
            ratios[f"{name} eager / compiled (clip)"] = round(
                result["eager"]["clip_median_s"] / result["compiled"]["clip_median_s"], 3)
        published = PUBLISHED[name]
        ratios[f"{name} eager / published ({published['gpu']})"] = round(
            result["eager"]["clip_median_s"] / published["clip_s"], 3)
        if "compiled" in result:
            ratios[f"{name} compiled / published ({published['gpu']})"] = round(
                best["clip_median_s"] / published["clip_s"], 3)
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
        "compile": None if args.no_compile else {"target": "transformer", "mode": args.compile_mode},
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
