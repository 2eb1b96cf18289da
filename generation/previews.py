"""Small preview frames of a render in progress, from the latents at a step boundary.

No VAE decode (that would cost as much as a step): the middle frame's latent channels are
projected onto their three principal components and shown as colour. It shows the layout and
motion taking shape for any model, with no per-model colour factors to maintain.
"""

import base64
import io
from typing import Any

import numpy as np
import torch
from PIL import Image

PREVIEW_WIDTH = 128  # pixels; the preview is a thumbnail in the job list


def _frame(pipeline: Any, latents: torch.Tensor, frames: int, height: int, width: int) -> torch.Tensor:
    """The middle frame's latents as (channels, height, width), whatever the pipeline's layout."""
    latents = latents[0].detach().float()
    if latents.ndim == 2:  # LTX-Video packs (frames * height * width, channels) tokens
        spatial = pipeline.vae_spatial_compression_ratio
        temporal = pipeline.vae_temporal_compression_ratio
        f, h, w = (frames - 1) // temporal + 1, height // spatial, width // spatial
        return latents.reshape(f, h, w, -1)[f // 2].permute(2, 0, 1)
    if latents.ndim == 4:
        if type(pipeline).__name__.startswith("CogVideoX"):  # (frames, channels, h, w)
            return latents[latents.shape[0] // 2]
        return latents[:, latents.shape[1] // 2]  # (channels, frames, h, w)
    return latents  # an image: (channels, h, w)


def _colour(frame: torch.Tensor) -> np.ndarray:
    """(channels, h, w) → (h, w, 3) uint8 through the channels' top three principal components."""
    channels, height, width = frame.shape
    points = frame.reshape(channels, -1).T  # one row per latent pixel
    points = points - points.mean(dim=0)
    if channels > 3:
        _, _, basis = torch.linalg.svd(points, full_matrices=False)
        points = points @ basis[:3].T
    else:
        points = torch.nn.functional.pad(points, (0, 3 - channels))
    low, high = points.quantile(0.02, dim=0), points.quantile(0.98, dim=0)
    scaled = ((points - low) / (high - low).clamp(min=1e-6)).clamp(0, 1)
    return (scaled.reshape(height, width, 3).numpy() * 255).astype(np.uint8)


def latent_preview(pipeline: Any, latents: torch.Tensor, *, frames: int, height: int, width: int) -> str:
    """A JPEG data URL, PREVIEW_WIDTH wide, of what the render looks like so far."""
    image = Image.fromarray(_colour(_frame(pipeline, latents, frames, height, width)))
    size = (PREVIEW_WIDTH, max(1, round(PREVIEW_WIDTH * height / width)))
    buffer = io.BytesIO()
    image.resize(size, Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
