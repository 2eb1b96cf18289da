"""The platform's collaborative recommender: implicit ALS, an item-item model, an item graph
(RP3beta) and popularity, blended.

Each component is standardised per user over the catalogue before blending, so the weights compare
like with like whatever the scale of each model's raw scores. The item-item model is exact EASE when
the catalogue is small enough for a dense inverse, and a sparse BM25 top-k neighbourhood otherwise.
The graph component is RP3beta (Paudel et al. 2016, "Updatable, accurate, diverse, and scalable
recommendations for interactive applications"; as evaluated by Dacrema et al. 2019): three-step
random-walk probabilities user -> item -> user -> item, each step's probabilities raised to alpha,
an item's arrivals divided by its popularity to the power beta, top-k per item. Only fitted when
its weight is not zero. Pure numpy/scipy/implicit: the feed service and the offline evaluation
both use it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight
from threadpoolctl import threadpool_limits

# A dense EASE inverse costs n_items^2 memory and n_items^3 time: 6000 items is ~290 MB and a few seconds.
EASE_MAX_ITEMS = 6000
ARTIFACT_FORMAT = "storyloom-hybrid"
ARTIFACT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no graph component
ITEM_ITEM_MODES = ("auto", "ease", "knn")
COMPONENTS = ("als", "item", "graph", "popularity")
RP3_BLOCK_CELLS = 2**24  # the graph's similarity is computed densely this many cells (64 MB) at a time
SMALL_BATCH = 32  # rows at most that user_factors_for solves on one thread


@dataclass(frozen=True)
class HybridParams:
    factors: int = 64
    regularization: float = 0.05
    iterations: int = 15
    alpha: float = 1.0  # confidence = 1 + alpha * weight, applied to the input matrix before ALS
    neighbours: int = 100  # item-item: top neighbours kept per item (kNN mode)
    item_item: str = "auto"  # "ease", "knn", or "auto": ease when n_items <= EASE_MAX_ITEMS, else knn
    ease_lambda: float = 250.0
    rp3_alpha: float = 1.0
    rp3_beta: float = 0.5
    rp3_neighbours: int = 200
    w_als: float = 1.0
    w_item: float = 1.0
    w_graph: float = 0.0
    w_pop: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.item_item not in ITEM_ITEM_MODES:
            raise ValueError(f"item_item must be one of {ITEM_ITEM_MODES}, not {self.item_item!r}")


def standardise(values: np.ndarray) -> np.ndarray:
    """Each row to mean 0 and std 1 over its columns; a constant row becomes all zeros."""
    values = np.asarray(values, dtype=np.float32)
    mean = values.mean(axis=1, keepdims=True)
    std = values.std(axis=1, keepdims=True)
    flat = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
    return np.where(flat, 0.0, (values - mean) / np.where(flat, 1.0, std)).astype(np.float32)


def confidence(user_items: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """Hu et al.'s C = 1 + alpha * weight on the stored entries (implicit reads the values as C)."""
    weights = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    weights.eliminate_zeros()
    weights.data = (1.0 + alpha * weights.data).astype(np.float32)
    return weights


def ease_weights(user_items: sp.csr_matrix, lam: float) -> np.ndarray:
    """EASE (Steck 2019): B = I - P / diag(P), P = (X^T X + lambda I)^-1, with a zero diagonal."""
    gram = (user_items.T @ user_items).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[np.newaxis, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


def knn_weights(
    user_items: sp.csr_matrix, neighbours: int, *, k1: float = 1.2, b: float = 0.75
) -> sp.csr_matrix:
    """Top-k BM25 item-item similarities (row i: the neighbours of item i), without self-similarity.
    implicit's BM25Recommender with its default K1 and B, weighting done here to hand it CSR."""
    weighted = bm25_weight(sp.csr_matrix(user_items, dtype=np.float32).T, k1, b).T.tocsr()
    model = ItemItemRecommender(K=neighbours + 1, num_threads=0)  # +1: the item itself takes a slot
    model.fit(weighted, show_progress=False)
    similarity = sp.csr_matrix(model.similarity, dtype=np.float32)
    similarity.setdiag(0.0)
    similarity.eliminate_zeros()
    return similarity


def rp3beta_weights(user_items: sp.csr_matrix, alpha: float, beta: float, neighbours: int) -> sp.csr_matrix:
    """RP3beta's item x item transition weights (row i: where a walk from item i arrives), top
    `neighbours` per row, no self-loops: P_iu^alpha @ P_ui^alpha, each column j divided by
    popularity_j^beta. Computed in blocks of rows of RP3_BLOCK_CELLS cells at most."""
    binary = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    binary.eliminate_zeros()
    binary.data[:] = 1.0
    n_items = binary.shape[1]
    user_degree = np.asarray(binary.sum(axis=1)).ravel()
    item_degree = np.asarray(binary.sum(axis=0)).ravel()

    def normalised(matrix: sp.csr_matrix, degree: np.ndarray) -> sp.csr_matrix:
        inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
        walked = sp.csr_matrix(sp.diags(inverse.astype(np.float32)) @ matrix)
        walked.data = np.power(walked.data, alpha, dtype=np.float32)
        return walked

    to_item = normalised(binary, user_degree)  # users x items: P_ui
    to_user = normalised(sp.csr_matrix(binary.T), item_degree)  # items x users: P_iu
    arrival = np.power(np.maximum(item_degree, 1.0), -beta, dtype=np.float32)
    keep = min(neighbours, max(n_items - 1, 1))
    rows, cols, values = [], [], []
    step = max(1, RP3_BLOCK_CELLS // max(n_items, 1))
    for start in range(0, n_items, step):
        block = np.asarray((to_user[start:start + step] @ to_item).toarray(), dtype=np.float32)
        block *= arrival[np.newaxis, :]
        block[np.arange(block.shape[0]), np.arange(start, start + block.shape[0])] = 0.0
        top = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
        picked = np.take_along_axis(block, top, axis=1)
        nonzero = picked > 0
        rows.append(np.repeat(np.arange(start, start + block.shape[0]), keep)[nonzero.ravel()])
        cols.append(top[nonzero])
        values.append(picked[nonzero])
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_items, n_items), dtype=np.float32)


class HybridModel:
    """Fit on a user x item matrix of confidence weights; score any user from their interaction row."""

    def __init__(self, params: HybridParams = HybridParams()) -> None:
        self.params = params
        self.n_items = 0
        self.item_item_mode = ""
        self.item_factors = np.zeros((0, params.factors), dtype=np.float32)
        self.user_factors = np.zeros((0, params.factors), dtype=np.float32)
        self.popularity = np.zeros(0, dtype=np.float32)  # users with a signal on each item
        self.ease: np.ndarray | None = None
        self.knn: sp.csr_matrix | None = None
        self.graph: sp.csr_matrix | None = None  # RP3beta, when its weight is not zero
        self._popularity_z = np.zeros(0, dtype=np.float32)
        self._als: AlternatingLeastSquares | None = None
        self._als_serial: AlternatingLeastSquares | None = None

    # Fitting --------------------------------------------------------------------------------------

    def fit(self, user_items: sp.csr_matrix) -> HybridModel:
        user_items = sp.csr_matrix(user_items, dtype=np.float32)
        if user_items.nnz and user_items.data.min() < 0:
            raise ValueError("interaction weights must be >= 0")
        self.n_items = user_items.shape[1]
        self.item_item_mode = self._resolve_mode(self.n_items)
        als = self._new_als()
        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; nested BLAS threads thrash
            als.fit(confidence(user_items, self.params.alpha), show_progress=False)
        self._als = als
        self.item_factors = np.ascontiguousarray(als.item_factors, dtype=np.float32)
        self.user_factors = np.ascontiguousarray(als.user_factors, dtype=np.float32)
        if self.item_item_mode == "ease":
            self.ease, self.knn = ease_weights(user_items, self.params.ease_lambda), None
        else:
            self.ease, self.knn = None, knn_weights(user_items, self.params.neighbours)
        self.graph = self._fit_graph(user_items)
        self.popularity = np.asarray((user_items > 0).sum(axis=0), dtype=np.float32).ravel()
        self._prepare()
        return self

    def _fit_graph(self, user_items: sp.csr_matrix) -> sp.csr_matrix | None:
        p = self.params
        return rp3beta_weights(user_items, p.rp3_alpha, p.rp3_beta, p.rp3_neighbours) if p.w_graph else None

    def with_weights(self, *, w_als: float, w_item: float, w_pop: float, w_graph: float = 0.0) -> HybridModel:
        """The same fitted components under other blend weights (no refit): for tuning the blend.
        A graph weight needs the graph fitted (a model fitted with w_graph != 0)."""
        if w_graph and self.graph is None:
            raise ValueError("this model was fitted without its graph component (w_graph = 0)")
        other = HybridModel.__new__(HybridModel)
        other.__dict__.update(self.__dict__)
        other.params = replace(self.params, w_als=w_als, w_item=w_item, w_pop=w_pop, w_graph=w_graph)
        return other

    def _resolve_mode(self, n_items: int) -> str:
        if self.params.item_item != "auto":
            return self.params.item_item
        return "ease" if n_items <= EASE_MAX_ITEMS else "knn"

    def _new_als(self, num_threads: int = 0) -> AlternatingLeastSquares:
        with threadpool_limits(1, "blas"):
            return AlternatingLeastSquares(
                factors=self.params.factors,
                regularization=self.params.regularization,
                alpha=1.0,  # the confidence transform is applied by confidence() instead
                iterations=self.params.iterations,
                random_state=self.params.seed,
                num_threads=num_threads,
            )

    def _prepare(self) -> None:
        """Derived state that serving needs; computed after fit and after load."""
        self._popularity_z = standardise(np.log1p(self.popularity)[np.newaxis, :])[0]
        if self._als is None:
            self._als = self._new_als()
            self._als.item_factors = self.item_factors
            self._als.user_factors = self.user_factors
        self._als_serial = self._new_als(num_threads=1)
        self._als_serial.item_factors = self.item_factors
        self._als_serial.user_factors = self.user_factors
        _ = self._als_serial.YtY  # cached now rather than on a viewer's first request

    # Scoring --------------------------------------------------------------------------------------

    def _rows(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        if self._als is None:
            raise RuntimeError("the model is not fitted")
        rows = sp.csr_matrix(rows, dtype=np.float32)
        if rows.shape[1] != self.n_items:
            raise ValueError(f"rows have {rows.shape[1]} items, the model {self.n_items}")
        return rows

    def user_factors_for(self, row: sp.csr_matrix) -> np.ndarray:
        """ALS factors from interaction rows alone (one least-squares step against the item factors):
        a user unseen at fit, or one whose signals changed since, without refitting."""
        rows = self._rows(row)
        assert self._als is not None
        weights = confidence(rows, self.params.alpha)
        if rows.shape[0] <= SMALL_BATCH:
            # Single-threaded: OpenMP threads around a tiny solve cost ~15 ms of contention (0.05 ms alone).
            assert self._als_serial is not None
            factors = self._als_serial.recalculate_user(np.arange(rows.shape[0]), weights)
        else:
            with threadpool_limits(1, "blas"):
                factors = self._als.recalculate_user(np.arange(rows.shape[0]), weights)
        return np.asarray(factors, dtype=np.float32).reshape(rows.shape[0], -1)

    def _item_component(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.ease is not None:
            return np.asarray(rows @ self.ease, dtype=np.float32)
        assert self.knn is not None
        return np.asarray((rows @ self.knn).toarray(), dtype=np.float32)

    def _graph_component(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.graph is None:
            return np.zeros((rows.shape[0], self.n_items), dtype=np.float32)
        binary = rows.copy()
        binary.data = (binary.data > 0).astype(np.float32)
        return np.asarray((binary @ self.graph).toarray(), dtype=np.float32)

    def _als_component(self, rows: sp.csr_matrix, user_factors: np.ndarray | None) -> np.ndarray:
        if user_factors is None:
            user_factors = self.user_factors_for(rows)
        user_factors = np.asarray(user_factors, dtype=np.float32).reshape(rows.shape[0], -1)
        return user_factors @ self.item_factors.T

    def standardised_components(
        self, rows: sp.csr_matrix, *, user_factors: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Each component z-scored per user (popularity: one shared row; the graph only when fitted); the
        blend is their weighted sum."""
        rows = self._rows(rows)
        components = {
            "als": standardise(self._als_component(rows, user_factors)),
            "item": standardise(self._item_component(rows)),
            "popularity": self._popularity_z[np.newaxis, :],
        }
        if self.graph is not None:
            components["graph"] = standardise(self._graph_component(rows))
        return components

    def scores(self, rows: sp.csr_matrix, *, user_factors: np.ndarray | None = None) -> np.ndarray:
        """Blended float32 scores (n_rows, n_items). Items already in a row are not masked: callers mask."""
        rows = self._rows(rows)
        p = self.params
        blended = np.zeros((rows.shape[0], self.n_items), dtype=np.float32)
        if p.w_als:
            blended += np.float32(p.w_als) * standardise(self._als_component(rows, user_factors))
        if p.w_item:
            blended += np.float32(p.w_item) * standardise(self._item_component(rows))
        if p.w_graph:
            blended += np.float32(p.w_graph) * standardise(self._graph_component(rows))
        if p.w_pop:
            blended += np.float32(p.w_pop) * self._popularity_z[np.newaxis, :]
        return blended

    def component_scores(
        self, row: sp.csr_matrix, *, user_factors: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The raw (unstandardised) components for one user, for explanations."""
        rows = self._rows(row)
        if rows.shape[0] != 1:
            raise ValueError("component_scores takes one user's row")
        components = {
            "als": self._als_component(rows, user_factors)[0],
            "item": self._item_component(rows)[0],
            "popularity": np.log1p(self.popularity),
        }
        if self.graph is not None:
            components["graph"] = self._graph_component(rows)[0]
        return components

    def similar_items(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k items with the largest positive item-item weight from `item`, best first."""
        if not 0 <= item < self.n_items:
            raise IndexError(f"item {item} is outside the catalogue of {self.n_items}")
        if self.ease is not None:
            weights = self.ease[item].copy()
            candidates = np.flatnonzero(weights > 0)
            values = weights[candidates]
        else:
            assert self.knn is not None
            start, end = self.knn.indptr[item], self.knn.indptr[item + 1]
            candidates, values = self.knn.indices[start:end], self.knn.data[start:end]
            keep = (candidates != item) & (values > 0)
            candidates, values = candidates[keep], values[keep]
        order = np.argsort(-values, kind="stable")[:k]
        return candidates[order].astype(np.int64), values[order].astype(np.float32)

    # Artifacts ------------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Arrays as .npz (no pickle) and params.json, written last so a partial artifact fails to load."""
        if self._als is None:
            raise RuntimeError("the model is not fitted")
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "item_factors": self.item_factors,
            "user_factors": self.user_factors,
            "popularity": self.popularity,
        }
        if self.ease is not None:
            arrays["ease"] = self.ease
        np.savez(directory / "arrays.npz", **arrays)  # type: ignore[arg-type]
        if self.knn is not None:
            sp.save_npz(directory / "item_knn.npz", self.knn)
        if self.graph is not None:
            sp.save_npz(directory / "item_graph.npz", self.graph)
        meta: dict[str, Any] = {
            "format": ARTIFACT_FORMAT,
            "version": ARTIFACT_VERSION,
            "params": asdict(self.params),
            "n_items": self.n_items,
            "item_item_mode": self.item_item_mode,
        }
        (directory / "params.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> HybridModel:
        meta_path = directory / "params.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{meta_path} is missing: not a saved recommender (or a partial one)")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != ARTIFACT_FORMAT or meta.get("version") not in READABLE_VERSIONS:
            raise ValueError(
                f"{meta_path}: format {meta.get('format')!r} version {meta.get('version')!r}, "
                f"expected {ARTIFACT_FORMAT!r} version {' or '.join(map(str, READABLE_VERSIONS))}"
            )
        model = cls(HybridParams(**meta["params"]))
        model.n_items = int(meta["n_items"])
        model.item_item_mode = str(meta["item_item_mode"])
        with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
            model.item_factors = np.ascontiguousarray(arrays["item_factors"], dtype=np.float32)
            model.user_factors = np.ascontiguousarray(arrays["user_factors"], dtype=np.float32)
            model.popularity = np.asarray(arrays["popularity"], dtype=np.float32)
            model.ease = np.asarray(arrays["ease"], dtype=np.float32) if "ease" in arrays else None
        if model.item_item_mode == "knn":
            model.knn = sp.csr_matrix(sp.load_npz(directory / "item_knn.npz"), dtype=np.float32)
        if (directory / "item_graph.npz").is_file():
            model.graph = sp.csr_matrix(sp.load_npz(directory / "item_graph.npz"), dtype=np.float32)
        model._prepare()
        return model
