"""Running one render on a loaded pipeline: parameters in, frames out, progress on the way.

Progress comes from diffusers' step callback. Cancelling raises from that callback, so the
render stops at the next step boundary, before the VAE decode: setting the pipeline's
`_interrupt` flag would still decode (docs/ARCHITECTURE.md, measured traps).
"""

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from generation.fast import cached
from generation.kinds import RenderMode
from generation.presets import Preset
from generation.previews import latent_preview


@dataclass(frozen=True)
class RenderRequest:
    preset: Preset
    prompt: str
    seed: int
    negative_prompt: str = ""
    width: int = 0  # 0: the preset's default
    height: int = 0
    frames: int = 0
    steps: int = 0
    guidance: float | None = None
    render_mode: str = RenderMode.QUALITY

    def arguments(self) -> dict[str, Any]:
        """The pipeline call's keyword arguments (the preset's defaults filled in)."""
        preset = self.preset
        arguments: dict[str, Any] = {
            "prompt": self.prompt,
            "width": preset.native_size or self.size[0],
            "height": preset.native_size or self.size[1],
            "num_inference_steps": self.steps or preset.steps,
            "guidance_scale": preset.guidance if self.guidance is None else self.guidance,
            "generator": torch.Generator("cpu").manual_seed(self.seed),
            "output_type": "np",
            **preset.call,
        }
        if self.negative_prompt:
            arguments["negative_prompt"] = self.negative_prompt
        if preset.kind == "video":
            arguments["num_frames"] = self.frames or preset.frames
        return arguments

    @property
    def size(self) -> tuple[int, int]:
        """The width and height asked for (the preset's defaults filled in)."""
        return self.width or self.preset.width, self.height or self.preset.height


@dataclass(frozen=True)
class Progress:
    step: int  # steps done
    total: int
    elapsed_s: float
    # Makes a small JPEG data URL of the render so far; called only by those who show it.
    preview: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    @property
    def percent(self) -> float:
        return round(100 * self.step / self.total, 1) if self.total else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (the VAE decode after the last step not counted)."""
        return round(self.elapsed_s / self.step * (self.total - self.step), 2) if self.step else None


class Cancelled(Exception):
    """The render was asked to stop; it stopped at a step boundary."""


def render(pipeline: Any, request: RenderRequest, *, on_progress: Callable[[Progress], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> np.ndarray:
    """Run the pipeline; return uint8 frames shaped (frames, height, width, 3) (one frame for
    an image). `should_stop` is asked after every step; Cancelled is raised when it says so."""
    arguments = request.arguments()
    total = arguments["num_inference_steps"]
    started = time.monotonic()
    shape = {"frames": arguments.get("num_frames", 1), "height": arguments["height"],
             "width": arguments["width"]}

    def step_end(pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if on_progress is not None:
            latents = tensors["latents"]
            on_progress(Progress(step + 1, total, time.monotonic() - started,
                                 preview=lambda: latent_preview(pipe, latents, **shape)))
        if should_stop is not None and should_stop():
            raise Cancelled(f"cancelled after step {step + 1} of {total}")
        return tensors

    fast = request.render_mode == RenderMode.FAST and request.preset.fast
    with cached(pipeline, request.preset.fast) if fast else nullcontext():
        output = pipeline(**arguments, callback_on_step_end=step_end)
    frames = np.asarray(output.frames[0] if request.preset.kind == "video" else output.images)
    # In place, on torch's threads: 15 ms against numpy's 41 ms for 97 frames of 256 x 256.
    frames = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32)).clamp_(0.0, 1.0).mul_(255) \
        .round_().to(torch.uint8).numpy()
    return _resized(frames, request.size) if request.preset.native_size else frames


def _resized(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Frames rendered at a model's native size, resized (Lanczos) to the size asked for."""
    if frames.shape[2] == size[0] and frames.shape[1] == size[1]:
        return frames
    return np.stack([np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))
                     for frame in frames])
