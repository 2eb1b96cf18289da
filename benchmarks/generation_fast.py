"""Generation: the "fast" render mode (diffusers' cache hooks) and regional torch.compile on the
tiny presets on a CPU, against the normal ("quality") render of the same prompt and seed.

Workload: per preset (storyloom-tiny, tiny-ltx-video, tiny-wan), a fixed list of prompts, each
with its own fixed seed, rendered at the preset's defaults (steps, guidance, frames, size), except
that storyloom-tiny renders at its native 64 x 64, the size its frame analysis reads (no
resize). torch on 2 threads (the machine has 2 cores).

- baseline: "quality", the pipeline with no hook, run side by side in the same process;
- ours: each cache hook of generation/fast.py with one or two settings (first_block at two
  thresholds, pyramid_attention, faster, taylorseer at two intervals, each spec in `CACHES`),
  then the transformer's repeated blocks compiled (`compile_repeated_blocks(fullgraph=True)`,
  inductor with gcc on a CPU) and compiled with the best cache hook on top.

Timing: one warm-up render per variant (for a compiled variant this call compiles and is
reported on its own as `first_call_s`), then --runs rounds over the prompts, the variants taking
turns render by render so that noise from the shared machine hits them alike. Reported: the
median seconds per render (the whole pipeline call: text encoding, denoising, VAE decode, frames
to uint8), the median seconds spent in the transformer per render, and the speed-ups =
quality median / variant median. The compiled variants run in a second phase (after the best
hook is known), again interleaved with a quality render, and their speed-ups are against that
phase's own quality median.

Quality: each variant's frames against the quality frames of the same prompt and seed: PSNR (dB)
over the whole clip (100 when identical) and SSIM (the mean over frames; channel_axis=-1,
data_range=255); the mean and the worst over prompts. For storyloom-tiny also the share of
prompts for which `generation.storyloom_tiny.analysis.read` reads the same colour, motion and
shape from the variant's frames as from the quality frames.

A variant that fails (an error from the hook or from the compiler) or whose hook matches no
module of the transformer is recorded with its error or note and not timed.

Recommended, per preset: among the uncompiled cache variants, the fastest (highest speed-up)
whose mean PSNR is >= 30 dB and mean SSIM >= 0.95, provided it is faster than quality (speed-up
above 1); none if no variant qualifies. Its spec is what `Preset.fast` would hold.

    .venv/bin/python benchmarks/generation_fast.py [--presets storyloom-tiny,tiny-ltx-video,tiny-wan]
        [--runs 3] [--prompts 4] [--no-compile]
"""

import argparse
import logging
import os
import platform
import re
import statistics
import tempfile
import time
import warnings
from typing import Any

import numpy as np
from _harness import RecompileLimits, django_environment, write_result

PRESETS = ("storyloom-tiny", "tiny-ltx-video", "tiny-wan")
# Prompts a preset knows: Storyloom Tiny's are (colour, shape, motion) combinations from its
# training captions (none held out); the random-weight presets' use their tokenizer's words.
# tiny-wan renders take about 6 s (most of it the VAE decode), so it gets two prompts.
PROMPTS: dict[str, tuple[str, ...]] = {
    "storyloom-tiny": (
        "a yellow square moves to the right on a dark background",
        "a red ball rolls to the left over the sea",
        "a blue circle grows on a white background",
        "a green triangle moves up at dusk",
    ),
    "tiny-ltx-video": (
        "a lighthouse at dusk, waves on rocks",
        "a boat on the sea at night",
        "a cat walking in the city street",
        "slowly camera pan over a forest at dawn",
    ),
    "tiny-wan": ("a lighthouse at dusk, waves on rocks", "a boat on the sea at night"),
}
SEED = 1234  # prompt i renders with seed SEED + i
NATIVE = {"storyloom-tiny": 64}  # render at this size (the analysis reads 64 x 64 frames)
THREADS = 2

# The attention and feed-forward modules of LTX-Video's (transformer_blocks.N.attn1, .ff) and
# Wan's (blocks.N.attn1, .ffn) blocks, for TaylorSeer: its default identifiers
# ("^transformer_blocks.*attn" under re.fullmatch) match no module of either.
TAYLORSEER_MODULES = [r"(transformer_)?blocks\.\d+\.(attn\d|ffn?)"]
CACHES: dict[str, dict[str, Any]] = {
    "first_block 0.1": {"cache": "first_block", "threshold": 0.1},
    "first_block 0.2": {"cache": "first_block", "threshold": 0.2},
    "pyramid_attention": {
        "cache": "pyramid_attention",
        "spatial_attention_block_skip_range": 2,
        "spatial_attention_timestep_skip_range": [100, 800],
    },
    # FasterCache's attention reuse alone: its approximation of the unconditional branch (the
    # "faster cfg" variant below) needs the transformer's output as 4-D/5-D latents and the two
    # guidance branches in one batch.
    "faster": {
        "cache": "faster",
        "spatial_attention_block_skip_range": 2,
        "spatial_attention_timestep_skip_range": [-1, 681],
        "is_guidance_distilled": True,
    },
    "faster cfg": {
        "cache": "faster",
        "spatial_attention_block_skip_range": 2,
        "spatial_attention_timestep_skip_range": [-1, 681],
    },
    "taylorseer": {
        "cache": "taylorseer",
        "cache_identifiers": TAYLORSEER_MODULES,
        "cache_interval": 5,
        "disable_cache_before_step": 3,
        "max_order": 1,
    },
    "taylorseer 3": {
        "cache": "taylorseer",
        "cache_identifiers": TAYLORSEER_MODULES,
        "cache_interval": 3,
        "disable_cache_before_step": 4,
        "max_order": 2,
    },
    "taylorseer default": {"cache": "taylorseer"},  # (checks whether its own identifiers apply)
}
QUALITY = "quality"
COMPILED = "compiled"
PSNR_CAP = 100.0
RECOMMEND = {"psnr_mean": 30.0, "ssim_mean": 0.95}


def psnr_ssim(reference: np.ndarray, frames: np.ndarray) -> tuple[float, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if np.array_equal(reference, frames):
        return PSNR_CAP, 1.0
    psnr = min(PSNR_CAP, float(peak_signal_noise_ratio(reference, frames, data_range=255)))
    ssim = statistics.fmean(
        float(structural_similarity(a, b, channel_axis=-1, data_range=255))
        for a, b in zip(reference, frames, strict=True)
    )
    return psnr, ssim


def hooked_modules(transformer: Any) -> int:
    """Modules of the transformer that carry a diffusers hook."""
    return sum(
        1
        for module in transformer.modules()
        if getattr(module, "_diffusers_hook", None) is not None and module._diffusers_hook.hooks
    )


class Variant:
    """One way of rendering: a cache spec or none, compiled blocks or not; its timings and frames."""

    def __init__(self, name: str, spec: dict[str, Any] | None, compiled: str | None = None) -> None:
        self.name, self.spec, self.compiled = name, spec, compiled
        self.seconds: list[float] = []
        self.transformer_seconds: list[float] = []
        self.quality: dict[int, tuple[float, float]] = {}  # prompt index -> (psnr, ssim)
        self.agree: dict[int, bool] = {}
        self.readings: dict[int, list[str | None]] = {}  # (storyloom-tiny) colour, motion, shape
        self.first_call_s: float | None = None
        self.hooked: int | None = None
        self.error: str | None = None
        self.note: str | None = None

    def result(self, baseline_s: float) -> dict[str, Any]:
        out: dict[str, Any] = {"spec": self.spec, "compiled": self.compiled}
        if self.error or self.note:
            return {**out, "error": self.error, "note": self.note, "hooked_modules": self.hooked}
        median_s = statistics.median(self.seconds)
        out.update(
            {
                "median_s": round(median_s, 3),
                "speedup": round(baseline_s / median_s, 3),
                "transformer_median_s": round(statistics.median(self.transformer_seconds), 3),
            }
        )
        if self.quality:  # (none for quality itself)
            psnrs = [p for p, _ in self.quality.values()]
            ssims = [s for _, s in self.quality.values()]
            out.update(
                {
                    "psnr_mean": round(statistics.fmean(psnrs), 2),
                    "psnr_min": round(min(psnrs), 2),
                    "ssim_mean": round(statistics.fmean(ssims), 4),
                    "ssim_min": round(min(ssims), 4),
                }
            )
        out.update({"renders_s": [round(x, 3) for x in self.seconds], "hooked_modules": self.hooked})
        if self.first_call_s is not None:
            out["first_call_s"] = round(self.first_call_s, 2)
        if self.agree:
            out["analysis_agreement"] = round(sum(self.agree.values()) / len(self.agree), 3)
            out["analysis_readings"] = [self.readings[i] for i in sorted(self.readings)]
        return out


class Bench:
    """One preset's pipeline, prompts and variants."""

    def __init__(self, name: str, prompts: tuple[str, ...]) -> None:
        from generation.pipelines import pipeline_for
        from generation.presets import preset_get
        from generation.runner import RenderRequest

        self.name = name
        self.preset = preset_get(name)
        self.pipeline = pipeline_for(self.preset)
        size = NATIVE.get(name, 0)
        self.requests = [
            RenderRequest(self.preset, prompt, SEED + i, width=size, height=size)
            for i, prompt in enumerate(prompts)
        ]
        self.reference: dict[int, np.ndarray] = {}  # prompt index -> the quality frames
        self.readings: dict[int, Any] = {}  # (storyloom-tiny) what analysis reads in them
        self.deterministic = True
        self.blocks = [
            m
            for m in self.pipeline.transformer.modules()
            if m.__class__.__name__ in (self.pipeline.transformer._repeated_blocks or ())
        ]
        self.compiled_impls: dict[str, list[Any]] = {}
        self._in_transformer = 0.0
        self._entered = 0.0
        self.pipeline.transformer.register_forward_pre_hook(self._enter)
        self.pipeline.transformer.register_forward_hook(self._leave)

    def _enter(self, *_: Any) -> None:
        self._entered = time.perf_counter()

    def _leave(self, *_: Any) -> None:
        self._in_transformer += time.perf_counter() - self._entered

    def use_compiled(self, which: str | None) -> None:
        """The blocks' compiled forward (`Module.compile`'s `_compiled_call_impl`) or eager."""
        impls = self.compiled_impls[which] if which else [None] * len(self.blocks)
        for block, impl in zip(self.blocks, impls, strict=True):
            block._compiled_call_impl = impl

    def compile(self, which: str, fullgraph: bool) -> None:
        self.pipeline.transformer.compile_repeated_blocks(fullgraph=fullgraph)
        self.compiled_impls[which] = [block._compiled_call_impl for block in self.blocks]

    def render(self, variant: Variant, index: int) -> tuple[np.ndarray, float, float]:
        from generation.fast import cached
        from generation.runner import render

        self.use_compiled(variant.compiled)
        self._in_transformer = 0.0
        try:
            started = time.perf_counter()
            if variant.spec is None:
                frames = render(self.pipeline, self.requests[index])
            else:
                with cached(self.pipeline, variant.spec):
                    frames = render(self.pipeline, self.requests[index])
            return frames, time.perf_counter() - started, self._in_transformer
        finally:
            self.use_compiled(None)

    def check_hooks(self, variant: Variant) -> None:
        """How many modules the variant's hook lands on (none: the hook does not apply)."""
        from generation.fast import cached

        if variant.spec is None:
            return
        with cached(self.pipeline, variant.spec):
            variant.hooked = hooked_modules(self.pipeline.transformer)
        if not variant.hooked:
            variant.note = "the hook matched no module of the transformer (output unchanged)"

    def warm_up(self, variant: Variant) -> None:
        """One render (the first prompt's); a compiled variant compiles here. Errors recorded."""
        if variant.note:
            return
        try:
            frames, seconds, _ = self.render(variant, 0)
        except Exception as exc:  # the hook or the compiler failing is a result, not a crash
            variant.error = error_text(exc)
            print(f"  {variant.name}: {variant.error[:160]}")
            return
        if variant.compiled:
            variant.first_call_s = seconds
        if variant.name == QUALITY:
            self.reference[0] = frames

    def rounds(self, variants: list[Variant], runs: int) -> None:
        """`runs` rounds over the prompts, the variants taking turns render by render."""
        from generation.storyloom_tiny import analysis

        for _ in range(runs):
            for index in range(len(self.requests)):
                for variant in variants:
                    if variant.error or variant.note:
                        continue
                    try:
                        frames, seconds, in_transformer = self.render(variant, index)
                    except Exception as exc:
                        variant.error = error_text(exc)
                        continue
                    variant.seconds.append(seconds)
                    variant.transformer_seconds.append(in_transformer)
                    if variant.name == QUALITY:
                        if index not in self.reference:
                            self.reference[index] = frames
                        elif not np.array_equal(self.reference[index], frames):
                            self.deterministic = False
                        if self.name == "storyloom-tiny" and index not in self.readings:
                            self.readings[index] = analysis.read(frames)
                    elif index not in variant.quality:
                        variant.quality[index] = psnr_ssim(self.reference[index], frames)
                        if self.name == "storyloom-tiny":
                            reading, truth = analysis.read(frames), self.readings[index]
                            variant.readings[index] = [reading.colour, reading.motion, reading.shape]
                            variant.agree[index] = variant.readings[index] == [
                                truth.colour,
                                truth.motion,
                                truth.shape,
                            ]


def error_text(exc: Exception) -> str:
    """What a failed variant records: the exception's kind and message, up to where it names the
    code it came from (dynamo's "Developer debug context" and "from user code" carry this
    machine's paths and object addresses)."""
    message = " ".join(str(exc).split())
    for cut in (" Developer debug context:", " from user code:"):
        message = message.split(cut, 1)[0]
    return f"{type(exc).__name__}: {re.sub(r' at 0x[0-9a-f]+', '', message)[:600]}"


def recommended(results: dict[str, dict[str, Any]]) -> str | None:
    """The fastest uncompiled cache variant within the quality bounds and faster than quality."""
    eligible = [
        name
        for name, r in results.items()
        if name in CACHES
        and "speedup" in r
        and r["speedup"] > 1.0
        and r["psnr_mean"] >= RECOMMEND["psnr_mean"]
        and r["ssim_mean"] >= RECOMMEND["ssim_mean"]
    ]
    return max(eligible, key=lambda name: results[name]["speedup"]) if eligible else None


def bench_preset(name: str, prompts: tuple[str, ...], runs: int, compile_: bool) -> dict[str, Any]:
    import torch

    bench = Bench(name, prompts)
    print(f"\n{name}: {len(prompts)} prompts, {runs} runs, {len(bench.blocks)} repeated blocks")

    # Phase 1: quality and the cache hooks.
    variants = [Variant(QUALITY, None)] + [Variant(v, spec) for v, spec in CACHES.items()]
    for variant in variants:
        bench.check_hooks(variant)
        bench.warm_up(variant)
    bench.rounds(variants, runs)
    baseline_s = statistics.median(variants[0].seconds)
    results = {v.name: v.result(baseline_s) for v in variants}
    best = recommended(results)

    # Phase 2: the repeated blocks compiled, alone and with the best hook, against quality again.
    compile_info: dict[str, Any] = {"enabled": compile_}
    if compile_:
        torch._dynamo.reset()  # (the blocks of every preset share Module._call_impl's code object)
        limits = RecompileLimits()
        logging.getLogger("torch._dynamo").addHandler(limits)
        phase = [Variant(QUALITY, None), Variant(COMPILED, None, "fullgraph")]
        try:
            bench.compile("fullgraph", fullgraph=True)
        except Exception as exc:
            phase[1].error = error_text(exc)
        bench.warm_up(phase[1])
        if best and not phase[1].error:
            spec = CACHES[best]
            # A hook's Python control flow breaks the graph: try fullgraph=True, record its error,
            # then compile with graph breaks allowed.
            attempt = Variant(f"{COMPILED} + {best}", spec, "fullgraph")
            bench.warm_up(attempt)
            compile_info["fullgraph_with_hook_error"] = attempt.error
            if attempt.error:
                bench.compile("graph breaks", fullgraph=False)
                phase.append(Variant(f"{COMPILED} + {best}", spec, "graph breaks"))
                bench.warm_up(phase[-1])
            else:
                phase.append(attempt)
        bench.rounds(phase, runs)
        compile_baseline_s = statistics.median(phase[0].seconds)
        compile_info["quality_median_s"] = round(compile_baseline_s, 3)
        for variant in phase[1:]:
            results[variant.name] = variant.result(compile_baseline_s)
        bench.use_compiled(None)  # (and nothing later runs compiled)
        torch._dynamo.reset()
        logging.getLogger("torch._dynamo").removeHandler(limits)
        # Functions dynamo stopped recompiling (config.recompile_limit): they ran eagerly after.
        compile_info["recompile_limit_hit"] = sorted(limits.functions)

    out: dict[str, Any] = {
        "prompts": [{"prompt": r.prompt, "seed": r.seed} for r in bench.requests],
        "size": list(bench.requests[0].size),
        "frames": bench.preset.frames,
        "steps": bench.preset.steps,
        "guidance": bench.preset.guidance,
        "quality_deterministic": bench.deterministic,
        "variants": results,
        "compile": compile_info,
        "recommended": {"variant": best, "spec": CACHES[best] if best else None},
    }
    if bench.readings:
        out["quality_readings"] = [[r.colour, r.motion, r.shape] for _, r in sorted(bench.readings.items())]
    return out


def table(name: str, out: dict[str, Any]) -> None:
    print(f"\n{name}  (recommended: {out['recommended']['variant']})")
    print(
        f"  {'variant':32} {'median s':>9} {'speed-up':>9} {'in transformer s':>17} {'PSNR mean/min':>15} "
        f"{'SSIM mean/min':>15} {'agree':>6}"
    )
    for variant, r in out["variants"].items():
        if "median_s" not in r:
            print(f"  {variant:32} {r.get('error') or r.get('note')}"[:160])
            continue
        agree = f"{r['analysis_agreement']:.2f}" if "analysis_agreement" in r else ""
        first = f"  (first call {r['first_call_s']} s)" if "first_call_s" in r else ""
        psnr = f"{r['psnr_mean']:.1f}/{r['psnr_min']:.1f}" if "psnr_mean" in r else "-"
        ssim = f"{r['ssim_mean']:.4f}/{r['ssim_min']:.4f}" if "ssim_mean" in r else "-"
        print(
            f"  {variant:32} {r['median_s']:9.3f} {r['speedup']:9.2f} {r['transformer_median_s']:17.3f} "
            f"{psnr:>15} {ssim:>15} {agree:>6}{first}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated preset names")
    parser.add_argument("--runs", type=int, default=3, help="rounds over the prompts after the warm-ups")
    parser.add_argument("--prompts", type=int, default=4, help="at most this many prompts per preset")
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled variants")
    args = parser.parse_args()
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    unknown = set(presets) - set(PRESETS)
    if unknown:
        parser.error(f"unknown presets {sorted(unknown)}; known: {', '.join(PRESETS)}")

    # A fresh inductor cache, so that a compiled variant's first call compiles from scratch rather
    # than loading what an earlier run left in /tmp/torchinductor_<user>.
    compile_cache = tempfile.TemporaryDirectory(prefix="generation_fast_inductor_")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = compile_cache.name
    import diffusers
    import torch

    torch.set_num_threads(THREADS)
    diffusers.utils.logging.set_verbosity_error()  # (FasterCache's "experimental" warnings)
    warnings.filterwarnings("ignore", category=UserWarning)
    load_before = os.getloadavg()
    started = time.perf_counter()
    with django_environment():
        results = {
            name: bench_preset(name, PROMPTS[name][: args.prompts], args.runs, not args.no_compile)
            for name in presets
        }
        for name, out in results.items():
            table(name, out)
        workload = {
            "presets": presets,
            "runs": args.runs,
            "torch_threads": THREADS,
            "device": "cpu",
            "caches": CACHES,
            "compile": "transformer.compile_repeated_blocks(fullgraph=True), inductor, fresh cache dir",
            "recommend_rule": {**RECOMMEND, "speedup_above": 1.0, "among": "uncompiled cache variants"},
            "psnr_cap_db": PSNR_CAP,
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "cpu_model": cpu_model(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "total_s": round(time.perf_counter() - started, 1),
        }
        baseline = {name: {"median_s": out["variants"][QUALITY]["median_s"]} for name, out in results.items()}
        ratios = {
            name: {v: r["speedup"] for v, r in out["variants"].items() if "speedup" in r}
            for name, out in results.items()
        }
        write_result(
            "generation_fast",
            workload,
            results,
            "the quality render (no hook, eager), same process, same prompts and seeds",
            baseline,
            ratios,
        )
        print(
            f"\ntotal {workload['total_s']} s; load average before {workload['load_average_before']}, "
            f"after {workload['load_average_after']}"
        )
    compile_cache.cleanup()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
