"""recommend.hybrid on a small matrix with two disjoint taste groups: real fits, no mocks."""

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommend import hybrid
from recommend.hybrid import HybridModel, HybridParams, rp3beta_weights, standardise

USERS_PER_GROUP = 40
ITEMS_PER_GROUP = 30
GROUP_A = np.arange(ITEMS_PER_GROUP)
GROUP_B = np.arange(ITEMS_PER_GROUP, 2 * ITEMS_PER_GROUP)


def two_groups(seed: int = 0) -> sp.csr_matrix:
    """Group A users like only A items, group B users only B items; 10 items each, popularity skewed."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, ITEMS_PER_GROUP + 1)
    rows, cols = [], []
    for user in range(2 * USERS_PER_GROUP):
        offset = 0 if user < USERS_PER_GROUP else ITEMS_PER_GROUP
        chosen = rng.choice(ITEMS_PER_GROUP, size=10, replace=False, p=popularity / popularity.sum())
        rows += [user] * len(chosen)
        cols += list(offset + chosen)
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                         shape=(2 * USERS_PER_GROUP, 2 * ITEMS_PER_GROUP))


def row_of(items: np.ndarray, n_items: int = 2 * ITEMS_PER_GROUP) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(items), dtype=np.float32), (np.zeros(len(items), dtype=int), items)),
                         shape=(1, n_items))


def top(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> np.ndarray:
    masked = scores.copy()
    masked[seen.indices] = -np.inf
    return np.argsort(-masked, kind="stable")[:k]


MATRIX = two_groups()


@pytest.fixture(scope="module", params=["ease", "knn"])
def model(request: pytest.FixtureRequest) -> HybridModel:
    params = HybridParams(factors=8, iterations=10, regularization=0.1, neighbours=10,
                          item_item=request.param, ease_lambda=20.0)
    return HybridModel(params).fit(MATRIX)


def test_a_user_of_group_a_gets_group_a_items_on_top(model: HybridModel) -> None:
    for user in (0, 7, USERS_PER_GROUP - 1):
        row = MATRIX[user]
        scores = model.scores(row)
        assert scores.shape == (1, model.n_items) and scores.dtype == np.float32
        assert set(top(scores[0], row, 5)) <= set(GROUP_A)
    assert set(top(model.scores(MATRIX[USERS_PER_GROUP])[0], MATRIX[USERS_PER_GROUP], 5)) <= set(GROUP_B)


def test_each_component_ranks_the_users_group_first(model: HybridModel) -> None:
    components = model.component_scores(MATRIX[0])
    assert set(components) == {"als", "item", "popularity"}
    for name in ("als", "item"):
        assert components[name][GROUP_A].mean() > components[name][GROUP_B].mean(), name


def test_new_signals_shift_the_user_towards_group_b_without_refitting(model: HybridModel) -> None:
    before_row = MATRIX[0]
    after_row = sp.csr_matrix(before_row + row_of(GROUP_B[:8]))
    before = model.component_scores(before_row, user_factors=model.user_factors_for(before_row))["als"]
    after = model.component_scores(after_row, user_factors=model.user_factors_for(after_row))["als"]
    gap_before = before[GROUP_B].mean() - before[GROUP_A].mean()
    gap_after = after[GROUP_B].mean() - after[GROUP_A].mean()
    assert gap_after > gap_before

    newcomer = row_of(GROUP_B[:4])
    factors = model.user_factors_for(newcomer)
    assert factors.shape == (1, model.params.factors)
    assert set(top(model.scores(newcomer, user_factors=factors)[0], newcomer, 8)) <= set(GROUP_B)


def test_fit_users_factors_and_recalculated_ones_agree_on_the_ranking(model: HybridModel) -> None:
    row = MATRIX[3]
    stored = model.scores(row, user_factors=model.user_factors[3:4])[0]
    recalculated = model.scores(row)[0]
    assert set(top(stored, row, 5)) == set(top(recalculated, row, 5))


def test_similar_items_come_from_the_same_group_and_exclude_the_item(model: HybridModel) -> None:
    for item in (0, 5, ITEMS_PER_GROUP + 2):
        ids, weights = model.similar_items(item, 5)
        group = GROUP_A if item < ITEMS_PER_GROUP else GROUP_B
        assert len(ids) == 5 and item not in ids
        assert set(ids) <= set(group)
        assert np.all(np.diff(weights) <= 0) and np.all(weights > 0)
    with pytest.raises(IndexError):
        model.similar_items(model.n_items, 3)


def test_save_then_load_gives_identical_scores_without_retraining(model: HybridModel, tmp_path: Path) -> None:
    model.save(tmp_path / "v1")
    loaded = HybridModel.load(tmp_path / "v1")
    rows = MATRIX[[0, 5, USERS_PER_GROUP + 1]]
    np.testing.assert_array_equal(loaded.scores(rows), model.scores(rows))
    np.testing.assert_array_equal(loaded.user_factors_for(rows), model.user_factors_for(rows))
    assert loaded.item_item_mode == model.item_item_mode
    np.testing.assert_array_equal(loaded.similar_items(3, 4)[0], model.similar_items(3, 4)[0])
    meta = json.loads((tmp_path / "v1" / "params.json").read_text())
    assert meta["version"] == hybrid.ARTIFACT_VERSION
    assert meta["params"]["item_item"] == model.params.item_item
    with np.load(tmp_path / "v1" / "arrays.npz", allow_pickle=False) as arrays:  # no pickled objects inside
        assert "item_factors" in arrays


def test_loading_a_partial_or_foreign_artifact_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"params\.json"):
        HybridModel.load(tmp_path)
    (tmp_path / "params.json").write_text(json.dumps({"format": "other", "version": 9}))
    with pytest.raises(ValueError, match="expected 'storyloom-hybrid'"):
        HybridModel.load(tmp_path)


def test_a_user_without_signals_gets_the_popularity_order() -> None:
    model = HybridModel(HybridParams(factors=4, iterations=5, item_item="ease")).fit(MATRIX)
    empty = sp.csr_matrix((1, model.n_items), dtype=np.float32)
    scores = model.scores(empty)[0]
    assert np.isfinite(scores).all()
    popularity = np.asarray(MATRIX.sum(axis=0)).ravel()
    assert popularity[int(np.argmax(scores))] == popularity.max()


def test_standardise_is_per_row_and_a_constant_row_contributes_nothing() -> None:
    values = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    z = standardise(values)
    np.testing.assert_allclose(z[0], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    np.testing.assert_array_equal(z[1], [0.0, 0.0, 0.0])


def test_auto_picks_ease_for_small_catalogues_and_knn_above_it(monkeypatch: pytest.MonkeyPatch) -> None:
    params = HybridParams(factors=4, iterations=3, neighbours=5)
    assert HybridModel(params).fit(MATRIX).item_item_mode == "ease"
    monkeypatch.setattr(hybrid, "EASE_MAX_ITEMS", MATRIX.shape[1] - 1)
    fitted = HybridModel(params).fit(MATRIX)
    assert fitted.item_item_mode == "knn" and fitted.ease is None and fitted.knn is not None


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="item_item"):
        HybridParams(item_item="graph")
    with pytest.raises(ValueError, match=">= 0"):
        HybridModel().fit(sp.csr_matrix(-MATRIX))
    model = HybridModel(HybridParams(factors=4, iterations=3)).fit(MATRIX)
    with pytest.raises(ValueError, match="items"):
        model.scores(sp.csr_matrix((1, 3), dtype=np.float32))


def test_rp3beta_walks_user_item_user_item_and_discounts_popular_arrivals(monkeypatch) -> None:
    # users 0 and 1 share item 0; user 0 also has item 1, user 1 item 2; user 2 has items 2 and 3
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 1]], dtype=np.float32))
    plain = rp3beta_weights(matrix, alpha=1.0, beta=0.0, neighbours=10).toarray()
    # from item 0: to user 0 or 1 (1/2 each), then to one of that user's two items (1/2 each)
    np.testing.assert_allclose(plain[0], [0.0, 0.25, 0.25, 0.0])  # no self-loop
    np.testing.assert_allclose(plain[3], [0.0, 0.0, 0.5, 0.0])  # item 3 -> user 2 -> item 2
    discounted = rp3beta_weights(matrix, alpha=1.0, beta=1.0, neighbours=10).toarray()
    # item 2 has two users: arrivals there are halved; item 1 has one
    np.testing.assert_allclose(discounted[0], [0.0, 0.25, 0.125, 0.0])
    monkeypatch.setattr(hybrid, "RP3_BLOCK_CELLS", 4)  # one item row per block: the same weights
    blocked = rp3beta_weights(matrix, alpha=1.0, beta=1.0, neighbours=10)
    np.testing.assert_allclose(blocked.toarray(), discounted)
    top1 = rp3beta_weights(matrix, alpha=1.0, beta=1.0, neighbours=1)
    assert list(np.diff(top1.indptr)) == [1, 1, 1, 1] and top1[0, 1] == pytest.approx(0.25)


def test_the_graph_component_blends_and_survives_save_and_load(tmp_path) -> None:
    params = HybridParams(factors=4, iterations=3, item_item="ease", w_graph=1.0, rp3_neighbours=5)
    model = HybridModel(params).fit(MATRIX)
    assert model.graph is not None
    rows = MATRIX[:3]
    components = model.standardised_components(rows, user_factors=model.user_factors[:3])
    assert set(components) == {"als", "item", "graph", "popularity"}
    model.save(tmp_path / "m")
    loaded = HybridModel.load(tmp_path / "m")
    assert loaded.graph is not None and (loaded.graph != model.graph).nnz == 0
    np.testing.assert_allclose(loaded.scores(rows, user_factors=loaded.user_factors[:3]),
                               model.scores(rows, user_factors=model.user_factors[:3]), rtol=1e-5)
    without = HybridModel(HybridParams(factors=4, iterations=3, item_item="ease")).fit(MATRIX)
    assert without.graph is None  # not fitted unless weighted
    with pytest.raises(ValueError, match="without its graph"):
        without.with_weights(w_als=1.0, w_item=1.0, w_pop=0.0, w_graph=1.0)
