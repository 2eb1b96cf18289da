"""From signals to a trained model, and each viewer's vector between retrains.

Each signal is a confidence weight (SIGNAL_WEIGHTS; a view counts more the longer it was
watched), halved every HALF_LIFE_DAYS. A viewer's weights for one work add up; an unlike or unsave
takes back what the like or save gave; a hide, "see less" or report removes the pair altogether.
`retrain` fits the hybrid model (recommend.hybrid) on every viewer's row and writes it, versioned, to
RECOMMEND_DIR/models/<version>/ with the publication ids of its columns, and beside it the appeal
model (recommend.appeal) on every viewer's exposures; the newest version is the active one.
`user_vector_refresh` recomputes one viewer's factors from their current row (ALS's
recalculate_user), so likes count in the feed before the next retrain.
"""

import json
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recommend import appeal
from recommend.content import DIMENSIONS
from recommend.hybrid import HybridModel, HybridParams
from recommend.models import (
    Hide,
    ModelVersion,
    Publication,
    PublicationStatus,
    Signal,
    SignalKind,
    UserVector,
)
from recommend.ranking import row_from_weights

log = logging.getLogger(__name__)

SIGNAL_WEIGHTS: dict[str, float] = {
    SignalKind.VIEW: 1.0, SignalKind.LIKE: 4.0, SignalKind.SAVE: 5.0, SignalKind.REMIX: 6.0,
    SignalKind.SHARE: 4.0, SignalKind.UNLIKE: -4.0, SignalKind.UNSAVE: -5.0,
    SignalKind.REVIEW: 4.0}
REMOVES = {SignalKind.HIDE, SignalKind.SEE_LESS, SignalKind.REPORT}
DWELL_FULL_S = 30.0  # a view watched this long counts 3x a glance
HALF_LIFE_DAYS = 60.0
MIN_USERS = 2  # no collaborative model below this
# What `manage.py recommend_evaluate` chose on MovieLens 100K (benchmarks/results/
# recommend_evaluate_ml100k.md): strong ALS regularisation (implicit does not scale it by activity)
# and a blend led by ALS with an item-item correction. The item graph (RP3beta, w_graph) stays off
# here: the evaluation's blends use it on both datasets, but what fitting it costs at the gallery's
# scale (benchmarks/recommend_feed.py: 76,359 works) has not been measured.
TUNED = HybridParams(regularization=30.0, alpha=3.0, w_als=4.0, w_item=1.0, w_pop=0.1)


def signal_weight(kind: str, dwell_ms: int | None) -> float:
    weight = SIGNAL_WEIGHTS.get(kind, 0.0)
    if kind == SignalKind.VIEW and dwell_ms:
        weight *= 1.0 + 2.0 * min(dwell_ms / 1000.0 / DWELL_FULL_S, 1.0)
    return weight


def _decay(age_s: float) -> float:
    return 0.5 ** (max(age_s, 0.0) / (HALF_LIFE_DAYS * 86400.0))


SignalRow = tuple[int, int, str, int | None, float]


def user_weights(signals: list[SignalRow], now: float) -> dict[tuple[int, int], float]:
    """(user, item) -> confidence weight from (user, item, kind, dwell_ms, unix time) rows."""
    totals: dict[tuple[int, int], float] = defaultdict(float)
    removed: set[tuple[int, int]] = set()
    for user, item, kind, dwell, at in signals:
        if kind in REMOVES:
            removed.add((user, item))
        else:
            totals[(user, item)] += signal_weight(kind, dwell) * _decay(now - at)
    return {pair: weight for pair, weight in totals.items() if weight > 1e-6 and pair not in removed}


def signal_rows(**lookup: object) -> list[SignalRow]:
    rows = (Signal.objects.filter(publication__status=PublicationStatus.PUBLISHED, **lookup)
            .exclude(kind=SignalKind.IMPRESSION).order_by("created_at", "id")
            .values_list("user_id", "publication_id", "kind", "dwell_ms", "created_at"))
    return [(user, item, kind, dwell, at.timestamp()) for user, item, kind, dwell, at in rows]


def _hidden_pairs(**lookup: object) -> set[tuple[int, int]]:
    return set(Hide.objects.filter(**lookup).values_list("user_id", "publication_id"))


def _models_dir() -> Path:
    return Path(settings.RECOMMEND_DIR) / "models"


def retrain(*, params: HybridParams | None = None) -> ModelVersion | None:
    """Fit on every signal so far; the new version becomes the active one. None when there are
    too few viewers to learn from."""
    started = time.perf_counter()
    now = time.time()
    weights = user_weights(signal_rows(), now)
    for pair in _hidden_pairs() & set(weights):
        del weights[pair]
    users = sorted({user for user, _ in weights})
    items = sorted({item for _, item in weights})
    if len(users) < MIN_USERS or len(items) < 2:
        return None
    user_index = {user: row for row, user in enumerate(users)}
    item_index = {item: col for col, item in enumerate(items)}
    pairs = list(weights.items())
    rows = np.array([user_index[u] for (u, _), _ in pairs])
    cols = np.array([item_index[i] for (_, i), _ in pairs])
    matrix = sp.csr_matrix((np.array([w for _, w in pairs], dtype=np.float32), (rows, cols)),
                           shape=(len(users), len(items)))
    chosen = params or replace(TUNED, factors=min(TUNED.factors, max(2, len(items) // 2)))
    model = HybridModel(chosen).fit(matrix)
    version = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    directory = _models_dir() / version
    model.save(directory)
    np.save(directory / "items.npy", np.array(items, dtype=np.int64))
    np.save(directory / "users.npy", np.array(users, dtype=np.int64))
    appeal_fitted = appeal_fit()
    if appeal_fitted is not None:
        appeal_fitted.save(directory)
    (directory / "training.json").write_text(json.dumps({"users": len(users), "items": len(items),
                                                         "pairs": len(pairs), "trained_at": now,
                                                         "appeal": appeal_fitted is not None}))
    with transaction.atomic():
        entry = ModelVersion.objects.create(version=version, users=len(users), items=len(items),
                                            signals=len(pairs), seconds=time.perf_counter() - started,
                                            active=True)
        ModelVersion.objects.exclude(pk=entry.pk).update(active=False)
        UserVector.objects.all().delete()  # the new model's own factors are newer
    _prune()
    log.info("recommend: trained %s on %d users x %d works in %.1f s", version, len(users), len(items),
             entry.seconds)
    return entry


TOOK_UP = {SignalKind.LIKE, SignalKind.SAVE, SignalKind.REMIX, SignalKind.SHARE, SignalKind.REVIEW}
TURNED_AWAY = {SignalKind.HIDE, SignalKind.SEE_LESS, SignalKind.REPORT}
TOOK_UP_VIEW_MS = 5000  # a view this long takes a work up (the feed's long view)


def exposures(rows: Iterable[tuple[int, int, str, int | None]]) -> dict[tuple[int, int], int]:
    """(viewer, work) -> 1 when they took the work up, 0 when they were shown it or glanced at it and
    no more, or turned it away (hid or reported it: that wins over everything)."""
    outcome: dict[tuple[int, int], int] = {}
    refused: set[tuple[int, int]] = set()
    for user, item, kind, dwell in rows:
        pair = (user, item)
        if kind in TURNED_AWAY:
            refused.add(pair)
        took = kind in TOOK_UP or (kind == SignalKind.VIEW and (dwell or 0) >= TOOK_UP_VIEW_MS)
        outcome[pair] = max(outcome.get(pair, 0), int(took))
    return {pair: 0 if pair in refused else label for pair, label in outcome.items()}


def works_described() -> tuple[list[int], np.ndarray, np.ndarray]:
    """Published works as the appeal model reads them: their pks, their measures
    (appeal.measure_matrix) and their text embeddings."""
    from aesthetics.selectors import gallery_measures

    rows = list(Publication.objects.filter(status=PublicationStatus.PUBLISHED).order_by("id")
                .values_list("id", "asset__sha256", "embedding"))
    reports = gallery_measures()
    embeddings = np.zeros((len(rows), DIMENSIONS), dtype=np.float32)
    for i, (_pk, _sha, vector) in enumerate(rows):
        if vector:
            embeddings[i] = np.frombuffer(bytes(vector), dtype=np.float32)
    return ([pk for pk, _sha, _v in rows], appeal.measure_matrix([reports.get(sha) for _pk, sha, _v in rows]),
            embeddings)


def appeal_fit() -> appeal.AppealModel | None:
    """The appeal model on every exposure to a published work so far (None: too few of them)."""
    rows = (Signal.objects.filter(publication__status=PublicationStatus.PUBLISHED)
            .values_list("user_id", "publication_id", "kind", "dwell_ms"))
    found = exposures(rows.iterator(chunk_size=10000))
    pks, raw, embeddings = works_described()
    index = {pk: row for row, pk in enumerate(pks)}
    return appeal.fit(raw, embeddings, [(index[item], label) for (_user, item), label in found.items()
                                        if item in index])


def model_usable() -> bool:
    """Whether the active model's artifacts are there to load."""
    active = ModelVersion.objects.filter(active=True).order_by("-trained_at", "-id").first()
    return active is not None and (_models_dir() / active.version / "items.npy").exists()


def _prune() -> None:
    keep = settings.RECOMMEND_MODELS_KEPT
    for old in ModelVersion.objects.order_by("-trained_at", "-id")[keep:]:
        shutil.rmtree(_models_dir() / old.version, ignore_errors=True)
        old.delete()


def viewer_weights(rows: list[SignalRow], hidden: set[int]) -> dict[int, float]:
    """One viewer's confidence weight per work, from their signal rows, without hidden works."""
    weights = user_weights(rows, time.time())
    return {item: weight for (_user, item), weight in weights.items() if item not in hidden}


def user_row(user_id: int, item_index: dict[int, int], n_items: int) -> sp.csr_matrix:
    """One viewer's current row over a model's columns (works the model does not know are left out)."""
    hidden = {item for _user, item in _hidden_pairs(user_id=user_id)}
    return row_from_weights(viewer_weights(signal_rows(user_id=user_id), hidden), item_index, n_items)


def user_vector_refresh(*, user_id: int) -> bool:
    """Recompute one viewer's factors with the active model (the incremental update)."""
    from recommend.serving import active_model

    active = active_model()
    if active is None:
        return False
    row = user_row(user_id, active.item_index, active.model.n_items)
    if row.nnz == 0:
        UserVector.objects.filter(user_id=user_id).delete()
        return False
    factors = active.model.user_factors_for(row).astype(np.float32)
    UserVector.objects.update_or_create(user_id=user_id, defaults={"model": active.version_row,
                                                                   "factors": factors.tobytes()})
    return True

