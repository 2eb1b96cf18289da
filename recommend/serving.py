"""What the feed reads on every request, kept in memory per process.

- The active model (`active_model`): loaded from RECOMMEND_DIR once per version; which version is
  active is looked up at most every MODEL_CHECK_S seconds.
- The catalogue (`catalogue`): every published work as arrays the feed scores in one go (creator,
  publication time, popularity, text embedding, tags as a sparse work x tag matrix, its aesthetic
  looks and palette), mapped to the model's columns. It is rebuilt in a thread every
  RECOMMEND_CATALOGUE_TTL_S seconds and after a retrain, and at once when the gallery changes in
  this process (`catalogue_invalidate`, called by the services on publish and unpublish).
"""

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from recommend import taste
from recommend.appeal import AppealModel
from recommend.content import DIMENSIONS
from recommend.hybrid import HybridModel
from recommend.models import ModelVersion, Publication, PublicationStatus

MODEL_CHECK_S = 5.0
REDUCE_ABOVE = 5000
REDUCED_DIMENSIONS = 64
POPULARITY_HALF_LIFE_DAYS = 14.0

_lock = threading.Lock()


@dataclass
class ActiveModel:
    version: str
    version_row: ModelVersion
    model: HybridModel
    items: np.ndarray  # publication pk of each model column
    item_index: dict[int, int]
    users: np.ndarray  # user pk of each fitted row
    user_index: dict[int, int]
    appeal: AppealModel | None = None  # fitted with it, when there were enough exposures


@dataclass
class Catalogue:
    ids: np.ndarray  # publication pks (int64)
    index: dict[int, int]
    creators: np.ndarray  # int64
    published: np.ndarray  # unix seconds (float64)
    popularity: np.ndarray  # float32, log of decayed engagement
    vectors: np.ndarray  # (n, d) float32 unit rows: text embeddings (reduced by PCA in large catalogues)
    tags: sp.csr_matrix  # (n, n_tags) 0/1
    looks: np.ndarray  # (n, len(taste.TASTE)) float32: aesthetic measures, standardised (recommend.taste)
    palette_lab: np.ndarray  # (n, taste.PALETTE_SLOTS, 3) float32: dominant colours in CIELAB
    palette_share: np.ndarray  # (n, taste.PALETTE_SLOTS) float32: their shares (0: no colour)
    tag_names: list[str]
    tag_index: dict[str, int]
    model_column: np.ndarray  # int64: the active model's column of each work, -1 if unknown to it
    model: ActiveModel | None  # the model `model_column` maps to
    built_at: float

    def __len__(self) -> int:
        return len(self.ids)


_state: dict[str, object] = {"model": None, "model_checked": 0.0, "catalogue": None, "rebuilding": False}


def _load(row: ModelVersion) -> ActiveModel | None:
    directory = Path(settings.RECOMMEND_DIR) / "models" / row.version
    try:
        model = HybridModel.load(directory)
        items = np.load(directory / "items.npy")
        users = np.load(directory / "users.npy")
    except (OSError, ValueError):
        return None
    return ActiveModel(version=row.version, version_row=row, model=model, items=items,
                       item_index={int(pk): col for col, pk in enumerate(items)}, users=users,
                       user_index={int(pk): row for row, pk in enumerate(users)},
                       appeal=AppealModel.load(directory))


def active_model() -> ActiveModel | None:
    """The newest active model (None before the first retrain)."""
    now = time.monotonic()
    current = _state["model"]
    if now - float(_state["model_checked"]) < MODEL_CHECK_S:  # type: ignore[arg-type]
        return current  # type: ignore[return-value]
    with _lock:
        row = ModelVersion.objects.filter(active=True).order_by("-trained_at", "-id").first()
        if row is None:
            current = None
        elif not isinstance(current, ActiveModel) or current.version != row.version:
            current = _load(row)
        _state["model"], _state["model_checked"] = current, now
    return current


def popularity_score(*, likes: int, saves: int, views: int, shares: int, remixes: int, age_s: float) -> float:
    engagement = 3.0 * likes + 4.0 * saves + 0.25 * views + 3.0 * shares + 5.0 * remixes
    return math.log1p(engagement) * 0.5 ** (max(age_s, 0.0) / (POPULARITY_HALF_LIFE_DAYS * 86400.0))


def reduced(embeddings: np.ndarray) -> np.ndarray:
    """Above REDUCE_ABOVE works, the embeddings' REDUCED_DIMENSIONS principal components (fitted on a
    sample), rows made unit length again: the feed reads every work's vector on every request, and
    64 values are a sixth of the memory traffic of 384 while keeping the neighbourhoods."""
    if len(embeddings) <= REDUCE_ABOVE:
        return embeddings
    rng = np.random.default_rng(0)
    sample = embeddings[rng.choice(len(embeddings), size=min(len(embeddings), 5000), replace=False)]
    mean = sample.mean(axis=0)
    _u, _s, components = np.linalg.svd(sample - mean, full_matrices=False)
    projected = (embeddings - mean) @ components[:REDUCED_DIMENSIONS].T
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    empty = ~embeddings.any(axis=1)
    projected = np.divide(projected, norms, out=np.zeros_like(projected), where=norms > 0)
    projected[empty] = 0.0  # not embedded yet: like nothing
    return np.ascontiguousarray(projected, dtype=np.float32)


def _build(model: ActiveModel | None) -> Catalogue:
    from aesthetics.selectors import gallery_measures
    from generation.selectors import remix_counts

    rows = list(Publication.objects.filter(status=PublicationStatus.PUBLISHED).order_by("id").values_list(
        "id", "creator_id", "published_at", "likes", "saves", "views", "shares", "embedding", "asset_id",
        "asset__sha256"))
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    index = {int(pk): i for i, pk in enumerate(ids)}
    remixes = remix_counts(asset_ids=None)
    now = time.time()
    published = np.fromiter((r[2].timestamp() for r in rows), dtype=np.float64, count=n)
    popularity = np.array([popularity_score(likes=r[3], saves=r[4], views=r[5], shares=r[6],
                                            remixes=remixes.get(r[8], 0), age_s=now - published[i])
                           for i, r in enumerate(rows)], dtype=np.float32)
    embeddings = np.zeros((n, DIMENSIONS), dtype=np.float32)
    for i, r in enumerate(rows):
        if r[7]:
            embeddings[i] = np.frombuffer(bytes(r[7]), dtype=np.float32)
    vectors = reduced(embeddings)
    pairs = list(Publication.tags.through.objects.filter(publication__status=PublicationStatus.PUBLISHED)
                 .values_list("publication_id", "tag__name"))
    tag_names = sorted({name for _, name in pairs})
    tag_index = {name: i for i, name in enumerate(tag_names)}
    tags = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32),
                          (np.array([index[p] for p, _ in pairs], dtype=np.int64),
                           np.array([tag_index[t] for _, t in pairs], dtype=np.int64))),
                         shape=(n, max(len(tag_names), 1)))
    columns = np.full(n, -1, dtype=np.int64)
    if model is not None:
        for i, pk in enumerate(ids):
            columns[i] = model.item_index.get(int(pk), -1)
    creators = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    reports = gallery_measures()
    measured = [reports.get(r[9]) for r in rows]
    palette_lab, palette_share = taste.palettes(measured)
    return Catalogue(ids=ids, index=index, creators=creators,
                     published=published, popularity=popularity, vectors=vectors, tags=tags,
                     looks=taste.standardise(taste.looks_raw(measured)), palette_lab=palette_lab,
                     palette_share=palette_share,
                     tag_names=tag_names, tag_index=tag_index, model_column=columns,
                     model=model, built_at=time.monotonic())


def _rebuild_behind(model: ActiveModel | None) -> None:
    from django.db import connection

    try:
        _state["catalogue"] = _build(model)
    finally:
        _state["rebuilding"] = False
        connection.close()  # this thread's own


def catalogue() -> tuple[Catalogue, ActiveModel | None]:
    """The published works as arrays, and the model they are mapped to. Only the first build in a
    process is waited for: a catalogue that is stale, or mapped to a model a retrain has replaced,
    is served (with its own model) while a thread builds the next."""
    model = active_model()  # (before taking the lock: it takes it too)
    current = _state["catalogue"]
    if not isinstance(current, Catalogue):
        with _lock:
            current = _state["catalogue"]
            if not isinstance(current, Catalogue):
                current = _build(model)
                _state["catalogue"] = current
        return current, current.model
    replaced = (model.version if model else "") != (current.model.version if current.model else "")
    stale = replaced or time.monotonic() - current.built_at >= settings.RECOMMEND_CATALOGUE_TTL_S
    if stale and not _state.get("rebuilding"):
        _state["rebuilding"] = True
        threading.Thread(target=_rebuild_behind, args=(model,), daemon=True, name="catalogue").start()
    return current, current.model


def catalogue_invalidate() -> None:
    """The gallery changed in this process: the catalogue, and the standing of aesthetic reports
    among published works (in every process), are read again."""
    from aesthetics.selectors import standing_invalidate

    _state["catalogue"] = None
    standing_invalidate()


def reset() -> None:
    """Forget everything loaded (tests, and after a retrain in this process)."""
    _state.update(model=None, model_checked=0.0, catalogue=None)
