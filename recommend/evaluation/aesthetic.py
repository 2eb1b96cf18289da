"""The aesthetic evaluation (`manage.py aesthetic_evaluate`): does the feed's taste term find what
viewers with a planted taste like, and does the appeal model predict how works are received?

The data, made per seed:
- works: pictures drawn here (PIL: a two-tone gradient and a few shapes around a base hue, with
  random brightness, contrast, saturation and blur), measured by the platform's own
  aesthetics.measures, each with a caption on one of eight subjects, embedded by the platform's
  MiniLM model. What a work looks like and what it is about are drawn independently;
- viewers: each with a planted taste (one end of one measure: warm, cool, contrasty, flat, bright,
  dark, vivid, muted) and two subjects they like. Everyone also shares a lean towards sharp,
  harmonious pictures, and each work has a hidden quality of its own;
- exposures: each viewer is shown EXPOSURES random works and likes each with probability
  sigmoid(BIAS + SUBJECT * likes its subject + TASTE * the planted measure's z-score * direction
  + COMMON * shared lean + quality); a work they dislike strongly (planted z < -1) is hidden with
  probability HIDE. A random HELD_OUT of each viewer's exposures is held out.

The feed: the platform's own ranking (recommend.ranking.score) over an in-memory catalogue, with
the collaborative model (recommend.hybrid, as retrain fits it) trained on the training likes, the
viewer's training likes as positives and hides as hides; works the viewer was shown in training are
not ranked again. Compared with and without the taste term: NDCG@10 against the held-out likes,
and the share of the top 20 on the viewer's planted side of their measure (z > 0).

Appeal: recommend.appeal fitted on the training exposures; ROC AUC on the held-out exposures
against the popularity-only baseline (each work's smoothed like rate in training), and of the two
together (a logistic regression on both, fitted on the training exposures). And on works
never shown in training ("new works", as a creator's render before publishing), where popularity
knows nothing (AUC 0.5 by construction) and the model reads only looks and words.
"""

from __future__ import annotations

import colorsys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp
from PIL import Image, ImageDraw, ImageFilter
from sklearn.linear_model import LogisticRegression

from aesthetics.measures import image_measures
from recommend import appeal, ranking, taste
from recommend.content import embed
from recommend.hybrid import HybridModel
from recommend.serving import ActiveModel, Catalogue, popularity_score
from recommend.training import TUNED

SIDE = 128
SUBJECTS = {"harbour": ["a harbour with fishing boats", "boats moored at a quay", "a lighthouse by the port"],
            "forest": ["a path through a pine forest", "old oaks in the woods", "ferns under tall trees"],
            "city": ["a street of shops at night", "skyscrapers over a river", "a tram in the old town"],
            "mountain": ["snowy peaks above a valley", "a ridge at sunrise", "a glacier between summits"],
            "garden": ["roses in a walled garden", "a greenhouse full of palms", "tulips along a path"],
            "desert": ["dunes under a wide sky", "a canyon road", "cactus on red rock"],
            "kitchen": ["bread on a wooden table", "a pot steaming on the stove", "fruit in a bowl"],
            "space": ["a nebula full of stars", "a planet with rings", "a rocket on the launch pad"]}
MOODS = ["at dawn", "at dusk", "in the rain", "in winter", "in summer light", "in fog", "", "at noon"]
TASTES = [("warmth", 1), ("warmth", -1), ("contrast", 1), ("contrast", -1), ("brightness", 1),
          ("brightness", -1), ("colourfulness", 1), ("colourfulness", -1)]
TASTE_NAMES = {("warmth", 1): "warm", ("warmth", -1): "cool", ("contrast", 1): "contrasty",
               ("contrast", -1): "flat", ("brightness", 1): "bright", ("brightness", -1): "dark",
               ("colourfulness", 1): "vivid", ("colourfulness", -1): "muted"}
COMMON_LEAN = {"sharpness": 0.5, "harmony": 0.4}
BIAS, SUBJECT, TASTE, QUALITY = -2.4, 1.6, 1.5, 0.6
HIDE = 0.3
EXPOSURES = 80
HELD_OUT = 0.25
NEW_WORKS = 0.2
TOP_K, NDCG_K = 20, 10
LIKE_WEIGHT = 4.0  # as training.SIGNAL_WEIGHTS weighs a like


def scene(rng: np.random.Generator) -> np.ndarray:
    """One picture: a gradient and shapes around a base hue; (SIDE, SIDE, 3) uint8."""
    hue, saturation = rng.uniform(0, 1), rng.uniform(0.03, 0.95)
    value, contrast = rng.uniform(0.15, 0.95), rng.uniform(0.05, 1.0)

    def rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1)))
        return round(r * 255), round(g * 255), round(b * 255)

    top, bottom = np.array(rgb(hue, saturation, value * (1 - contrast / 2))), np.array(
        rgb(hue + 0.05, saturation, value * (1 + contrast / 2)))
    ramp = np.linspace(0, 1, SIDE)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(SIDE, axis=1).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 7))):
        x, y = rng.uniform(0, SIDE, 2)
        w, h = rng.uniform(10, 50, 2)
        fill = rgb(hue + rng.normal(0, 0.08), saturation * rng.uniform(0.7, 1.2),
                   value + contrast * rng.choice([-0.5, 0.5]) * rng.uniform(0.5, 1))
        box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, 4, (SIDE, SIDE, 3))
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 2.5)))))


@dataclass
class World:
    measures: list[dict[str, Any]]
    subjects: np.ndarray  # per work, index into SUBJECTS
    embeddings: np.ndarray
    quality: np.ndarray
    planted: np.ndarray  # (works, len(TASTES)): each planted measure's z-score times its direction
    tastes: np.ndarray  # per viewer, index into TASTES
    likes_subjects: np.ndarray  # (viewers, 2)
    exposures: list[tuple[int, int, int]]  # (viewer, work, outcome: 1 like, 0 passed by, -1 hidden)


def world(seed: int, works: int, viewers: int) -> World:
    rng = np.random.default_rng(seed)
    measures = [image_measures(scene(rng)) for _ in range(works)]
    names = list(SUBJECTS)
    subjects = rng.integers(0, len(names), works)
    captions = [f"{rng.choice(SUBJECTS[names[s]])} {rng.choice(MOODS)}".strip() for s in subjects]
    embeddings = embed(captions)
    raw = taste.looks_raw(measures)
    z = taste.standardise(raw)
    planted = np.stack([z[:, taste.TASTE.index(name)] * direction for name, direction in TASTES], axis=1)
    common = z[:, [taste.TASTE.index(name) for name in COMMON_LEAN]] @ np.array(list(COMMON_LEAN.values()))
    quality = rng.normal(0, 1, works)
    tastes = rng.integers(0, len(TASTES), viewers)
    likes_subjects = np.stack([rng.choice(len(names), 2, replace=False) for _ in range(viewers)])
    exposures = []
    for viewer in range(viewers):
        for work in rng.choice(works, EXPOSURES, replace=False):
            drawn = planted[work, tastes[viewer]]
            logit = (BIAS + SUBJECT * float(subjects[work] in likes_subjects[viewer]) + TASTE * drawn
                     + common[work] + QUALITY * quality[work])
            if rng.random() < 1 / (1 + np.exp(-logit)):
                exposures.append((viewer, int(work), 1))
            elif drawn < -1 and rng.random() < HIDE:
                exposures.append((viewer, int(work), -1))
            else:
                exposures.append((viewer, int(work), 0))
    return World(measures=measures, subjects=subjects, embeddings=embeddings, quality=quality,
                 planted=planted, tastes=tastes, likes_subjects=likes_subjects, exposures=exposures)


def _catalogue(made: World, likes: sp.csr_matrix, seen: np.ndarray, model: ActiveModel) -> Catalogue:
    works = len(made.measures)
    ids = np.arange(1, works + 1, dtype=np.int64)  # publication pks: row + 1
    liked = np.asarray(likes.sum(axis=0)).ravel()
    shown = np.asarray(seen.sum(axis=0)).ravel()
    popularity = np.array([popularity_score(likes=int(liked[w]), saves=0, views=int(shown[w]), shares=0,
                                            remixes=0, age_s=0.0) for w in range(works)], dtype=np.float32)
    tags = sp.csr_matrix((np.ones(works, dtype=np.float32), (np.arange(works), made.subjects)),
                         shape=(works, len(SUBJECTS)))
    lab, share = taste.palettes(made.measures)
    return Catalogue(ids=ids, index={int(pk): row for row, pk in enumerate(ids)},
                     creators=np.arange(works, dtype=np.int64) % 17 + 1,
                     published=np.full(works, time.time()),
                     popularity=popularity, vectors=made.embeddings, tags=tags, tag_names=list(SUBJECTS),
                     tag_index={name: i for i, name in enumerate(SUBJECTS)},
                     looks=taste.standardise(taste.looks_raw(made.measures)), palette_lab=lab,
                     palette_share=share, model_column=np.arange(works, dtype=np.int64), model=model,
                     built_at=time.monotonic())


def ndcg(ranked: list[int], relevant: set[int], k: int = NDCG_K) -> float:
    gains = sum(1 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / np.log2(i + 2) for i in range(min(k, len(relevant))))
    return gains / ideal if ideal else 0.0


def feed_run(made: World, seed: int) -> dict[str, Any]:
    """The feed with and without its taste term, and the appeal model against popularity."""
    rng = np.random.default_rng(seed + 1000)
    viewers, works = len(made.tastes), len(made.measures)
    held = rng.random(len(made.exposures)) < HELD_OUT
    train = [e for e, h in zip(made.exposures, held, strict=True) if not h]
    test = [e for e, h in zip(made.exposures, held, strict=True) if h]
    rows = [v for v, _w, o in train if o == 1]
    cols = [w for _v, w, o in train if o == 1]
    likes = sp.csr_matrix((np.full(len(rows), LIKE_WEIGHT, dtype=np.float32), (rows, cols)),
                          shape=(viewers, works))
    seen = sp.csr_matrix((np.ones(len(train), dtype=np.float32), ([v for v, _w, _o in train],
                                                                  [w for _v, w, _o in train])),
                         shape=(viewers, works))
    hybrid = HybridModel(TUNED).fit(likes)
    model = ActiveModel(version="evaluation", version_row=None, model=hybrid,  # type: ignore[arg-type]
                        items=np.arange(1, works + 1, dtype=np.int64),
                        item_index={pk: pk - 1 for pk in range(1, works + 1)},
                        users=-np.arange(1, viewers + 1, dtype=np.int64),
                        user_index={-(v + 1): v for v in range(viewers)})  # (pks no creator has)
    cat = _catalogue(made, likes, seen, model)
    without = {**ranking.WARM, "taste": 0.0}
    results: dict[str, list[float]] = {"ndcg_taste": [], "ndcg_without": [], "share_taste": [],
                                       "share_without": []}
    for viewer in range(viewers):
        relevant = {w + 1 for v, w, o in test if v == viewer and o == 1}
        liked = [w + 1 for v, w, o in train if v == viewer and o == 1]
        if not relevant or not liked:
            continue
        shown_before = {w + 1 for v, w, _o in train if v == viewer}
        person = ranking.Viewer(user=SimpleNamespace(pk=-(viewer + 1)),  # type: ignore[arg-type]
                                positives=[(pk, LIKE_WEIGHT) for pk in liked],
                                weights=dict.fromkeys(liked, LIKE_WEIGHT), excluded=shown_before,
                                hidden=[w + 1 for v, w, o in train if v == viewer and o == -1])
        for name, weights in (("taste", dict(ranking.WARM)), ("without", without)):
            scored = ranking.score(cat, model, person, set(), weights=weights)
            order = np.flatnonzero(scored.allowed)
            order = order[np.argsort(-scored.total[order], kind="stable")]
            top = [int(cat.ids[row]) for row in order[:TOP_K]]
            results[f"ndcg_{name}"].append(ndcg(top, relevant))
            results[f"share_{name}"].append(float(np.mean(made.planted[[pk - 1 for pk in top],
                                                                       made.tastes[viewer]] > 0)))
    summary = {key: float(np.mean(values)) for key, values in results.items()}
    summary["viewers_scored"] = len(results["ndcg_taste"])
    summary.update(appeal_run(made, train, test, seed))
    return summary


def appeal_run(made: World, train: list[tuple[int, int, int]], test: list[tuple[int, int, int]],
               seed: int) -> dict[str, Any]:
    raw = appeal.measure_matrix(made.measures)
    works = len(made.measures)
    outcome = [(w, int(o == 1)) for _v, w, o in train]
    model = appeal.fit(raw, made.embeddings, outcome)
    assert model is not None
    shown = np.bincount([w for w, _ in outcome], minlength=works)
    taken = np.bincount([w for w, label in outcome if label], minlength=works)
    rate = (taken + 1) / (shown + 2)  # each work's like rate in training, smoothed
    labels = [int(o == 1) for _v, _w, o in test]
    scores = model.predict(raw, made.embeddings)
    result = {"appeal_auc": appeal.auc(labels, [scores[w] for _v, w, _o in test]),
              "popularity_auc": appeal.auc(labels, [rate[w] for _v, w, _o in test])}
    # Both, for a work already shown: popularity and the appeal model's score, in one logistic
    # regression fitted on the training exposures.
    both = np.column_stack([np.log(rate / (1 - rate)), np.log(scores / (1 - scores))])
    blend = LogisticRegression().fit(both[[w for w, _ in outcome]], [label for _, label in outcome])
    result["combined_auc"] = appeal.auc(labels, blend.predict_proba(both[[w for _v, w, _o in test]])[:, 1])
    rng = np.random.default_rng(seed + 2000)
    new = set(rng.choice(works, round(NEW_WORKS * works), replace=False).tolist())
    older = appeal.fit(raw, made.embeddings, [(w, label) for w, label in outcome if w not in new])
    assert older is not None
    exposures = [(w, int(o == 1)) for _v, w, o in made.exposures if w in new]
    fresh = older.predict(raw, made.embeddings)
    result["appeal_auc_new_works"] = appeal.auc([label for _, label in exposures],
                                                [fresh[w] for w, _ in exposures])
    result["popularity_auc_new_works"] = 0.5  # no signal on a work before it is shown: every work ties
    return result


def evaluate(*, seeds: list[int], works: int, viewers: int, progress: Any = None) -> dict[str, Any]:
    runs = []
    for seed in seeds:
        started = time.perf_counter()
        made = world(seed, works, viewers)
        run = feed_run(made, seed)
        run["seed"], run["seconds"] = seed, round(time.perf_counter() - started, 1)
        runs.append(run)
        if progress:
            progress(run)
    keys = [k for k in runs[0] if k not in ("seed", "seconds", "viewers_scored")]
    summary = {key: {"mean": float(np.mean([r[key] for r in runs])),
                     "std": float(np.std([r[key] for r in runs]))} for key in keys}
    summary["ndcg_ratio"] = {"mean": summary["ndcg_taste"]["mean"] / summary["ndcg_without"]["mean"]}
    summary["share_ratio"] = {"mean": summary["share_taste"]["mean"] / summary["share_without"]["mean"]}
    return {"works": works, "viewers": viewers, "exposures_per_viewer": EXPOSURES, "held_out": HELD_OUT,
            "tastes": [TASTE_NAMES[t] for t in TASTES], "runs": runs, "summary": summary}
