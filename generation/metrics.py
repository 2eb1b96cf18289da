"""Renders' metrics (kernel.metrics): how long each phase of a job takes by preset, how jobs end,
and the GPU's memory."""

from kernel.metrics import counter, gauge, histogram

job_phase_seconds = histogram("job_phase_seconds",
                              "Seconds a render spends queued, loading its model, rendering and storing.",
                              ("preset", "phase"))
jobs_finished = counter("jobs_finished", "Renders ended, by preset and status.", ("preset", "status"))
gpu_memory_bytes = gauge("gpu_memory_bytes",
                         "GPU memory held by torch in a worker process, after its last job.",
                         ("device", "kind"), mode="liveall")


def job_measured(*, preset: str, status: str, timings: dict[str, float]) -> None:
    """Record a finished job: its status, and the phases it went through (`<phase>_s` timings)."""
    jobs_finished.labels(preset, status).inc()
    for key, seconds in timings.items():
        if key.endswith("_s"):
            job_phase_seconds.labels(preset, key[:-2]).observe(seconds)


def gpu_measured() -> None:
    import torch

    if not torch.cuda.is_available():
        return
    for device in range(torch.cuda.device_count()):
        gpu_memory_bytes.labels(str(device), "allocated").set(torch.cuda.memory_allocated(device))
        gpu_memory_bytes.labels(str(device), "reserved").set(torch.cuda.memory_reserved(device))
