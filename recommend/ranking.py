"""The feed's ranking, as pure computation: arrays in, an ordered list with reasons out.

No database and no cache here (recommend.feed loads the viewer and the catalogue, and keeps the
sessions), so every rule of the ranking can be tested and benchmarked on arrays alone:
- score: each component standardised over the works that may be shown, weighted (WARM for a
  viewer with history, COLD for one without), summed; one of them is aesthetic taste (the looks
  of what the viewer engages with, and what they asked for: recommend.taste);
- mmr: maximal marginal relevance, the variety setting as the trade-off;
- exploration: a few works from outside the viewer's usual tags;
- reasons: the component that added most to each work's score, in words the viewer recognises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from recommend import taste

if TYPE_CHECKING:
    from accounts.models import User
    from recommend.serving import ActiveModel, Catalogue

CANDIDATES = 200  # re-ranked by MMR
FRESH_DAYS = 7.0
IGNORED_PENALTY = 0.4  # per log(1 + times shown) of a work never engaged with

WARM = {"collab": 1.0, "content": 0.8, "prefs": 0.6, "follow": 0.8, "popular": 0.25, "fresh": 0.3,
        "taste": 0.6}
COLD = {"collab": 0.0, "content": 0.0, "prefs": 1.0, "follow": 0.8, "popular": 0.7, "fresh": 0.4,
        "taste": 0.6}


class Reason:
    LIKED = "liked"  # because you liked X
    FOLLOW = "follow"  # new from Y, whom you follow
    INTEREST = "interest"  # matches your interest in #tag
    POPULAR = "popular"  # popular in #tag
    FRESH = "fresh"  # new on Storyloom
    EXPLORE = "explore"  # something different
    SIMILAR_PEOPLE = "people"  # liked by people with tastes like yours
    TASTE = "taste"  # the warm colours you like


@dataclass
class Viewer:
    """What the feed knows about the person asking (nothing, for someone logged out)."""

    user: User | None
    positives: list[tuple[int, float]] = field(default_factory=list)  # (publication pk, weight), newest first
    weights: dict[int, float] = field(default_factory=dict)  # per work: confidence (the model's row)
    less_like: list[int] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)  # works hidden, "see less" or not
    steering: dict[str, int] = field(default_factory=dict)  # Preferences.taste: measure -> -1 or 1
    excluded: set[int] = field(default_factory=set)
    followed: set[int] = field(default_factory=set)
    blocked_creators: set[int] = field(default_factory=set)
    blocked_tags: set[str] = field(default_factory=set)
    tag_weights: dict[str, float] = field(default_factory=dict)
    variety: int = 30
    factors: np.ndarray | None = None
    ignored: dict[int, int] = field(default_factory=dict)  # works shown lately and not taken up: times

    @property
    def warm(self) -> bool:
        return bool(self.positives)


def _z(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Standardised over the works that may be shown (a constant component gives zeros)."""
    subset = values[allowed]
    if subset.size == 0:
        return np.zeros_like(values, dtype=np.float32)
    std = float(subset.std())
    if std < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - float(subset.mean())) / std).astype(np.float32)


@dataclass
class Scored:
    allowed: np.ndarray  # bool per catalogue work
    total: np.ndarray
    parts: dict[str, np.ndarray]  # weighted, standardised components
    profile: np.ndarray | None  # the viewer's content profile (unit vector)
    closeness: np.ndarray | None  # every work's cosine to the profile
    positive_rows: np.ndarray  # catalogue rows of the recent positives
    collab_row: sp.csr_matrix | None
    weights: dict[str, float]
    taste: np.ndarray | None = None  # the viewer's aesthetic taste (recommend.taste), if any


def viewer_taste(cat: Catalogue, viewer: Viewer) -> np.ndarray | None:
    """The looks this viewer takes to: learned from their positives and hides, then steered."""
    positives = [(cat.index[pk], weight) for pk, weight in viewer.positives if pk in cat.index]
    negatives = [cat.index[pk] for pk in viewer.hidden if pk in cat.index]
    found = taste.steered(taste.learned(cat.looks, positives, negatives), viewer.steering)
    return found if taste.meaningful(found) else None


def unblocked(cat: Catalogue, viewer: Viewer) -> np.ndarray:
    """Per work: not by a creator, nor with a tag, the viewer blocked."""
    allowed = np.ones(len(cat), dtype=bool)
    if viewer.blocked_creators:
        allowed &= ~np.isin(cat.creators, np.fromiter(viewer.blocked_creators, dtype=np.int64))
    blocked = [cat.tag_index[t] for t in viewer.blocked_tags if t in cat.tag_index]
    if blocked:
        allowed &= np.asarray(cat.tags[:, blocked].sum(axis=1)).ravel() == 0
    return allowed


def _allowed(cat: Catalogue, viewer: Viewer, shown: set[int]) -> np.ndarray:
    allowed = unblocked(cat, viewer)
    if viewer.user is not None:
        allowed &= cat.creators != viewer.user.pk
    gone = [cat.index[pk] for pk in viewer.excluded | shown if pk in cat.index]
    allowed[gone] = False
    return allowed


def _collab(cat: Catalogue, model: ActiveModel, viewer: Viewer) -> tuple[np.ndarray, sp.csr_matrix | None]:
    assert viewer.user is not None
    row = row_from_weights(viewer.weights, model.item_index, model.model.n_items)
    if row.nnz == 0:
        return np.zeros(len(cat), dtype=np.float32), None
    factors = viewer.factors
    if factors is None or factors.size != model.model.item_factors.shape[1]:
        fitted = model.user_index.get(viewer.user.pk)
        factors = model.model.user_factors[fitted] if fitted is not None else None
    scores = model.model.scores(row, user_factors=None if factors is None else factors[np.newaxis, :])[0]
    values = np.zeros(len(cat), dtype=np.float32)
    known = cat.model_column >= 0
    values[known] = scores[cat.model_column[known]]
    values[~known] = float(np.median(scores)) if scores.size else 0.0
    return values, row


def score(cat: Catalogue, model: ActiveModel | None, viewer: Viewer, shown: set[int],
          weights: dict[str, float] | None = None) -> Scored:
    """Every work's score for this viewer; `weights` replaces WARM or COLD (the offline evaluations
    compare the feed with and without a component)."""
    allowed = _allowed(cat, viewer, shown)
    weights = weights or (WARM if viewer.warm else COLD)
    parts: dict[str, np.ndarray] = {}
    collab_row = None
    if viewer.warm and model is not None:
        values, collab_row = _collab(cat, model, viewer)
        if collab_row is not None:
            parts["collab"] = weights["collab"] * _z(values, allowed)
    positive_rows = np.array([cat.index[pk] for pk, _ in viewer.positives if pk in cat.index], dtype=np.int64)
    profile = closeness = None
    if positive_rows.size:
        w = np.array([weight for pk, weight in viewer.positives if pk in cat.index], dtype=np.float32)
        vector = (cat.vectors[positive_rows] * w[:, np.newaxis]).sum(axis=0)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            profile = vector / norm
            content = closeness = cat.vectors @ profile
            less = [cat.index[pk] for pk in viewer.less_like if pk in cat.index]
            if less:
                nearest = (cat.vectors @ cat.vectors[less].T).max(axis=1)
                content = content - 0.8 * np.maximum(0.0, nearest)
            parts["content"] = weights["content"] * _z(content, allowed)
    if viewer.tag_weights:
        vector = np.zeros(cat.tags.shape[1], dtype=np.float32)
        for name, weight in viewer.tag_weights.items():
            if name in cat.tag_index:
                vector[cat.tag_index[name]] = weight
        parts["prefs"] = weights["prefs"] * np.asarray(cat.tags @ vector, dtype=np.float32).ravel()
    leaning = viewer_taste(cat, viewer) if weights.get("taste") else None
    if leaning is not None:
        parts["taste"] = weights["taste"] * _z(cat.looks @ leaning, allowed)
    if viewer.followed:
        followed = np.isin(cat.creators, np.fromiter(viewer.followed, dtype=np.int64))
        parts["follow"] = weights["follow"] * followed.astype(np.float32)
    parts["popular"] = weights["popular"] * _z(cat.popularity, allowed)
    age_days = (time.time() - cat.published) / 86400.0
    parts["fresh"] = weights["fresh"] * np.exp(-age_days / FRESH_DAYS).astype(np.float32)
    if viewer.ignored:  # shown again and again, never taken up: fades
        ignored = np.zeros(len(cat), dtype=np.float32)
        for pk, times in viewer.ignored.items():
            if pk in cat.index:
                ignored[cat.index[pk]] = -IGNORED_PENALTY * np.log1p(times)
        parts["ignored"] = ignored
    total = np.zeros(len(cat), dtype=np.float32)
    for values in parts.values():
        total += values
    return Scored(allowed=allowed, total=total, parts=parts, profile=profile, closeness=closeness,
                  positive_rows=positive_rows, collab_row=collab_row, weights=weights, taste=leaning)


def similarity_matrix(vectors: np.ndarray, creators: np.ndarray, tags: sp.csr_matrix | None) -> np.ndarray:
    """How alike two works are: the larger of their text embeddings' cosine and their tags' Jaccard
    index, and at least 0.5 for two works by the same creator."""
    similarity = np.clip(vectors @ vectors.T, 0.0, 1.0)
    if tags is not None and tags.nnz:
        binary = (tags > 0).astype(np.float32)
        shared = np.asarray((binary @ binary.T).todense(), dtype=np.float32)
        sizes = np.asarray(binary.sum(axis=1), dtype=np.float32).ravel()
        union = sizes[:, None] + sizes[None, :] - shared
        jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        similarity = np.maximum(similarity, jaccard)
    return np.maximum(similarity, 0.5 * (creators[:, None] == creators[None, :]))


def mmr(relevance: np.ndarray, vectors: np.ndarray, creators: np.ndarray, *, count: int, trade_off: float,
        tags: sp.csr_matrix | None = None) -> list[int]:
    """Maximal marginal relevance: repeatedly take the item with the best
    trade_off * relevance - (1 - trade_off) * (its largest similarity to what was taken)
    (similarity_matrix). Relevance is rescaled to [0, 1] first so the two terms compare."""
    n = len(relevance)
    if n == 0:
        return []
    low, high = float(relevance.min()), float(relevance.max())
    rel = (relevance - low) / (high - low) if high > low else np.ones(n, dtype=np.float32)
    similarity = similarity_matrix(vectors, creators, tags)
    chosen: list[int] = []
    nearest = np.zeros(n, dtype=np.float32)
    available = np.ones(n, dtype=bool)
    for _step in range(min(count, n)):
        value = trade_off * rel - (1.0 - trade_off) * nearest
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        nearest = np.maximum(nearest, similarity[pick])
    return chosen


def _explore_count(variety: int, size: int) -> int:
    return max(1, round(size * (0.05 + 0.15 * variety / 100)))


def _exploration(cat: Catalogue, scored: Scored, taken: set[int], viewer: Viewer, count: int,
                 rng: np.random.Generator) -> list[int]:
    """Works from outside what the viewer usually gets: not among the candidates, unlike their
    profile and tags, drawn at random with a lean towards popular ones."""
    eligible = scored.allowed.copy()
    eligible[list(taken)] = False
    available = int(eligible.sum())
    if available == 0 or count <= 0:
        return []
    weight = np.exp(cat.popularity.astype(np.float64) - float(cat.popularity.max())) + 1e-6
    if scored.closeness is not None:
        weight *= 1.0 - np.clip(scored.closeness, -1.0, 1.0) / 2.0
    liked_tags = [cat.tag_index[t] for t, w in viewer.tag_weights.items() if w > 0 and t in cat.tag_index]
    if liked_tags:
        weight /= 1.0 + np.asarray(cat.tags[:, liked_tags].sum(axis=1)).ravel()
    weight[~eligible] = 0.0
    picks = rng.choice(len(weight), size=min(count, available), replace=False, p=weight / weight.sum())
    return [int(i) for i in picks]


def _liked_references(cat: Catalogue, scored: Scored, model: ActiveModel | None,
                      rows: np.ndarray) -> list[int | None]:
    """For each work, the recent positive that best explains it: the one the item-item model links
    to it most, else the one whose text is closest (if close at all)."""
    found: list[int | None] = [None] * len(rows)
    if not scored.positive_rows.size or not len(rows):
        return found
    if model is not None and scored.collab_row is not None and scored.collab_row.nnz:
        hybrid, liked = model.model, scored.collab_row.indices
        columns = cat.model_column[rows]
        known = np.flatnonzero(columns >= 0)
        if known.size:
            if hybrid.ease is not None:
                links = hybrid.ease[np.ix_(liked, columns[known])]
            elif hybrid.knn is not None:
                links = hybrid.knn[liked][:, columns[known]].toarray()
            else:
                links = np.zeros((0, known.size))
            if links.size:
                best, strength = links.argmax(axis=0), links.max(axis=0)
                for k, position in enumerate(known.tolist()):
                    pk = int(model.items[liked[best[k]]])
                    if strength[k] > 0 and pk in cat.index:
                        found[position] = cat.index[pk]
    sims = cat.vectors[scored.positive_rows] @ cat.vectors[rows].T
    closest, closeness = sims.argmax(axis=0), sims.max(axis=0)
    for n in range(len(rows)):
        if found[n] is None and closeness[n] > 0.2:
            found[n] = int(scored.positive_rows[closest[n]])
    return found


def _reasons(cat: Catalogue, scored: Scored, model: ActiveModel | None, viewer: Viewer,
             rows: list[int]) -> list[dict[str, Any]]:
    """Why each work is shown: the component that added most to its score, in words the viewer
    recognises (a work they liked, a creator they follow, a tag)."""
    index = np.array(rows, dtype=np.int64)
    names = [name for name in scored.parts if name != "ignored"]
    if not names:
        return [{"code": Reason.POPULAR, "tag": ""} for _ in rows]
    contributions = np.stack([scored.parts[name][index] for name in names])
    best = [names[i] for i in contributions.argmax(axis=0)]
    references = _liked_references(cat, scored, model, index) if {"collab", "content"} & set(best) else []
    reasons: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        item_tags = [cat.tag_names[t] for t in cat.tags[row].indices] if cat.tags.shape[1] else []
        if best[n] == "taste" and scored.taste is not None:
            drawn = taste.strongest(scored.taste, cat.looks[row])
            if drawn is not None:
                reasons.append({"code": Reason.TASTE, "measure": drawn[0], "end": drawn[1]})
                continue
        reasons.append(_reason(best[n], references[n] if references else None, cat, viewer, row, item_tags))
    return reasons


def _reason(best: str, reference: int | None, cat: Catalogue, viewer: Viewer, row: int,
            item_tags: list[str]) -> dict[str, Any]:
    if best in ("collab", "content"):
        if reference is not None:
            return {"code": Reason.LIKED, "publication": int(cat.ids[reference])}
        if best == "collab":
            return {"code": Reason.SIMILAR_PEOPLE}
    if best == "follow" or (best == "fresh" and int(cat.creators[row]) in viewer.followed):
        return {"code": Reason.FOLLOW, "creator": int(cat.creators[row])}
    if best == "prefs":
        liked = sorted((t for t in item_tags if viewer.tag_weights.get(t, 0) > 0),
                       key=lambda t: -viewer.tag_weights[t])
        if liked:
            return {"code": Reason.INTEREST, "tag": liked[0]}
    if best == "fresh":
        return {"code": Reason.FRESH}
    return {"code": Reason.POPULAR, "tag": item_tags[0] if item_tags else ""}


def rank(cat: Catalogue, model: ActiveModel | None, viewer: Viewer, *, shown: set[int], size: int,
         rng: np.random.Generator) -> list[tuple[int, dict[str, Any]]]:
    """A ranked session: (publication pk, reason) pairs, best first, exploration mixed in."""
    scored = score(cat, model, viewer, shown)
    allowed = np.flatnonzero(scored.allowed)
    if allowed.size == 0:
        return []
    if allowed.size > CANDIDATES:
        allowed = allowed[np.argpartition(-scored.total[allowed], CANDIDATES)[:CANDIDATES]]
    top = allowed[np.argsort(-scored.total[allowed], kind="stable")]
    explore = _explore_count(viewer.variety, size)
    trade_off = 1.0 - 0.7 * viewer.variety / 100
    order = mmr(scored.total[top], cat.vectors[top], cat.creators[top], count=size - explore,
                trade_off=trade_off, tags=cat.tags[top])
    main = [int(top[i]) for i in order]
    extra = _exploration(cat, scored, set(main), viewer, explore, rng)
    result = list(zip((int(cat.ids[r]) for r in main), _reasons(cat, scored, model, viewer, main),
                      strict=True))
    # Exploration slots spread through the list: every `step`-th place, from the fourth on.
    step = max(3, len(result) // max(len(extra), 1))
    for n, row in enumerate(extra):
        result.insert(min(3 + n * step, len(result)), (int(cat.ids[row]), {"code": Reason.EXPLORE}))
    return result[:size]


def row_from_weights(weights: dict[int, float], item_index: dict[int, int], n_items: int) -> sp.csr_matrix:
    """A viewer's weights as a row of the model's matrix (works the model does not know are left out)."""
    cols = [(item_index[item], weight) for item, weight in weights.items() if item in item_index]
    if not cols:
        return sp.csr_matrix((1, n_items), dtype=np.float32)
    return sp.csr_matrix((np.array([w for _, w in cols], dtype=np.float32),
                          (np.zeros(len(cols), dtype=np.int64), np.array([c for c, _ in cols]))),
                         shape=(1, n_items))
