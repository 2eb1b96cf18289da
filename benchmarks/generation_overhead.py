"""Generation: what the platform adds around the pipeline, against calling it directly.

Workload: the default demo render, a 4 s 256x256 clip (97 frames, 24 fps, 20 steps) from
`tiny-ltx-video`, the same seed every time.

- baseline: the pipeline called directly in this process (loaded once, one warm-up call);
- ours: the job submitted through the service and run by a real Celery worker process
  (prefork, one child, the `gpu` queue) on the embedded Valkey, until its asset is stored;
  timed from before submit to the job's finished_at, set when its asset is stored.
  A warm-up job first, so the worker has built and loaded the pipeline.

Reported: end-to-end medians and their ratio, where the extra time goes (the job's own phase
timings: queue, load, render, store), queue latency with an idle worker (submit to running),
and throughput with jobs submitted back to back.

    .venv/bin/python benchmarks/generation_overhead.py [--runs 7]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import django_environment, write_result

PARAMS: dict[str, Any] = {
    "kind": "video", "preset": "tiny-ltx-video", "prompt": "a lighthouse at dusk, waves on rocks",
    "width": 256, "height": 256, "frames": 97, "fps": 24, "steps": 20, "seed": 1234}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="at most 16 (the pro plan's jobs at a time)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["GENERATION_MODELS_DIR"] = str(Path(tmp.name) / "models")
    os.environ["MEDIA_ROOT"] = str(Path(tmp.name) / "media")
    with django_environment():
        from django.utils import timezone

        from accounts.services import user_signup
        from generation.models import FINISHED, Job, JobStatus
        from generation.pipelines import pipeline_load
        from generation.presets import preset_get
        from generation.runner import RenderRequest, render
        from generation.services import job_submit
        from projects.services import project_create
        from tests.servers import CeleryWorker

        # The baseline: the pipeline in this process.
        preset = preset_get(PARAMS["preset"])
        pipeline = pipeline_load(preset)  # builds the tiny preset into the models dir, once
        request = RenderRequest(preset=preset, prompt=PARAMS["prompt"], seed=PARAMS["seed"],
                                width=PARAMS["width"], height=PARAMS["height"], frames=PARAMS["frames"],
                                steps=PARAMS["steps"])
        render(pipeline, request)  # warm-up
        direct = []
        for _ in range(args.runs):
            started = time.perf_counter()
            render(pipeline, request)
            direct.append(time.perf_counter() - started)
        del pipeline

        user = user_signup(username="bench", email="bench@example.com", password="a-long-bench-password")
        user.plan = "pro"  # room for the back-to-back batch (quotas allow 8 jobs at a time)
        user.save(update_fields=["plan"])
        project = project_create(user=user, name="Overhead")
        worker = CeleryWorker.start(Path(tmp.name) / "worker.log", queues="gpu")  # (models, media: env)
        try:
            def through_platform() -> tuple[float, Job]:
                """Submit to done, by the clock: the job's finished_at (set in the transaction that
                stores its asset) minus the time before submit; polling slowly keeps this process
                off the CPU the worker renders on."""
                started = timezone.now()
                job = job_submit(project=project, user=user, **PARAMS)
                while Job.objects.values_list("status", flat=True).get(pk=job.pk) not in FINISHED:
                    time.sleep(0.1)
                job.refresh_from_db()
                assert job.status == JobStatus.SUCCEEDED and job.finished_at, job.error
                return (job.finished_at - started).total_seconds(), job

            through_platform()  # warm-up: the worker loads the pipeline
            runs = [through_platform() for _ in range(args.runs)]
            # Throughput: jobs submitted back to back, all at once.
            started = time.perf_counter()
            batch = [job_submit(project=project, user=user, **PARAMS).pk for _ in range(args.runs)]
            while Job.objects.filter(pk__in=batch, status__in=FINISHED).count() < len(batch):
                time.sleep(0.02)
            assert Job.objects.filter(pk__in=batch, status=JobStatus.SUCCEEDED).count() == len(batch)
            batch_s = time.perf_counter() - started
        finally:
            worker.stop()

        ours = [elapsed for elapsed, _ in runs]
        phases = {name: median([job.timings[name] for _, job in runs])
                  for name in ("queue_s", "load_s", "render_s", "store_s")}
        metrics = {
            "end_to_end_median_s": median(ours),
            "end_to_end_s": [round(x, 3) for x in ours],
            "phases_median_s": phases,
            "queue_latency_p50_ms": round(phases["queue_s"] * 1000, 1),
            "unaccounted_median_s": round(median(ours) - sum(phases.values()), 3),
            "throughput_jobs_per_min": round(60 * len(batch) / batch_s, 1),
        }
        baseline = {"render_median_s": median(direct), "render_s": [round(x, 3) for x in direct]}
        # The store phase encodes the outputs (MP4, WebP, PNG, JPEG) and signs them (C2PA), which
        # the baseline does not do; without it, what is left is the platform's own overhead.
        ratios = {"end_to_end / direct render": round(median(ours) / median(direct), 3),
                  "(end_to_end - store) / direct render": round(
                      (median(ours) - phases["store_s"]) / median(direct), 3)}
        write_result("generation_overhead", {**PARAMS, "runs": args.runs,
                                             "worker": "celery prefork, 1 child, queue gpu, embedded Valkey",
                                             "device": "cpu"},
                     metrics, "the pipeline called directly (same process, loaded once)", baseline, ratios)
        print(f"direct render      median {median(direct):.3f} s   {baseline['render_s']}")
        print(f"through platform   median {median(ours):.3f} s   {metrics['end_to_end_s']}")
        print(f"ratio              {ratios['end_to_end / direct render']:.2f} "
              f"({ratios['(end_to_end - store) / direct render']:.2f} without encoding the outputs)")
        print(f"phases (median)    {phases}   not in a phase: {metrics['unaccounted_median_s']} s")
        print(f"queue latency p50  {metrics['queue_latency_p50_ms']} ms (idle worker)")
        print(f"throughput         {metrics['throughput_jobs_per_min']} jobs/min (one worker child)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
