"""Model presets: which diffusers pipeline, where its weights are, its defaults and limits.

The built-in presets are below; `GENERATION_PRESETS` in settings (or the environment variable
of the same name, JSON) adds presets or overrides fields of built-in ones by name, so any
diffusers pipeline directory becomes a preset by configuration alone:

    GENERATION_PRESETS='{"my-model": {"pipeline": "LTXPipeline", "path": "/models/my-ltx",
                         "kind": "video"}}'
"""

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, cast

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from generation.fast import CACHES
from generation.kinds import RenderMode

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class Preset:
    name: str
    pipeline: str  # a diffusers pipeline class name, e.g. "LTXPipeline"
    kind: Kind
    label: str = ""
    path: str = ""  # a local diffusers pipeline directory (default: <models dir>/<name>)
    hub_id: str = ""  # where the weights are published (also tried in the local Hugging Face cache)
    tiny: str = ""  # built offline by generation.tiny when the directory is missing
    native_size: int = 0  # the model renders squares of this side; frames are resized to the request
    dtype: str = "bfloat16"  # on CUDA; the CPU always computes in float32
    compile: bool = False  # torch.compile the transformer's repeated blocks (CUDA)
    cpu_offload: bool = False  # keep only the running component on the GPU
    width: int = 512
    height: int = 512
    frames: int = 1
    fps: int = 24
    steps: int = 30
    guidance: float = 5.0
    max_width: int = 1024
    max_height: int = 1024
    max_frames: int = 1
    max_steps: int = 100
    size_multiple: int = 16  # width and height must be multiples of this
    frame_step: int = 1  # frames must be frame_step * k + 1 (the VAE's temporal compression)
    call: dict[str, Any] = field(default_factory=dict)  # extra pipeline arguments
    # The "fast" render mode: a diffusers cache hook and its settings (generation/fast.py), e.g.
    # {"cache": "first_block", "threshold": 0.2}; empty: the preset renders at full quality only.
    fast: dict[str, Any] = field(default_factory=dict)

    @property
    def render_modes(self) -> tuple[str, ...]:
        return (RenderMode.QUALITY, RenderMode.FAST) if self.fast else (RenderMode.QUALITY,)

    def frames_for(self, seconds: float, fps: int) -> int:
        """The clip length nearest `seconds` that the model makes (on its VAE's frame grid)."""
        return max(1, round(seconds * fps / self.frame_step)) * self.frame_step + 1

    @property
    def directory(self) -> Path:
        return Path(self.path) if self.path else Path(settings.GENERATION_MODELS_DIR) / self.name

    @property
    def available(self) -> bool:
        """Whether this machine has its weights (a tiny preset builds its own on first use): in
        its directory, or its hub id in the local Hugging Face cache."""
        return bool(self.tiny) or (self.directory / "model_index.json").exists() or (
            bool(self.hub_id) and hub_cached(self.hub_id))


def hub_cached(hub_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(hub_id, "model_index.json"), str)
    except ValueError:  # (HFValidationError: a configured hub id that is no repository name)
        return False


RANDOM_WEIGHTS = _("(random weights)")


def _noted(name: str, note: Any) -> str:
    """A model's name with a note in the reader's language (lazy: translated when shown)."""
    return cast(str, format_lazy("{} {}", name, note))


# Fast modes (generation/fast.py), chosen by benchmarks/generation_fast.py on the tiny presets:
# the quickest hook whose renders stay within 30 dB PSNR and 0.95 SSIM of the quality render.
# The real presets take their tiny twin's (measured there, with random weights; the real
# models' quality loss is for benchmarks/generation_gpu.py on a GPU).
FAST_LTX = {"cache": "first_block", "threshold": 0.2}
# TaylorSeer on each block's attention and feed-forward (its default names match no Wan module)
FAST_WAN = {"cache": "taylorseer", "cache_identifiers": [r"(transformer_)?blocks\.\d+\.(attn\d|ffn?)"],
            "cache_interval": 5, "disable_cache_before_step": 3, "max_order": 1}
# Storyloom Tiny: a lower threshold, at which every clip reads back as the quality render's
# (colour, motion, shape); 0.2 was quicker but changed one shape in four
FAST_STORYLOOM = {"cache": "first_block", "threshold": 0.1}

_BUILT_IN: tuple[Preset, ...] = (
    Preset("ltx-video", "LTXPipeline", "video", label="LTX-Video", hub_id="Lightricks/LTX-Video",
           width=768, height=512, frames=121, fps=24, steps=40, guidance=3.0, max_width=1280,
           max_height=1280, max_frames=257, size_multiple=32, frame_step=8, fast=FAST_LTX),
    Preset("wan-2.1-t2v-1.3b", "WanPipeline", "video", label="Wan 2.1 T2V 1.3B",
           hub_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers", width=832, height=480, frames=81, fps=16, steps=50,
           guidance=5.0, max_width=1280, max_height=1280, max_frames=161, frame_step=4, fast=FAST_WAN),
    Preset("cogvideox-2b", "CogVideoXPipeline", "video", label="CogVideoX-2b", hub_id="THUDM/CogVideoX-2b",
           dtype="float16", width=720, height=480, frames=49, fps=8, steps=50, guidance=6.0,
           max_width=720, max_height=720, max_frames=49, frame_step=4),
    Preset("pixart-sigma", "PixArtSigmaPipeline", "image", label="PixArt-Sigma",
           hub_id="PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", dtype="float16", width=1024, height=1024,
           steps=20, guidance=4.5, max_width=2048, max_height=2048, size_multiple=8,
           call={"clean_caption": False}),
    Preset("sd3.5-medium", "StableDiffusion3Pipeline", "image", label="Stable Diffusion 3.5 Medium",
           hub_id="stabilityai/stable-diffusion-3.5-medium", width=1024, height=1024, steps=40,
           guidance=4.5, max_width=1536, max_height=1536),
    # Trained here on drawn clips (generation/storyloom_tiny): coloured shapes that move as the
    # prompt says, rendered at 64 x 64 and resized. The default video model offline.
    Preset("storyloom-tiny", "CogVideoXPipeline", "video",
           label=_noted("Storyloom Tiny", _("(shapes, colours, motion)")),
           tiny="storyloom", dtype="float32", native_size=64, width=256, height=256, frames=17, fps=8,
           steps=20, guidance=4.0, max_width=512, max_height=512, max_frames=17, size_multiple=64,
           frame_step=4, call={"max_sequence_length": 32}, fast=FAST_STORYLOOM),
    # Random weights, real pipeline classes and real VAE compression, for tests of the architectures.
    Preset("tiny-ltx-video", "LTXPipeline", "video", label=_noted("Tiny LTX-Video", RANDOM_WEIGHTS),
           tiny="ltx-video", dtype="float32", width=256, height=256, frames=97, fps=24, steps=20,
           guidance=3.0, max_width=768, max_height=768, max_frames=257, size_multiple=32, frame_step=8,
           fast=FAST_LTX),
    Preset("tiny-wan", "WanPipeline", "video", label=_noted("Tiny Wan", RANDOM_WEIGHTS), tiny="wan",
           dtype="float32", width=256, height=256, frames=33, fps=16, steps=20, guidance=5.0,
           max_width=512, max_height=512, max_frames=81, frame_step=4, fast=FAST_WAN),
    Preset("tiny-pixart", "PixArtSigmaPipeline", "image", label=_noted("Tiny PixArt-Sigma", RANDOM_WEIGHTS),
           tiny="pixart", dtype="float32", width=256, height=256, steps=20, guidance=4.5, max_width=1024,
           max_height=1024, size_multiple=8, call={"clean_caption": False}),
)


def presets() -> dict[str, Preset]:
    """Every preset by name: the built-in ones with settings.GENERATION_PRESETS applied."""
    known = {preset.name: preset for preset in _BUILT_IN}
    names = {f.name for f in fields(Preset)}
    for name, overrides in (settings.GENERATION_PRESETS or {}).items():
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"GENERATION_PRESETS[{name!r}]: unknown fields {sorted(unknown)}; "
                             f"allowed: {sorted(names - {'name'})}")
        known[name] = (replace(known[name], **overrides) if name in known
                       else Preset(name=name, **overrides))
        if known[name].fast and known[name].fast.get("cache") not in CACHES:
            raise ValueError(f"GENERATION_PRESETS[{name!r}]: fast.cache must be one of {', '.join(CACHES)}")
    return known


def presets_installed() -> dict[str, Preset]:
    """The presets creators may choose: those whose weights are on this machine (tiny ones
    always; the others once staff installed them on the Models page)."""
    return {name: preset for name, preset in presets().items() if preset.available}


def preset_get(name: str) -> Preset:
    """The named preset; KeyError lists the known names."""
    known = presets()
    if name not in known:
        raise KeyError(f"No preset {name!r}; known presets: {', '.join(sorted(known))}")
    return known[name]
