"""The models compared offline, each with its hyper-parameter grid: five public baselines and the hybrid.

Every model is fitted on a binary user x item matrix of positives and returns dense scores for a batch
of users from their training rows; the protocol masks the training items and ranks the rest.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import asdict, replace
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommend.hybrid import HybridModel, HybridParams, confidence, ease_weights, knn_weights, rp3beta_weights

ALS_ITERATIONS = 15
Params = dict[str, Any]


class Recommender(Protocol):
    def fit(self, train: sp.csr_matrix) -> None: ...

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray: ...


class Candidate(Protocol):
    """A model under comparison: its grid (which may build on the other models' tuned params) and builder."""

    name: str

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]: ...

    def build(self, params: Params, seed: int) -> Recommender: ...


def _grid(**axes: list[Any]) -> list[Params]:
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


# Most popular -------------------------------------------------------------------------------------


class MostPopularModel:
    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.counts = np.asarray((train > 0).sum(axis=0), dtype=np.float32).ravel()

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), len(self.counts))).copy()


class MostPopular:
    name = "most-popular"

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        return [{}]

    def build(self, params: Params, seed: int) -> Recommender:
        return MostPopularModel()


# implicit ALS -------------------------------------------------------------------------------------


class ALSModel:
    """implicit's ALS (conjugate gradient), with confidence 1 + alpha * weight (Hu, Koren, Volinsky)."""

    def __init__(self, *, factors: int, regularization: float, alpha: float, seed: int) -> None:
        self.alpha = alpha
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=factors, regularization=regularization, alpha=1.0,
                iterations=ALS_ITERATIONS, random_state=seed, num_threads=0,
            )

    def fit(self, train: sp.csr_matrix) -> None:
        with threadpool_limits(1, "blas"):
            self.model.fit(confidence(train, self.alpha), show_progress=False)

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.model.user_factors[users] @ self.model.item_factors.T, dtype=np.float32)


class ALS:
    name = "ALS (implicit)"

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        if quick:
            return _grid(factors=[8, 16], regularization=[0.1], alpha=[1.0])
        # implicit does not scale the regularisation by activity: on MovieLens-size data the optimum is
        # around regularization/alpha ~ 10, so the grid spans weak to strong regularisation.
        return _grid(factors=[32, 64, 128], regularization=[0.1, 3.0, 10.0, 30.0, 100.0],
                     alpha=[1.0, 3.0, 10.0])

    def build(self, params: Params, seed: int) -> Recommender:
        return ALSModel(seed=seed, **params)


# Item-kNN (BM25) ----------------------------------------------------------------------------------


class ItemKNNModel:
    """implicit's BM25 item-item neighbourhood (K1=1.2, B=0.75: implicit's defaults), top K per item."""

    def __init__(self, *, neighbours: int) -> None:
        self.neighbours = neighbours
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.similarity = knn_weights(train, self.neighbours)

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return np.asarray((train[users] @ self.similarity).toarray(), dtype=np.float32)


class ItemKNN:
    name = "item-kNN (BM25)"

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        return _grid(neighbours=[20] if quick else [50, 100, 200, 400])

    def build(self, params: Params, seed: int) -> Recommender:
        return ItemKNNModel(**params)


# EASE ---------------------------------------------------------------------------------------------


class EASEModel:
    """Steck's EASE: a closed-form item-item regression with a zero diagonal (numpy, dense)."""

    def __init__(self, *, ease_lambda: float) -> None:
        self.ease_lambda = ease_lambda
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.weights = ease_weights(train, self.ease_lambda)

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return np.asarray(train[users] @ self.weights, dtype=np.float32)


class EASE:
    name = "EASE"

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        return _grid(ease_lambda=[100.0, 500.0] if quick else [50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0])

    def build(self, params: Params, seed: int) -> Recommender:
        return EASEModel(**params)


# RP3beta ------------------------------------------------------------------------------------------


class RP3betaModel:
    """Paudel et al.'s RP3beta item graph (`recommend.hybrid.rp3beta_weights`): strong on MovieLens-style
    data in Dacrema et al.'s 2019 reproducibility study."""

    def __init__(self, *, rp3_alpha: float, rp3_beta: float, rp3_neighbours: int) -> None:
        self.alpha, self.beta, self.neighbours = rp3_alpha, rp3_beta, rp3_neighbours
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: sp.csr_matrix) -> None:
        self.similarity = rp3beta_weights(train, self.alpha, self.beta, self.neighbours)

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        return np.asarray((train[users] @ self.similarity).toarray(), dtype=np.float32)


class RP3beta:
    name = "RP3beta"

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        if quick:
            return _grid(rp3_alpha=[1.0], rp3_beta=[0.5], rp3_neighbours=[50])
        return _grid(rp3_alpha=[0.5, 0.75, 1.0], rp3_beta=[0.0, 0.25, 0.5, 0.75],
                     rp3_neighbours=[100, 200, 400])

    def build(self, params: Params, seed: int) -> Recommender:
        return RP3betaModel(**params)


# The platform's hybrid ----------------------------------------------------------------------------


class HybridAdapter:
    """HybridModel under the protocol. Fitted components are shared between candidates that differ only
    in blend weights, so tuning the weights does not refit ALS and EASE for every combination."""

    def __init__(self, params: HybridParams, cache: dict[tuple[Any, ...], HybridModel]) -> None:
        self.params = params
        self.cache = cache
        self.model: HybridModel | None = None

    def fit(self, train: sp.csr_matrix) -> None:
        # (fitted with the graph, whatever the blend: weights then choose among what is there)
        components = replace(self.params, w_als=0.0, w_item=0.0, w_pop=0.0, w_graph=1.0)
        digest = hashlib.sha1(train.indptr.tobytes() + train.indices.tobytes() + train.data.tobytes())
        key = (components, train.shape, digest.hexdigest())
        if key not in self.cache:
            self.cache.clear()  # one fitted model at a time: memory stays that of one model
            self.cache[key] = HybridModel(components).fit(train)
        p = self.params
        self.model = self.cache[key].with_weights(w_als=p.w_als, w_item=p.w_item, w_pop=p.w_pop,
                                                  w_graph=p.w_graph)

    def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
        assert self.model is not None
        return self.model.scores(train[users], user_factors=self.model.user_factors[users])


class Hybrid:
    """ALS, EASE, item-kNN and RP3beta parameters come from those baselines' own tuning on the same
    validation split; the blend stage then tunes the weights, with the item-item regularisation at the
    tuned value and below it (a less regularised EASE complements ALS better than the one that is best
    alone)."""

    name = "Storyloom hybrid"

    def __init__(self) -> None:
        self.cache: dict[tuple[Any, ...], HybridModel] = {}

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        base: Params = {"iterations": ALS_ITERATIONS}
        base.update(tuned.get(ALS.name, {}))
        base.update(tuned.get(ItemKNN.name, {}))
        base.update(tuned.get(RP3beta.name, {}))
        ease_lambda = float(tuned.get(EASE.name, {}).get("ease_lambda", HybridParams.ease_lambda))
        if quick:
            lambdas = [ease_lambda]
            weights = _grid(w_als=[0.5, 1.0], w_item=[1.0], w_graph=[0.0, 1.0], w_pop=[0.0, 0.1])
        else:
            lambdas = [ease_lambda, ease_lambda / 2]
            # Only the ratios matter: the item-item weight is 1 or off, ALS ranges from off to
            # dominant, the graph from off to twice the item-item model.
            weights = [w for w in _grid(w_als=[0.0, 1.0, 2.0, 4.0, 8.0], w_item=[0.0, 1.0],
                                        w_graph=[0.0, 0.5, 1.0, 2.0], w_pop=[0.0, 0.1])
                       if w["w_als"] or w["w_item"] or w["w_graph"]]
        # Grouped by lambda so that consecutive candidates reuse one fitted model.
        return [{**base, "ease_lambda": lam, **w} for lam in lambdas for w in weights]

    def build(self, params: Params, seed: int) -> Recommender:
        return HybridAdapter(HybridParams(**{**asdict(HybridParams()), **params, "seed": seed}), self.cache)


def default_candidates() -> list[Candidate]:
    """In tuning order: the hybrid last, since it starts from the others' tuned parameters."""
    return [MostPopular(), ALS(), ItemKNN(), EASE(), RP3beta(), Hybrid()]
