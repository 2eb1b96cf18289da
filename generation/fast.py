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

# Hooks that decide by the pipeline's current timestep are told where to read it.
_TIMESTEP_AWARE = {"pyramid_attention", "faster"}


def _config_classes() -> dict[str, Any]:
    from diffusers import (
        FasterCacheConfig,
        FirstBlockCacheConfig,
        PyramidAttentionBroadcastConfig,
        TaylorSeerCacheConfig,
    )

    return {"first_block": FirstBlockCacheConfig, "pyramid_attention": PyramidAttentionBroadcastConfig,
            "faster": FasterCacheConfig, "taylorseer": TaylorSeerCacheConfig}


def cache_names() -> tuple[str, ...]:
    return tuple(_config_classes())


def cache_config(pipeline: Any, spec: dict[str, Any]) -> Any:
    """The diffusers cache configuration `spec` describes, bound to `pipeline`."""
    options = dict(spec)
    name = options.pop("cache", None)
    classes = _config_classes()
    if name not in classes:
        raise ValueError(f"unknown cache {name!r}; known: {', '.join(classes)}")
    if name in _TIMESTEP_AWARE:
        options["current_timestep_callback"] = lambda: pipeline.current_timestep
    for key in ("spatial_attention_timestep_skip_range", "temporal_attention_timestep_skip_range",
                "cross_attention_timestep_skip_range"):  # (JSON has lists; the hooks want tuples)
        if key in options:
            options[key] = tuple(options[key])
    return classes[name](**options)


def supports_fast(pipeline: Any) -> bool:
    """Whether the pipeline's transformer takes diffusers' cache hooks."""
    from diffusers.models.cache_utils import CacheMixin

    return isinstance(getattr(pipeline, "transformer", None), CacheMixin)


@contextmanager
def cached(pipeline: Any, spec: dict[str, Any]) -> Iterator[None]:
    """The pipeline's transformer with the cache `spec` describes, for the length of the block."""
    transformer = pipeline.transformer
    if transformer.is_cache_enabled:  # (a call that died without cleaning up: start clean)
        transformer.disable_cache()
    transformer.enable_cache(cache_config(pipeline, spec))
    try:
        yield
    finally:
        transformer.disable_cache()
