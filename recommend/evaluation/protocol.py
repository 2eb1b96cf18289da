"""The offline protocol: positives, per-user splits, ranking metrics, tuning on validation, the full run.

- Positives are ratings >= 4 (implicit data: every entry), as a binary user x item matrix; the catalogue
  is every rated item.
- Test: a random 20% of each user's positives (per seed). Validation: a random 20% of each user's
  *training* positives; models are tuned on it, then refitted on the whole training split.
- Every item except the user's training positives is ranked. Users without test positives are skipped.
- Recall@20 = hits in the top 20 / min(20, |test|); NDCG@10 has binary gains and the ideal DCG of
  min(10, |test|) hits. Coverage@20: the fraction of the catalogue in anyone's top 20.
- Diversity@20 (intra-list): the mean over users of the mean pairwise (1 - cosine) within the top 20,
  with items represented by their L2-normalised columns of the training matrix (who liked them), which
  no model under test influences; an item nobody liked in training counts as dissimilar to all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommend.evaluation.baselines import Candidate, Params, Recommender, default_candidates
from recommend.evaluation.data import Ratings

TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.2
TOP_K = 20
NDCG_K = 10
TUNING_METRIC = "ndcg@10"
METRICS = ("recall@20", "ndcg@10", "coverage@20", "diversity@20")
BATCH = 512


def positives(ratings: Ratings) -> sp.csr_matrix:
    keep = ratings.ratings >= ratings.positive
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (ratings.users[keep], ratings.items[keep])),
        shape=(ratings.n_users, ratings.n_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # a repeated rating is still one positive
    return matrix


def split_per_user(matrix: sp.csr_matrix, fraction: float, seed: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(kept, held out): a random round(fraction * n) of each user's n entries held out, the rest kept."""
    rng = np.random.default_rng(seed)
    held = np.zeros(matrix.nnz, dtype=bool)
    for user in range(matrix.shape[0]):
        start, end = matrix.indptr[user], matrix.indptr[user + 1]
        count = round(fraction * int(end - start))
        if count:
            held[start + rng.choice(end - start, size=count, replace=False)] = True
    coo = matrix.tocoo()
    kept = sp.csr_matrix((coo.data[~held], (coo.row[~held], coo.col[~held])), shape=matrix.shape)
    out = sp.csr_matrix((coo.data[held], (coo.row[held], coo.col[held])), shape=matrix.shape)
    return kept, out


# Metrics -------------------------------------------------------------------------------------------


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: relevant items in the top k / min(k, number relevant). hits: (users, >= k) booleans."""
    return hits[:, :k].sum(axis=1) / np.minimum(k, n_relevant)


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: binary-gain DCG of the top k over the DCG of min(k, number relevant) hits."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits[:, :k] * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(k, n_relevant) - 1]
    return np.asarray(dcg / ideal)


def coverage(top: np.ndarray, n_items: int) -> float:
    return len(np.unique(top)) / n_items


def intra_list_diversity(top: np.ndarray, item_vectors: sp.csr_matrix) -> float:
    """Mean over lists of the mean pairwise (1 - cosine) of unit (or zero) item vectors (items x dims).
    Uses sum_{i != j} cos = |sum v|^2 - sum |v|^2, so no pairwise matrix is built."""
    n_lists, k = top.shape
    if k < 2:
        return 0.0
    indicator = sp.csr_matrix(
        (np.ones(top.size, dtype=np.float64), (np.repeat(np.arange(n_lists), k), top.ravel())),
        shape=(n_lists, item_vectors.shape[0]),
    )
    summed = indicator @ item_vectors
    norms = np.asarray(item_vectors.multiply(item_vectors).sum(axis=1)).ravel()
    pair_cosines = np.asarray(summed.multiply(summed).sum(axis=1)).ravel() - indicator @ norms
    return float(np.mean(1.0 - pair_cosines / (k * (k - 1))))


def item_vectors(train: sp.csr_matrix) -> sp.csr_matrix:
    """Items as their L2-normalised columns of the training matrix (items x users)."""
    columns = sp.csr_matrix(train.T, dtype=np.float64)
    norms = np.sqrt(np.asarray(columns.multiply(columns).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ columns)


def top_items(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> np.ndarray:
    """The k best-scored items per row, best first, never an item the user has in `seen`."""
    scores = np.array(scores, dtype=np.float64)
    rows, cols = seen.nonzero()
    scores[rows, cols] = -np.inf
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def evaluate(model: Recommender, train: sp.csr_matrix, held_out: sp.csr_matrix) -> dict[str, float]:
    """The four metrics of a fitted model: train rows are its input and are masked, held_out is the truth."""
    users = np.flatnonzero(np.diff(held_out.indptr))
    tops, recalls, ndcgs = [], [], []
    for start in range(0, len(users), BATCH):
        batch = users[start:start + BATCH]
        top = top_items(model.scores(batch, train), train[batch], TOP_K)
        truth = held_out[batch]
        hits = np.take_along_axis(truth.toarray() > 0, top, axis=1)
        n_relevant = np.diff(truth.indptr)
        recalls.append(recall_at_k(hits, n_relevant, TOP_K))
        ndcgs.append(ndcg_at_k(hits, n_relevant, NDCG_K))
        tops.append(top)
    top_all = np.concatenate(tops)
    return {
        "recall@20": float(np.concatenate(recalls).mean()),
        "ndcg@10": float(np.concatenate(ndcgs).mean()),
        "coverage@20": coverage(top_all, train.shape[1]),
        "diversity@20": intra_list_diversity(top_all, item_vectors(train)),
    }


# Tuning and the run --------------------------------------------------------------------------------


@dataclass
class Tuned:
    params: Params
    validation: list[tuple[Params, float]] = field(default_factory=list)


def tune(candidate: Candidate, train: sp.csr_matrix, *, seed: int, quick: bool,
         tuned: dict[str, Params] | None = None) -> Tuned:
    """Grid search on a validation split carved from `train` alone: the test split is never an argument."""
    fit_part, validation = split_per_user(train, VALIDATION_FRACTION, seed=10_000 + seed)
    result = Tuned(params={})
    best = -np.inf
    for params in candidate.grid(quick, tuned or {}):
        model = candidate.build(params, seed)
        model.fit(fit_part)
        score = evaluate(model, fit_part, validation)[TUNING_METRIC]
        result.validation.append((params, score))
        if score > best:
            best, result.params = score, params
    return result


def seed_runs(ratings: Ratings, seeds: int) -> Iterator[tuple[int, sp.csr_matrix, sp.csr_matrix]]:
    matrix = positives(ratings)
    for seed in range(seeds):
        train, test = split_per_user(matrix, TEST_FRACTION, seed=seed)
        yield seed, train, test


def run_evaluation(
    ratings: Ratings, *, seeds: int = 3, quick: bool = False,
    candidates: list[Candidate] | None = None, progress: Callable[[str], None] = lambda line: None,
) -> dict[str, object]:
    """Tune, refit on the full training split and test every candidate, for each seed."""
    candidates = candidates if candidates is not None else default_candidates()
    runs: list[dict[str, object]] = []
    for seed, train, test in seed_runs(ratings, seeds):
        tuned: dict[str, Params] = {}
        models: dict[str, object] = {}
        for candidate in candidates:
            started = time.perf_counter()
            tuned[candidate.name] = tune(candidate, train, seed=seed, quick=quick, tuned=tuned).params
            tuning_s = time.perf_counter() - started
            model = candidate.build(tuned[candidate.name], seed)
            started = time.perf_counter()
            model.fit(train)
            fit_s = time.perf_counter() - started
            metrics = evaluate(model, train, test)
            models[candidate.name] = {
                "metrics": metrics, "params": tuned[candidate.name],
                "tuning_seconds": round(tuning_s, 2), "fit_seconds": round(fit_s, 2),
            }
            progress(f"seed {seed} {candidate.name}: "
                     + ", ".join(f"{name} {value:.4f}" for name, value in metrics.items())
                     + f" (params {tuned[candidate.name]})")
        runs.append({"seed": seed, "train_positives": int(train.nnz), "test_positives": int(test.nnz),
                     "test_users": int(np.count_nonzero(np.diff(test.indptr))), "models": models})
    return {"dataset": ratings.describe(), "seeds": seeds, "quick": quick, "runs": runs,
            "models": [candidate.name for candidate in candidates]}
