"""The offline evaluation: metrics on hand-made cases, the splits, tuning that never sees the test split,
the data loaders and the recommend_evaluate command, on small real data."""

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.management import CommandError, call_command

from recommend.evaluation.baselines import EASE, Hybrid, MostPopular, Params, Recommender, default_candidates
from recommend.evaluation.data import (
    DatasetError,
    Ratings,
    load_dataset,
    load_lastfm,
    load_movielens,
    synthetic,
)
from recommend.evaluation.protocol import (
    METRICS,
    coverage,
    intra_list_diversity,
    item_vectors,
    ndcg_at_k,
    positives,
    recall_at_k,
    run_evaluation,
    seed_runs,
    split_per_user,
    top_items,
)
from recommend.evaluation.report import verdict

# Metrics --------------------------------------------------------------------------------------------


def test_ndcg_at_10_on_hand_made_rankings() -> None:
    hits = np.zeros((3, 20), dtype=bool)
    hits[0, [0, 2]] = True  # 2 relevant, found at ranks 1 and 3
    hits[1, [0, 1]] = True  # 2 relevant, both on top: perfect
    hits[2, [12]] = True  # found only below the cut-off
    ndcg = ndcg_at_k(hits, np.array([2, 2, 1]), 10)
    expected_first = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    np.testing.assert_allclose(ndcg, [expected_first, 1.0, 0.0])


def test_ndcg_ideal_uses_at_most_k_relevant_items() -> None:
    hits = np.ones((1, 20), dtype=bool)  # 30 relevant, all of the top 10 hit: still a perfect 1
    assert ndcg_at_k(hits, np.array([30]), 10)[0] == pytest.approx(1.0)


def test_recall_at_20_divides_by_min_of_20_and_the_relevant_count() -> None:
    hits = np.zeros((2, 20), dtype=bool)
    hits[0, [1, 5, 19]] = True  # 3 of 25 relevant: 3 / min(20, 25)
    hits[1, [0]] = True  # 1 of 4 relevant
    np.testing.assert_allclose(recall_at_k(hits, np.array([25, 4]), 20), [3 / 20, 1 / 4])


def test_coverage_and_intra_list_diversity() -> None:
    top = np.array([[0, 1], [0, 2]])
    assert coverage(top, 4) == 0.75
    # items 0 and 1 share their only user (cosine 1), item 2 has another user (cosine 0 with item 0)
    train = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=np.float32))
    assert intra_list_diversity(top, item_vectors(train)) == pytest.approx(0.5)
    # a list of three: pairs (0,1)=0, (0,2)=1, (1,2)=1 -> mean 2/3
    assert intra_list_diversity(np.array([[0, 1, 2]]), item_vectors(train)) == pytest.approx(2 / 3)


def test_top_items_never_returns_a_training_item_and_is_ordered() -> None:
    scores = np.array([[0.9, 0.8, 0.1, 0.5, 0.7]])
    seen = sp.csr_matrix(np.array([[1, 0, 0, 0, 1]], dtype=np.float32))
    np.testing.assert_array_equal(top_items(scores, seen, 3), [[1, 3, 2]])


# Splits and tuning ------------------------------------------------------------------------------------


def test_split_is_per_user_80_20_and_disjoint() -> None:
    rng = np.random.default_rng(0)
    matrix = sp.csr_matrix((rng.random((30, 50)) < 0.3).astype(np.float32))
    kept, held = split_per_user(matrix, 0.2, seed=1)
    assert kept.multiply(held).nnz == 0
    assert (kept + held != matrix).nnz == 0
    for user in range(30):
        total = matrix[user].nnz
        assert held[user].nnz == round(0.2 * total)
        assert kept[user].nnz == total - round(0.2 * total)
    again_kept, _ = split_per_user(matrix, 0.2, seed=1)
    assert (again_kept != kept).nnz == 0  # seeded
    other_kept, _ = split_per_user(matrix, 0.2, seed=2)
    assert (other_kept != kept).nnz > 0


class Recording:
    """A real candidate whose models note every matrix they are given (fit input and scoring rows)."""

    def __init__(self, inner: object, seen: list[tuple[int, str, sp.csr_matrix]]) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen = seen

    def grid(self, quick: bool, tuned: dict[str, Params]) -> list[Params]:
        return self.inner.grid(quick, tuned)

    def build(self, params: Params, seed: int) -> Recommender:
        model = self.inner.build(params, seed)
        seen = self.seen

        class Noting:
            def fit(self, train: sp.csr_matrix) -> None:
                seen.append((seed, "fit", train.copy()))
                model.fit(train)

            def scores(self, users: np.ndarray, train: sp.csr_matrix) -> np.ndarray:
                seen.append((seed, "scores", train.copy()))
                return model.scores(users, train)

        return Noting()


def test_no_model_ever_sees_test_positives_and_tuning_sees_only_part_of_training() -> None:
    ratings = synthetic(n_users=80, n_items=60, seed=3)
    seen: list[tuple[int, str, sp.csr_matrix]] = []
    candidates = [Recording(c, seen) for c in (MostPopular(), EASE(), Hybrid())]
    results = run_evaluation(ratings, seeds=2, quick=True, candidates=candidates)
    assert len(results["runs"]) == 2
    splits = {seed: (train, test) for seed, train, test in seed_runs(ratings, 2)}
    fits: dict[int, list[int]] = {0: [], 1: []}
    for seed, kind, matrix in seen:
        train, test = splits[seed]
        assert matrix.multiply(test).nnz == 0, "a model saw a test positive"
        assert (matrix.multiply(train) != matrix).nnz == 0, "a model saw something outside training"
        if kind == "fit":
            fits[seed].append(matrix.nnz)
    for seed, sizes in fits.items():
        train_nnz = splits[seed][0].nnz
        # tuning fits on the validation carve (smaller); one final refit per model on all of training
        assert sizes.count(train_nnz) == len(candidates)
        assert all(size < train_nnz for size in sizes if size != train_nnz)
        assert len(sizes) > len(candidates)


# Data -------------------------------------------------------------------------------------------------


def test_synthetic_data_is_seeded_rated_1_to_5_with_enough_positives() -> None:
    first, second = synthetic(n_users=50, n_items=40, seed=7), synthetic(n_users=50, n_items=40, seed=7)
    np.testing.assert_array_equal(first.ratings, second.ratings)
    assert set(np.unique(first.ratings)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    share = (first.ratings >= 4).mean()
    assert 0.2 < share < 0.9
    assert positives(first).shape == (50, 40)


def test_a_tiny_u_data_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n\n"
                    "22\t377\t4\t878887116\n")
    ratings = load_movielens(path)
    assert (ratings.n_users, ratings.n_items, len(ratings.ratings)) == (3, 3, 4)
    matrix = positives(ratings)
    assert matrix.nnz == 2  # (196, 302) rated 5 and (22, 377) rated 4
    assert matrix.shape == (3, 3)


@pytest.mark.parametrize(("content", "message"), [
    ("1\t2\t5\t10\n1\t3\t4\t11\n1 4 5 12\n", "line 3: 1 tab-separated fields, expected 4"),
    ("1\t2\t5\t10\n1\tx\t4\t11\n", "line 2: expected user id, item id, rating"),
    ("1\t2\t9\t10\n", "line 1: rating 9, expected 1 to 5"),
    ("", "no ratings"),
])
def test_a_malformed_file_is_a_command_error_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "u.data"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        load_movielens(path)
    with pytest.raises(CommandError, match=message):
        call_command("recommend_evaluate", "--dataset", str(path), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("recommend_evaluate", "--dataset", str(tmp_path / "absent.data"))


# The command ------------------------------------------------------------------------------------------


def test_the_command_writes_markdown_and_json_for_all_models_and_metrics(tmp_path: Path) -> None:
    out = tmp_path / "report"
    call_command("recommend_evaluate", "--quick", "--seeds", "2", "--synthetic-users", "120",
                 "--synthetic-items", "80", "--out", str(out), stdout=io.StringIO())
    names = [candidate.name for candidate in default_candidates()]
    data = json.loads((out / "evaluation.json").read_text())
    assert data["models"] == names and data["seeds"] == 2
    for name in names:
        for metric in METRICS:
            summary = data["summary"][name][metric]
            assert len(summary["per_seed"]) == 2
            assert 0.0 <= summary["mean"] <= 1.0
    markdown = (out / "evaluation.md").read_text()
    for heading in ("Recall@20", "NDCG@10", "Coverage@20", "Diversity@20"):
        assert heading in markdown
    for name in names:
        assert f"| {name} |" in markdown
    # the recommenders learn the synthetic tastes: each beats popularity on NDCG@10
    popular = data["summary"]["most-popular"]["ndcg@10"]["mean"]
    assert all(data["summary"][name]["ndcg@10"]["mean"] > popular for name in names[1:])


def test_a_tiny_lastfm_file_parses_every_play_a_positive(tmp_path: Path) -> None:
    path = tmp_path / "user_artists.dat"
    path.write_text("userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t1\n")
    ratings = load_dataset(path)
    assert (ratings.n_users, ratings.n_items, ratings.positive) == (2, 2, 1.0)
    assert positives(ratings).nnz == 3 and ratings.describe()["positives"] == 3


@pytest.mark.parametrize(("content", "message"), [
    ("user\tartist\tweight\n2\t51\t3\n", "line 1: expected the header"),
    ("userID\tartistID\tweight\n2\t51\n", "line 2: expected user id, artist id and play count"),
    ("userID\tartistID\tweight\n2\t51\t0\n", "line 2: play count 0"),
    ("userID\tartistID\tweight\n", "no plays"),
])
def test_a_malformed_lastfm_file_names_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "user_artists.dat"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        load_lastfm(path)


def test_the_k_core_keeps_users_and_items_with_k_positives_each_until_both_hold() -> None:
    # user 0 rates items 0, 1, 2; user 1 items 0, 1; user 2 item 2 only (positive); user 3 item 0 (a 3)
    ratings = Ratings(name="t", users=np.array([0, 0, 0, 1, 1, 2, 3]), items=np.array([0, 1, 2, 0, 1, 2, 0]),
                      ratings=np.array([5, 5, 5, 4, 5, 5, 3], dtype=np.float32), n_users=4, n_items=3)
    core = ratings.k_core(2)
    # item 2 has two positives (users 0 and 2), but user 2 has one: gone, and then item 2 has one: gone
    assert (core.n_users, core.n_items, len(core.ratings)) == (2, 2, 4)
    assert core.name == "t, 2-core"
    with pytest.raises(DatasetError, match="nothing is left"):
        ratings.k_core(5)


def test_the_verdict_compares_the_hybrid_with_the_best_single_model() -> None:
    def run(seed: int, hybrid: float, ease: float) -> dict:
        metrics = {"recall@20": 0.0, "coverage@20": 0.0, "diversity@20": 0.0}
        return {"seed": seed, "models": {"EASE": {"metrics": {**metrics, "ndcg@10": ease}},
                                         "most-popular": {"metrics": {**metrics, "ndcg@10": 0.1}},
                                         "Storyloom hybrid": {"metrics": {**metrics, "ndcg@10": hybrid}}}}
    results = {"models": ["most-popular", "EASE", "Storyloom hybrid"],
               "runs": [run(0, 0.33, 0.32), run(1, 0.35, 0.34), run(2, 0.34, 0.33)]}
    found = verdict(results)
    assert found["best_single"] == "EASE" and found["seeds_won"] == 3
    assert found["margin"] == pytest.approx(0.01) and found["std"] == pytest.approx(0.01)
    assert found["paired_mean"] == pytest.approx(0.01) and found["paired_std"] == pytest.approx(0.0, abs=1e-9)
    assert not found["wins_by_more_than_one_std"]  # 0.01 is not more than one std of 0.01
