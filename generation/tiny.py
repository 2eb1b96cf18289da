"""Tiny presets: the real diffusers pipeline classes with random weights, small enough for a CPU.

They are built the way diffusers' own tests build pipelines (small configs, random weights),
with two differences: the VAE keeps the real model's compression (LTX-Video 32x spatial and
8x temporal, Wan 8x and 4x, PixArt 8x), because with the test suite's 1x-4x VAEs a short clip
takes minutes on a CPU instead of a second (docs/ARCHITECTURE.md, measured traps); and the T5
tokenizer is built in memory rather than downloaded. Each is saved once with `save_pretrained` and then loaded
like real weights, through `from_pretrained`.
"""

import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

SEED = 20261130  # the same random weights on every machine
TEXT_DIM = 32  # the tiny T5's width (the transformers' caption channels)
_WORDS = """a an the of and in on at with over under by from into to is are sea ocean water wave waves
night day city light dawn dusk sunset sunrise harbour harbor gull gulls pier reef forest mountain sky
cloud clouds rain snow fire street car cat dog bird boat ship man woman child walking running flying
slowly camera pan zoom close wide shot cinematic style film""".split()  # noqa: SIM905 (a word list)


def _tokenizer() -> Any:
    """A T5 (unigram) tokenizer over a small fixed vocabulary: words, then single characters."""
    from transformers import T5Tokenizer

    pieces = ["<pad>", "</s>", "<unk>", "▁", *(f"▁{w}" for w in _WORDS),
              *string.ascii_lowercase, *string.ascii_uppercase, *string.digits, *string.punctuation]
    return T5Tokenizer(vocab=[(piece, -float(i)) for i, piece in enumerate(pieces)], extra_ids=0)


def _text_encoder(tokenizer: Any, umt5: bool = False) -> Any:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    sizes: dict[str, Any] = {"vocab_size": len(tokenizer), "d_model": TEXT_DIM, "d_ff": 64, "d_kv": 8,
                             "num_layers": 2, "num_heads": 4}
    if umt5:  # Wan's text encoder
        return UMT5EncoderModel(UMT5Config(**sizes))
    return T5EncoderModel(T5Config(**sizes))


def _ltx_video() -> Any:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer = _tokenizer()
    vae = AutoencoderKLLTXVideo(
        latent_channels=8, block_out_channels=(16, 16, 16, 16), decoder_block_out_channels=(16, 16, 16, 16),
        layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
        # The real model's compression: patches of 4, then three spatio-temporal halvings.
        patch_size=4, patch_size_t=1, spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, encoder_causal=True, decoder_causal=False)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, num_layers=2, caption_channels=TEXT_DIM)
    return LTXPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, tokenizer=tokenizer,
                       text_encoder=_text_encoder(tokenizer), transformer=transformer)


def _wan() -> Any:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )

    tokenizer = _tokenizer()
    # dim_mult of four stages with two temporal downsamples: Wan 2.1's 8x spatial, 4x temporal.
    vae = AutoencoderKLWan(base_dim=4, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
    return WanPipeline(tokenizer=tokenizer, text_encoder=_text_encoder(tokenizer, umt5=True), vae=vae,
                       transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0))


def _pixart() -> Any:
    from diffusers import (
        AutoencoderKL,
        DPMSolverMultistepScheduler,
        PixArtSigmaPipeline,
        PixArtTransformer2DModel,
    )

    tokenizer = _tokenizer()
    # Four blocks, three downsamples: the 8x of the SDXL VAE PixArt-Sigma uses.
    vae = AutoencoderKL(block_out_channels=(8, 8, 8, 8), down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, norm_num_groups=4,
                        layers_per_block=1)
    transformer = PixArtTransformer2DModel(
        sample_size=32, num_layers=2, patch_size=2, attention_head_dim=8, num_attention_heads=3,
        caption_channels=TEXT_DIM, in_channels=4, cross_attention_dim=24, out_channels=8,
        attention_bias=True, activation_fn="gelu-approximate", num_embeds_ada_norm=1000,
        norm_type="ada_norm_single", norm_elementwise_affine=False, norm_eps=1e-6)
    return PixArtSigmaPipeline(tokenizer=tokenizer, text_encoder=_text_encoder(tokenizer), vae=vae,
                               transformer=transformer, scheduler=DPMSolverMultistepScheduler())


BUILDERS: dict[str, Callable[[], Any]] = {"ltx-video": _ltx_video, "wan": _wan, "pixart": _pixart}


def tiny_ready(kind: str, dest: Path) -> bool:
    """Whether `dest` holds the `kind` pipeline as it should be now (Storyloom Tiny's directory
    is assembled again when its committed weights change)."""
    if kind == "storyloom":
        from generation.storyloom_tiny.model import assembled

        return assembled(dest)
    return (dest / "model_index.json").exists()


def tiny_build(kind: str, dest: Path) -> None:
    """Build the tiny `kind` pipeline and save it into `dest` (atomically: a half-written
    directory never looks complete). Storyloom Tiny is trained, not random: its directory is
    assembled from the committed weights and the MiniLM package."""
    if kind == "storyloom":
        from generation.storyloom_tiny.model import assemble

        assemble(dest)
        return
    torch.manual_seed(SEED)
    pipeline = BUILDERS[kind]()
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    pipeline.save_pretrained(partial)
    if dest.exists():
        import shutil

        shutil.rmtree(dest)
    partial.rename(dest)
