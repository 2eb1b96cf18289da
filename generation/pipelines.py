"""Loading presets' pipelines, and keeping the loaded ones in a worker process.

Weights load only through `from_pretrained`, from the preset's directory or from the local
Hugging Face cache; nothing is downloaded at run time. Missing weights raise WeightsMissing,
whose message names the preset, the directory and how to provide them. CUDA is touched only
here, lazily, so a forking worker parent never initialises it.
"""

import fcntl
import gc
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from django.conf import settings

from generation.presets import Preset, hub_cached
from generation.tiny import tiny_build, tiny_ready

log = logging.getLogger(__name__)


class WeightsMissing(Exception):
    """A preset's weights are not on this machine."""


def device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def pipeline_load(preset: Preset) -> Any:
    """The preset's pipeline, on this machine's device, ready to call."""
    import diffusers

    source = weights_location(preset)
    pipeline_class = getattr(diffusers, preset.pipeline, None)
    if pipeline_class is None:
        raise WeightsMissing(f'Preset "{preset.name}": diffusers has no pipeline class {preset.pipeline!r}.')
    on_gpu = device() == "cuda"
    dtype = getattr(torch, preset.dtype) if on_gpu else torch.float32
    try:
        pipeline = pipeline_class.from_pretrained(source, dtype=dtype, local_files_only=True)
    except OSError as exc:  # what from_pretrained raises for files it cannot find
        raise WeightsMissing(_missing_message(preset, detail=str(exc).splitlines()[0])) from exc
    if on_gpu:
        if preset.cpu_offload:
            pipeline.enable_model_cpu_offload()
        else:
            pipeline.to("cuda")
        if preset.compile:
            # (the fast mode's hooks break the graph: with them it is compiled in pieces)
            _compile(pipeline.transformer, fullgraph=not preset.fast)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def _compile(transformer: Any, *, fullgraph: bool) -> None:
    """torch.compile the transformer: block by block where diffusers names its repeated blocks
    (regional compilation: one block's code is compiled once and serves every layer, so the
    first call compiles far less), else as a whole."""
    if getattr(transformer, "_repeated_blocks", None):
        transformer.compile_repeated_blocks(fullgraph=fullgraph)
    else:
        transformer.compile(fullgraph=fullgraph)


def weights_location(preset: Preset) -> str:
    """Where from_pretrained should read the preset from: its directory (built first for tiny
    presets), else its hub id when that is in the local Hugging Face cache."""
    directory = preset.directory
    if preset.tiny and not tiny_ready(preset.tiny, directory):
        with _lock(directory):
            if not tiny_ready(preset.tiny, directory):
                log.info("building the tiny preset %s into %s", preset.name, directory)
                directory.parent.mkdir(parents=True, exist_ok=True)
                tiny_build(preset.tiny, directory)
    if (directory / "model_index.json").exists():
        return str(directory)
    if preset.hub_id and hub_cached(preset.hub_id):
        return preset.hub_id
    raise WeightsMissing(_missing_message(preset))





def _missing_message(preset: Preset, detail: str = "") -> str:
    directory = preset.directory
    message = (f'Preset "{preset.name}" ({preset.pipeline}): no weights at {directory} '
               f"(a diffusers pipeline directory with model_index.json)")
    if preset.hub_id:
        message += (f" and {preset.hub_id} is not in the local Hugging Face cache. Install it on the "
                    f"staff Models page (/staff/models/), or provide them with "
                    f"`hf download {preset.hub_id} --local-dir {directory}` on a machine "
                    f"that can reach the hub (then copy the directory here)")
    message += (", or point the preset at a directory that holds them with GENERATION_PRESETS "
                f'(e.g. {{"{preset.name}": {{"path": "/path/to/pipeline"}}}}).')
    return f"{message} ({detail})" if detail else message


@contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """One builder at a time across worker processes."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_name(directory.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pipeline_bytes(pipeline: Any) -> int:
    """Memory the pipeline's weights take (parameters and buffers of its torch modules)."""
    total = 0
    for component in pipeline.components.values():
        if isinstance(component, torch.nn.Module):
            total += sum(t.numel() * t.element_size() for t in component.parameters())
            total += sum(t.numel() * t.element_size() for t in component.buffers())
    return total


class PipelineCache:
    """The pipelines a worker process has loaded, most recently used kept: loading is lazy,
    and the least recently used are dropped when the total passes `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.loaded: OrderedDict[str, tuple[Any, int]] = OrderedDict()

    def get(self, preset: Preset) -> Any:
        key = repr(preset)  # the whole preset: a changed configuration loads afresh
        if key in self.loaded and not preset.available:  # staff removed its weights since: gone
            del self.loaded[key]
            self._free()
        if key in self.loaded:
            self.loaded.move_to_end(key)
            return self.loaded[key][0]
        pipeline = pipeline_load(preset)
        self.loaded[key] = (pipeline, pipeline_bytes(pipeline))
        while len(self.loaded) > 1 and self.total() > self.max_bytes:
            self.loaded.popitem(last=False)
            log.info("unloaded the least recently used pipeline (cache over %s bytes)", self.max_bytes)
            self._free()
        return pipeline

    def total(self) -> int:
        return sum(size for _, size in self.loaded.values())

    def _free(self) -> None:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


_cache: PipelineCache | None = None


def pipeline_for(preset: Preset) -> Any:
    """This process's pipeline for the preset (loaded on first use)."""
    global _cache
    if _cache is None:
        _cache = PipelineCache(settings.GENERATION_PIPELINE_CACHE_BYTES)
    return _cache.get(preset)
