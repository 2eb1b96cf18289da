"""A learned aesthetic score, when its weights are installed: LAION's CLIP+MLP "improved aesthetic
predictor" (C. Schuhmann, https://github.com/christophschuhmann/improved-aesthetic-predictor,
2022; the model behind LAION-Aesthetics). CLIP ViT-L/14 embeds the picture (Radford et al.,
"Learning transferable visual models from natural language supervision", ICML 2021); the
embedding, L2-normalised, goes through a small MLP trained on people's 1 to 10 ratings of
photographs (AVA, Murray et al., CVPR 2012; Simulacra Aesthetic Captions; LAION-Logos) that
predicts the mean rating.

Nothing is downloaded here: the weights are read from `settings.AESTHETIC_PREDICTOR_DIR`
(var/models/aesthetic-predictor by default), laid out as

    <AESTHETIC_PREDICTOR_DIR>/
      clip/               a transformers CLIP checkpoint with its image processor: config.json,
                          model.safetensors, preprocessor_config.json (the Hub's
                          openai/clip-vit-large-patch14, e.g. from `hf download
                          openai/clip-vit-large-patch14 --local-dir <dir>/clip`)
      head.safetensors    the MLP: the official checkpoint's state dict, converted once
                          (`sac+logos+ava1-l14-linearMSE.pth`: `layers.0` 768→1024, `layers.2`
                          1024→128, `layers.4` 128→64, `layers.6` 64→16, `layers.7` 16→1; the odd
                          indices are dropouts, which hold no weights)

Converting the official head (torch's weights-only loader reads no code):

    python -c "import torch, safetensors.torch as s; s.save_file(torch.load(
        'sac+logos+ava1-l14-linearMSE.pth', map_location='cpu', weights_only=True), 'head.safetensors')"

Any CLIP works whose image embedding is as wide as the head's input (the head is trained on
ViT-L/14's: use that one). The predictor is loaded once per process (again only when the files
change), on CPU, and runs with at most `AESTHETIC_PREDICTOR_THREADS` torch threads. A directory
that is absent means no score; one that is broken is logged once and means no score: the rest
of the report is made either way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)
CLIP_DIR = "clip"
HEAD_FILE = "head.safetensors"
FRAMES = 4  # of a clip's frames, picked evenly, at most (ViT-L/14: about 1.3 s a frame on two CPU threads)
_LAYER = re.compile(r"^layers\.(\d+)\.(weight|bias)$")


@dataclass(frozen=True)
class Predictor:
    processor: Any  # transformers.CLIPImageProcessor
    clip: Any  # transformers.CLIPVisionModelWithProjection, in eval mode
    head: torch.nn.Sequential

    def score(self, pictures: list[np.ndarray]) -> float:
        """The mean predicted rating (1 to 10, roughly) of uint8 (h, w, 3) pictures."""
        import torch

        inputs = self.processor(images=[np.ascontiguousarray(p[..., :3]) for p in pictures],
                                return_tensors="pt")
        with torch.inference_mode():
            embedding = self.clip(pixel_values=inputs["pixel_values"]).image_embeds
            embedding = embedding / embedding.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            return float(self.head(embedding).mean())


def directory() -> Path:
    return Path(settings.AESTHETIC_PREDICTOR_DIR)


def installed(path: Path | None = None) -> bool:
    """Whether the directory holds the predictor's two parts (not whether they load)."""
    path = path or directory()
    return (path / HEAD_FILE).is_file() and (path / CLIP_DIR / "config.json").is_file()


def size_on_disk(path: Path | None = None) -> int:
    """Bytes of the files under the directory (links followed, as a Hub snapshot holds them)."""
    total = 0
    for folder, _dirs, files in os.walk(path or directory()):
        for name in files:
            with contextlib.suppress(OSError):  # (a file removed while counting)
                total += (Path(folder) / name).stat().st_size
    return total


def head_load(path: Path) -> torch.nn.Sequential:
    """The MLP from its safetensors file: the Linear layers `layers.<i>`, applied in order of i
    (the official head has no activations; its dropouts do nothing at inference)."""
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(path), device="cpu")
    layers: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        match = _LAYER.match(key)
        if match is None:
            raise ValueError(f"{path.name}: unexpected tensor {key!r} (only layers.<i>.weight, .bias)")
        layers.setdefault(int(match[1]), {})[match[2]] = tensor
    if not layers:
        raise ValueError(f"{path.name} holds no layers")
    linears = []
    width: int | None = None
    for index in sorted(layers):
        weight, bias = layers[index].get("weight"), layers[index].get("bias")
        if weight is None or bias is None or weight.ndim != 2 or bias.shape != weight.shape[:1]:
            raise ValueError(f"{path.name}: layers.{index} is not a linear layer's weight and bias")
        if width is not None and weight.shape[1] != width:
            raise ValueError(f"{path.name}: layers.{index} takes {weight.shape[1]} values, the layer before "
                             f"gives {width}")
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(weight.float())
            linear.bias.copy_(bias.float())
        linears.append(linear)
        width = weight.shape[0]
    if width != 1:
        raise ValueError(f"{path.name}: the last layer gives {width} values, not one score")
    return torch.nn.Sequential(*linears).eval()


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """transformers' report of the checkpoint's unused text tower, and its progress bar, kept
    off the worker's log for this load only."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def predictor_load(path: Path) -> Predictor:
    """The predictor in `path` (see the module's docstring), from local files only. Of a whole
    CLIP checkpoint only the image tower and its projection are loaded (the text tower would
    take a third more memory for nothing)."""
    from transformers import AutoConfig, CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    head = head_load(path / HEAD_FILE)
    clip_dir = path / CLIP_DIR
    with _quiet_loading():
        config = AutoConfig.from_pretrained(clip_dir, local_files_only=True)
        if not isinstance(config, CLIPVisionConfig):  # a whole CLIP: its image half, projection included
            vision = config.vision_config
            vision.projection_dim = config.projection_dim
            config = vision
        clip = CLIPVisionModelWithProjection.from_pretrained(clip_dir, config=config, local_files_only=True)
        processor = CLIPImageProcessor.from_pretrained(clip_dir, local_files_only=True)
    clip.eval()
    if head[0].in_features != config.projection_dim:
        raise ValueError(f"the head takes {head[0].in_features} values, the CLIP's image embedding has "
                         f"{config.projection_dim}")
    return Predictor(processor=processor, clip=clip, head=head)


# --- once per process ---------------------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[tuple, Predictor | None] = {}  # the current files' signature → the predictor, None if broken


def _signature(path: Path) -> tuple | None:
    """What identifies the installed files (so a reinstall is picked up); None when absent."""
    if not installed(path):
        return None
    files = [path / HEAD_FILE, *sorted((path / CLIP_DIR).iterdir())]
    try:
        return (str(path.resolve()), *((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    except OSError:
        return None


def predictor_get() -> Predictor | None:
    """The installed predictor, loaded once per process; None when none is installed, or the one
    installed does not load (logged once)."""
    path = directory()
    signature = _signature(path)
    if signature is None:
        return None
    with _lock:
        if signature not in _loaded:
            _loaded.clear()  # (an older install's)
            try:
                with _threads():
                    _loaded[signature] = predictor_load(path)
                log.info("aesthetic predictor loaded from %s", path)
            except Exception:
                log.exception("the aesthetic predictor in %s could not be loaded; reports are made without "
                              "its score", path)
                _loaded[signature] = None
        return _loaded[signature]


@contextlib.contextmanager
def _threads() -> Iterator[None]:
    """At most AESTHETIC_PREDICTOR_THREADS torch threads while the predictor works (restored after:
    the process's other torch work keeps its own)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, settings.AESTHETIC_PREDICTOR_THREADS)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


_failed: set[tuple] = set()  # signatures whose scoring failed once (logged once)


def predicted_score(frames: np.ndarray) -> float | None:
    """The predictor's score of a picture (`frames` holds one) or the mean over up to FRAMES of a
    clip's frames picked evenly; None when no predictor is installed or it fails."""
    predictor = predictor_get()
    if predictor is None or not len(frames):
        return None
    picked = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), FRAMES)).round().astype(int))
    try:
        with _lock, _threads():
            return round(predictor.score([frames[i] for i in picked]), 4)
    except Exception:
        signature = _signature(directory())
        if signature not in _failed:
            _failed.add(signature)  # type: ignore[arg-type]
            log.exception("the aesthetic predictor in %s failed; reports are made without its score",
                          directory())
        return None
