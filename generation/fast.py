"""The "fast" render mode: one of diffusers' cache hooks on the pipeline's transformer for the
length of one call, so that some denoising steps reuse what earlier steps computed.

A preset names its hook and the hook's settings in `Preset.fast`, e.g.
`{"cache": "first_block", "threshold": 0.2}`; an empty `fast` means the preset has no fast mode
(its transformer is not one of diffusers' cache-capable models, or nothing was measured for it).
What each hook gains and loses on the tiny presets is measured by benchmarks/generation_fast.py.

The hooks (diffusers.hooks):
- first_block: First Block Cache (ParaAttention): when the first block's output barely changed
  since the last full step (relative mean difference under `threshold`), the other blocks'
  residual is reused.
- pyramid_attention: Pyramid Attention Broadcast (Zhao et al. 2024, arXiv:2408.12588): attention
  outputs are reused for `spatial_attention_block_skip_range` steps in the middle of the schedule.
- faster: FasterCache (Lv et al. 2024, arXiv:2410.19355): attention reuse with a frequency-aware
  correction, and the unconditional branch of guidance approximated from the conditional one.
- taylorseer: TaylorSeer (Liu et al. 2025, arXiv:2503.06923): features forecast from their
  Taylor expansion over the last full steps.

The pipeline is shared by every job a worker runs, so the hook is removed when the call ends,
however it ends (done, failed, cancelled).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CACHES = ("first_block", "pyramid_attention", "faster", "taylorseer")
# Hooks that decide by the pipeline's current timestep are told where to read it.
_TIMESTEP_AWARE = {"pyramid_attention", "faster"}


def _config_classes() -> dict[str, Any]:
    from diffusers import (
        FasterCacheConfig,
        FirstBlockCacheConfig,
        PyramidAttentionBroadcastConfig,
        TaylorSeerCacheConfig,
    )

    return dict(zip(CACHES, (FirstBlockCacheConfig, PyramidAttentionBroadcastConfig, FasterCacheConfig,
                             TaylorSeerCacheConfig), strict=True))


def cache_config(pipeline: Any, spec: dict[str, Any]) -> Any:
    """The diffusers cache configuration `spec` describes, bound to `pipeline`."""
    import torch

    options = dict(spec)
    name = options.pop("cache", None)
    classes = _config_classes()
    if name not in classes:
        raise ValueError(f"unknown cache {name!r}; known: {', '.join(classes)}")
    if name in _TIMESTEP_AWARE:
        options["current_timestep_callback"] = lambda: pipeline.current_timestep
    for key, value in options.items():  # (JSON has lists and names; the hooks want tuples, dtypes)
        if key.endswith("_range") and isinstance(value, list):  # (a block_skip_range is a number)
            options[key] = tuple(value)
        elif key.endswith("_dtype"):
            options[key] = getattr(torch, value)
    return classes[name](**options)


@contextmanager
def cached(pipeline: Any, spec: dict[str, Any]) -> Iterator[None]:
    """The pipeline's transformer with the cache `spec` describes, for the length of the block."""
    transformer = pipeline.transformer
    transformer.enable_cache(cache_config(pipeline, spec))
    try:
        yield
    finally:
        transformer.disable_cache()
