"""Generation: what the platform adds around the pipeline, against calling it directly.

Workloads, the same seed every time:
- `tiny-ltx-video`: the issue's demo render, a 4 s 256x256 clip (97 frames, 24 fps, 20 steps),
  random weights: its frames are coloured noise, the costliest thing to encode;
- `storyloom-tiny`: what `make up` renders by default, a 2 s clip (17 frames at 8 fps, 20 steps,
  rendered at 64x64 and resized to 256x256): flat shapes on a background.

- baseline: the pipeline called directly in this process (loaded once, one warm-up call);
- ours: the job submitted through the service and run by a real Celery worker process
  (prefork, one child, the `gpu` queue) on the embedded Valkey, until its asset is stored;
  timed from before submit to the job's finished_at, set when its asset is stored.
  A warm-up job first, so the worker has built and loaded the pipeline.

Reported: end-to-end medians and their ratio, where the extra time goes (the job's own phase
timings: queue, load, render, store), queue latency with an idle worker (submit to running),
throughput with jobs submitted back to back, and the CPU seconds a render and its outputs
(encoding and signing the four files) take, measured in this process with its ffmpeg children:
with every core busy rendering, storing cannot overlap anything, so the ratio cannot fall below
(render + storing's CPU spread over the cores) / render.

    .venv/bin/python benchmarks/generation_overhead.py [--runs 7] [--preset NAME]
"""

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import django_environment, write_result

WORKLOADS: dict[str, dict[str, Any]] = {
    "tiny-ltx-video": {
        "kind": "video", "preset": "tiny-ltx-video", "prompt": "a lighthouse at dusk, waves on rocks",
        "width": 256, "height": 256, "frames": 97, "fps": 24, "steps": 20, "seed": 1234},
    "storyloom-tiny": {
        "kind": "video", "preset": "storyloom-tiny",
        "prompt": "a yellow square moves to the right on a dark background",
        "width": 256, "height": 256, "frames": 17, "fps": 8, "steps": 20, "seed": 1234},
}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def cpu_seconds() -> float:
    """CPU this process and its waited-for children (ffmpeg) have used."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def direct(params: dict[str, Any], runs: int) -> dict[str, Any]:
    """The baseline: the pipeline in this process; then the CPU its outputs cost to store."""
    from generation.media import encode_outputs
    from generation.pipelines import pipeline_load
    from generation.presets import preset_get
    from generation.provenance import Facts, embed
    from generation.runner import RenderRequest, render

    preset = preset_get(params["preset"])
    pipeline = pipeline_load(preset)  # builds the tiny preset into the models dir, once
    request = RenderRequest(preset=preset, prompt=params["prompt"], seed=params["seed"],
                            width=params["width"], height=params["height"], frames=params["frames"],
                            steps=params["steps"])
    frames = render(pipeline, request)  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = cpu_seconds(), time.perf_counter()
        render(pipeline, request)
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu)
    facts = Facts(preset=preset.name, seed=params["seed"], prompt_sha256="0" * 64, project_id=1,
                  project_name="Overhead", authors=["bench"], job_id="bench", kind="video")
    store_walls, store_cpus = [], []
    for _ in range(runs):
        cpu, started = cpu_seconds(), time.perf_counter()
        files = encode_outputs(frames, params["fps"])
        for encoded in files.values():
            embed(encoded.data, encoded.mime, facts, title=params["prompt"])
        store_walls.append(time.perf_counter() - started)
        store_cpus.append(cpu_seconds() - cpu)
    return {"render_median_s": median(walls), "render_s": [round(x, 3) for x in walls],
            "render_cpu_s": median(cpus), "outputs_wall_s": median(store_walls),
            "outputs_cpu_s": median(store_cpus)}


def through_platform(params: dict[str, Any], runs: int, project: Any, user: Any) -> dict[str, Any]:
    from django.utils import timezone

    from generation.models import FINISHED, Job, JobStatus
    from generation.services import job_submit

    def one() -> tuple[float, Job]:
        """Submit to done, by the clock: the job's finished_at (set in the transaction that
        stores its asset) minus the time before submit; polling slowly keeps this process
        off the CPU the worker renders on."""
        started = timezone.now()
        job = job_submit(project=project, user=user, **params)
        while Job.objects.values_list("status", flat=True).get(pk=job.pk) not in FINISHED:
            time.sleep(0.1)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.finished_at, job.error
        return (job.finished_at - started).total_seconds(), job

    one()  # warm-up: the worker loads the pipeline
    done = [one() for _ in range(runs)]
    # Throughput: jobs submitted back to back, all at once.
    started = time.perf_counter()
    batch = [job_submit(project=project, user=user, **params).pk for _ in range(runs)]
    while Job.objects.filter(pk__in=batch, status__in=FINISHED).count() < len(batch):
        time.sleep(0.02)
    assert Job.objects.filter(pk__in=batch, status=JobStatus.SUCCEEDED).count() == len(batch)
    batch_s = time.perf_counter() - started
    ends = [elapsed for elapsed, _ in done]
    phases = {name: median([job.timings[name] for _, job in done])
              for name in ("queue_s", "load_s", "render_s", "store_s")}
    return {"end_to_end_median_s": median(ends), "end_to_end_s": [round(x, 3) for x in ends],
            "phases_median_s": phases, "queue_latency_p50_ms": round(phases["queue_s"] * 1000, 1),
            "unaccounted_median_s": round(median(ends) - sum(phases.values()), 3),
            "throughput_jobs_per_min": round(60 * len(batch) / batch_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="at most 16 (the pro plan's jobs at a time)")
    parser.add_argument("--preset", choices=sorted(WORKLOADS), action="append",
                        help="only this workload (repeatable; default: all)")
    args = parser.parse_args()
    chosen = {name: WORKLOADS[name] for name in (args.preset or WORKLOADS)}
    tmp = tempfile.TemporaryDirectory()
    os.environ["GENERATION_MODELS_DIR"] = str(Path(tmp.name) / "models")
    os.environ["MEDIA_ROOT"] = str(Path(tmp.name) / "media")
    with django_environment():
        from accounts.services import user_signup
        from projects.services import project_create
        from tests.servers import CeleryWorker

        baseline = {name: direct(params, args.runs) for name, params in chosen.items()}
        user = user_signup(username="bench", email="bench@example.com", password="a-long-bench-password")
        user.plan = "pro"  # room for the back-to-back batch (quotas allow 8 jobs at a time)
        user.save(update_fields=["plan"])
        project = project_create(user=user, name="Overhead")
        worker = CeleryWorker.start(Path(tmp.name) / "worker.log", queues="gpu")  # (models, media: env)
        try:
            metrics = {name: through_platform(params, args.runs, project, user)
                       for name, params in chosen.items()}
        finally:
            worker.stop()

        cores = os.cpu_count() or 1
        ratios = {}
        for name in chosen:
            ours, base = metrics[name], baseline[name]
            render_s = base["render_median_s"]
            # The phases' store is encoding, signing and the transaction: without it, what is
            # left is the platform's own overhead.
            ratios[name] = {
                "end_to_end / direct render": round(ours["end_to_end_median_s"] / render_s, 3),
                "(end_to_end - store) / direct render": round(
                    (ours["end_to_end_median_s"] - ours["phases_median_s"]["store_s"]) / render_s, 3),
                "outputs CPU / render CPU": round(base["outputs_cpu_s"] / base["render_cpu_s"], 3),
                "lowest possible with every core busy": round(
                    (render_s + base["outputs_cpu_s"] / cores) / render_s, 3),
            }
        write_result("generation_overhead",
                     {"workloads": chosen, "runs": args.runs, "cores": cores,
                      "worker": "celery prefork, 1 child, queue gpu, embedded Valkey", "device": "cpu"},
                     metrics, "the pipeline called directly (same process, loaded once)", baseline, ratios)
        for name in chosen:
            ours, base, ratio = metrics[name], baseline[name], ratios[name]
            print(f"--- {name}")
            print(f"direct render      median {base['render_median_s']:.3f} s   {base['render_s']}")
            print(f"through platform   median {ours['end_to_end_median_s']:.3f} s   {ours['end_to_end_s']}")
            print(f"ratio              {ratio['end_to_end / direct render']:.2f} "
                  f"({ratio['(end_to_end - store) / direct render']:.2f} without storing the outputs)")
            print(f"phases (median)    {ours['phases_median_s']}   "
                  f"not in a phase: {ours['unaccounted_median_s']} s")
            print(f"CPU                render {base['render_cpu_s']:.3f} s, "
                  f"outputs {base['outputs_cpu_s']:.3f} s "
                  f"({base['outputs_wall_s']:.3f} s wall): lowest ratio on {cores} busy cores "
                  f"{ratio['lowest possible with every core busy']:.2f}")
            print(f"queue latency p50  {ours['queue_latency_p50_ms']} ms (idle worker)")
            print(f"throughput         {ours['throughput_jobs_per_min']} jobs/min (one worker child)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
