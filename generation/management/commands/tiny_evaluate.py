"""`manage.py tiny_evaluate`: render held-out prompts with Storyloom Tiny and with a random-weight
preset (the baseline, same prompts, same run), read the clips back, and write the scores to
benchmarks/results/tiny_evaluate.json."""

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from generation.pipelines import WeightsMissing, pipeline_load
from generation.presets import preset_get
from generation.runner import RenderRequest, render
from generation.storyloom_tiny import evaluation, model

OUT = Path(settings.BASE_DIR) / "benchmarks" / "results" / "tiny_evaluate.json"


class Command(BaseCommand):
    help = "Score Storyloom Tiny's renders of held-out prompts against a random-weight baseline."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--preset", default="storyloom-tiny")
        parser.add_argument("--baseline", default="tiny-ltx-video", help="the random-weight preset compared")
        parser.add_argument("--per-combo", type=int, default=4, help="clips per (colour, shape, motion)")
        parser.add_argument("--steps", type=int, default=0, help="denoising steps (default: the preset's)")
        parser.add_argument("--combinations", type=int, default=None,
                            help="only the first N combinations of each set (a quick look; default: all)")
        parser.add_argument("--out", type=Path, default=OUT)

    def handle(self, *args: Any, preset: str, baseline: str, per_combo: int, steps: int,
               combinations: int | None, out: Path, **options: Any) -> None:
        if combinations is not None and combinations < 1:
            raise CommandError("--combinations must be 1 or more")
        sets = {"held_out": per_combo, "seen": per_combo, "new_wordings": max(1, per_combo // 2)}
        try:
            metrics = self._run(preset, sets, steps, combinations)
            baseline_metrics = self._run(baseline, {"held_out": per_combo}, steps, combinations)
        except (KeyError, WeightsMissing) as exc:
            raise CommandError(str(exc)) from exc
        held, base = metrics["held_out"], baseline_metrics["held_out"]
        result = {
            "benchmark": "tiny_evaluate",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "system": platform.platform(), "torch_threads": torch.get_num_threads()},
            "workload": {"preset": preset, "size": model.SIZE, "frames": model.FRAMES, "per_combo": per_combo,
                         "held_out_combinations": len(sorted(evaluation.data.HELD_OUT)[:combinations]),
                         "steps": steps or preset_get(preset).steps},
            "metrics": metrics,
            "baseline": {"name": baseline, "metrics": baseline_metrics},
            "targets": evaluation.TARGETS,
            "met": {name: held[name] >= target for name, target in evaluation.TARGETS.items()},
            "ratios": {name: round(held[name] / base[name], 2) if base[name] else None
                       for name in evaluation.TARGETS},
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        self.stdout.write(f"{'':14}{'colour':>8}{'motion':>8}{'shape':>8}   clips  s/clip")
        for name, scores in (*((f"{preset[:8]} {k[:12]}", v) for k, v in metrics.items()),
                             (f"{baseline[:8]} held", base)):
            self.stdout.write(f"{name:14}{scores['colour']:8.1%}{scores['motion']:8.1%}{scores['shape']:8.1%}"
                              f"{scores['clips']:8}{scores['seconds_per_clip']:8.2f}")
        self.stdout.write(f"targets {evaluation.TARGETS} met on held-out prompts: {result['met']}")
        self.stdout.write(f"written to {out}")

    def _run(self, name: str, sets: dict[str, int], steps: int, combinations: int | None) -> dict[str, Any]:
        """Each prompt set's scores; for Storyloom Tiny also its VAE's reconstructions of the
        held-out clips (what the renders cannot do better than)."""
        preset = preset_get(name)
        started = time.monotonic()
        pipeline = pipeline_load(preset)
        self.stdout.write(f"{name}: loaded in {time.monotonic() - started:.1f} s")

        def render_case(case: evaluation.Case) -> np.ndarray:
            request = RenderRequest(preset=preset, prompt=case.prompt, seed=case.seed, width=model.SIZE,
                                    height=model.SIZE, frames=model.FRAMES, steps=steps)
            return render(pipeline, request)

        def progress(prompt_set: str, done: int) -> None:
            if done % 20 == 0:
                self.stdout.write(f"  {name} {prompt_set}: {done} clips")

        results = evaluation.evaluate(render_case, sets, progress, combinations)
        if preset.tiny == "storyloom":
            results["vae_reconstruction"] = evaluation.evaluate(
                evaluation.vae_roundtrip(pipeline.vae), {"held_out": sets["held_out"]},
                combinations=combinations)["held_out"]
        return results
