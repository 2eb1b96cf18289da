"""Rating data for the offline evaluation: a seeded synthetic generator, a MovieLens 100K loader (explicit
ratings) and a HetRec 2011 Last.fm loader (implicit: listening counts), with an optional k-core filter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DatasetError(ValueError):
    """A dataset that cannot be read: the message names the file, the line and what was expected."""


@dataclass(frozen=True)
class Ratings:
    """Ratings or counts with users and items renumbered 0..n-1 (the catalogue is every rated item)."""

    name: str
    users: np.ndarray  # int64 row index per rating
    items: np.ndarray  # int64 column index per rating
    ratings: np.ndarray  # float32: explicit ratings 1-5, or implicit counts
    n_users: int
    n_items: int
    positive: float = 4.0  # the least rating that counts as a positive (implicit data: every entry, 1)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "users": self.n_users,
            "items": self.n_items,
            "ratings": len(self.ratings),
            "positives": int((self.ratings >= self.positive).sum()),
            "positive_rating": self.positive,
        }

    def k_core(self, k: int) -> Ratings:
        """The positives of users and items with at least k positives each, repeated until both
        hold (the k-core of the positives' graph; the usual filter of the literature), renumbered."""
        keep = self.ratings >= self.positive
        while True:
            user_counts = np.bincount(self.users[keep], minlength=self.n_users)
            item_counts = np.bincount(self.items[keep], minlength=self.n_items)
            kept = keep & (user_counts[self.users] >= k) & (item_counts[self.items] >= k)
            if kept.sum() == keep.sum():
                break
            keep = kept
        if not keep.any():
            raise DatasetError(f"{self.name}: nothing is left in its {k}-core")
        users, n_users = _renumber(self.users[keep])
        items, n_items = _renumber(self.items[keep])
        return Ratings(name=f"{self.name}, {k}-core", users=users, items=items, ratings=self.ratings[keep],
                       n_users=n_users, n_items=n_items, positive=self.positive)


def _renumber(values: np.ndarray) -> tuple[np.ndarray, int]:
    unique, index = np.unique(values, return_inverse=True)
    return index.astype(np.int64), len(unique)


def _rows(path: Path, *, what: str, expected: str, fields: int | None = None,
          header: list[str] | None = None) -> Iterator[tuple[int, list[int]]]:
    """(line number, integers) for each non-blank line of a tab-separated file of integers, after
    its `header` line if it has one; DatasetError naming the file and line for anything else."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (expected {what})")
    with path.open(encoding="utf-8", errors="strict") as lines:
        try:
            start = 1
            if header is not None:
                start = 2
                if next(lines, "").rstrip("\r\n").split("\t") != header:
                    raise DatasetError(f"{path}, line 1: expected the header {chr(9).join(header)!r}")
            for number, line in enumerate(lines, start=start):
                if not line.strip():
                    continue
                cells = line.rstrip("\r\n").split("\t")
                if fields is not None and len(cells) != fields:
                    raise DatasetError(
                        f"{path}, line {number}: {len(cells)} tab-separated fields, expected {fields} "
                        f"({expected}); got {line.strip()[:80]!r}"
                    )
                try:
                    yield number, [int(cell) for cell in cells]
                except ValueError:
                    raise DatasetError(
                        f"{path}, line {number}: expected {expected}; got {line.strip()[:80]!r}"
                    ) from None
        except UnicodeDecodeError as error:
            raise DatasetError(f"{path}: not UTF-8 text ({error}); expected {expected}") from None


def _ratings(path: Path, rows: list[tuple[int, int, float]], positive: float) -> Ratings:
    users, items, values = (np.array(column) for column in zip(*rows, strict=True))
    user_index, n_users = _renumber(users)
    item_index, n_items = _renumber(items)
    return Ratings(name=path.name, users=user_index, items=item_index, ratings=values.astype(np.float32),
                   n_users=n_users, n_items=n_items, positive=positive)


def load_movielens(path: Path) -> Ratings:
    """A file in MovieLens 100K's ``u.data`` format: user, item, rating, timestamp, tab-separated."""
    expected = "user id, item id, rating 1-5 and timestamp (integers), separated by tabs"
    rows: list[tuple[int, int, float]] = []
    for number, (user, item, rating, _) in _rows(path, what="a MovieLens 100K style u.data",
                                                expected=expected, fields=4):
        if not 1 <= rating <= 5:
            raise DatasetError(f"{path}, line {number}: rating {rating}, expected 1 to 5")
        rows.append((user, item, float(rating)))
    if not rows:
        raise DatasetError(f"{path}: no ratings (expected lines of {expected})")
    return _ratings(path, rows, positive=4.0)


LASTFM_HEADER = ["userID", "artistID", "weight"]


def load_lastfm(path: Path) -> Ratings:
    """HetRec 2011 Last.fm's ``user_artists.dat``: a header line (userID, artistID, weight), then a
    user, an artist and how many times they played that artist, tab-separated. Implicit feedback:
    every pair listened to is a positive."""
    expected = "user id, artist id and play count (integers), separated by tabs"
    rows: list[tuple[int, int, float]] = []
    for number, values in _rows(path, what="a HetRec 2011 Last.fm user_artists.dat", expected=expected,
                                header=LASTFM_HEADER):
        if len(values) != 3:
            raise DatasetError(f"{path}, line {number}: expected {expected}; got {len(values)} fields")
        user, item, count = values
        if count < 1:
            raise DatasetError(f"{path}, line {number}: play count {count}, expected at least 1")
        rows.append((user, item, float(count)))
    if not rows:
        raise DatasetError(f"{path}: no plays (expected lines of {expected})")
    return _ratings(path, rows, positive=1.0)


def load_dataset(path: Path) -> Ratings:
    """A Last.fm user_artists.dat (recognised by its header) or a MovieLens u.data."""
    if path.is_file():
        with path.open("rb") as handle:
            if handle.readline().startswith(b"userID\tartistID"):
                return load_lastfm(path)
    return load_movielens(path)


def synthetic(
    *, n_users: int = 2000, n_items: int = 1000, n_tags: int = 20, mean_history: int = 40, seed: int = 0
) -> Ratings:
    """Users with latent tastes over item tags, a long-tailed item popularity, ratings 1-5.

    Each item has one tag and a popularity drawn from a log-normal (a few hits, a long tail). A user's
    taste is a sparse Dirichlet draw over tags; they rate items drawn in proportion to taste x popularity,
    and rate higher the more the item's tag matches their taste, so ratings >= 4 carry the taste signal.
    """
    rng = np.random.default_rng(seed)
    tags = rng.integers(0, n_tags, size=n_items)
    popularity = rng.lognormal(mean=0.0, sigma=1.2, size=n_items)
    quality = rng.normal(0.0, 0.4, size=n_items)
    tastes = rng.dirichlet(np.full(n_tags, 0.3), size=n_users)
    lengths = np.clip(rng.lognormal(np.log(mean_history), 0.6, size=n_users).astype(int), 5, n_items // 2)
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    ratings: list[np.ndarray] = []
    for user in range(n_users):
        # 1e-3: a little exploration outside the user's taste
        weights = tastes[user][tags] * popularity + 1e-3 * popularity
        chosen = rng.choice(n_items, size=lengths[user], replace=False, p=weights / weights.sum())
        affinity = tastes[user][tags[chosen]] / tastes[user].max()
        raw = 1.5 + 3.5 * affinity + quality[chosen] + rng.normal(0.0, 0.7, size=len(chosen))
        users.append(np.full(len(chosen), user, dtype=np.int64))
        items.append(chosen.astype(np.int64))
        ratings.append(np.clip(np.rint(raw), 1, 5).astype(np.float32))
    return Ratings(
        name=f"synthetic ({n_users} users, {n_items} items, seed {seed})",
        users=np.concatenate(users),
        items=np.concatenate(items),
        ratings=np.concatenate(ratings),
        n_users=n_users,
        n_items=n_items,
    )
