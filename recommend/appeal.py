"""Audience appeal, learned: how likely a viewer who is shown a work is to take it up (like, save,
remix, share, review or watch it a while), predicted from the work's aesthetic measures and its
text embedding, so a creator sees it before publishing.

The model is an L2-regularised logistic regression (scikit-learn) over one example per viewer and
work they were shown or opened: positive when they took it up, negative when they passed it by
(shown or glanced at, nothing more) or hid or reported it. Its inputs are the work's measures
(APPEAL_MEASURES, on the taste scale of recommend.taste, standardised with the statistics kept in
the model, missing ones at the mean) and its 384-value text embedding. It is fitted by
`recommend.training.retrain` beside the collaborative model and kept in the same versioned
directory (appeal.npz). Linear on purpose: each measure's contribution (its weight times the
work's standardised value) is what the creator is shown as what drives the prediction.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from recommend.taste import on_scale

APPEAL_MEASURES = ("colourfulness", "brightness", "contrast", "warmth", "sharpness", "harmony", "thirds",
                   "balance", "shadows_clipped", "highlights_clipped", "motion", "smoothness", "flicker",
                   "stability")
MIN_EACH = 10  # examples of each outcome before a model is worth fitting
REGULARISATION = 1.0  # scikit-learn's C
ARTIFACT = "appeal.npz"


def measure_matrix(measures: Sequence[Mapping[str, Any] | None]) -> np.ndarray:
    """(n, len(APPEAL_MEASURES)) on the taste scale, NaN where not measured."""
    return on_scale(measures, APPEAL_MEASURES)


@dataclass
class AppealModel:
    means: np.ndarray  # per measure, of the works it was fitted on
    stds: np.ndarray
    coef_measures: np.ndarray
    coef_text: np.ndarray  # (DIMENSIONS,)
    intercept: float
    reference: np.ndarray  # sorted predicted probabilities of the works it was fitted on
    text_mean: float  # the mean text contribution over those works (what "its subject" is measured from)

    def standardised(self, raw: np.ndarray) -> np.ndarray:
        z = (raw - self.means) / self.stds
        return np.where(np.isnan(z), 0.0, z)

    def contributions(self, raw: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each measure's contribution to the log-odds of each work, and the text's."""
        return self.standardised(raw) * self.coef_measures, embeddings @ self.coef_text

    def predict(self, raw: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        measured, text = self.contributions(raw, embeddings)
        return 1.0 / (1.0 + np.exp(-(self.intercept + measured.sum(axis=1) + text)))

    def percentile(self, probability: float) -> float:
        """The share of the fitted works (in %) predicted to appeal less."""
        if not self.reference.size:
            return 50.0
        return round(100.0 * float(np.searchsorted(self.reference, probability)) / self.reference.size, 1)

    def save(self, directory: Path) -> None:
        np.savez(directory / ARTIFACT, means=self.means, stds=self.stds, coef_measures=self.coef_measures,
                 coef_text=self.coef_text, intercept=np.array([self.intercept]), reference=self.reference,
                 text_mean=np.array([self.text_mean]), measures=np.array(APPEAL_MEASURES))

    @classmethod
    def load(cls, directory: Path) -> AppealModel | None:
        """None when the version has no appeal model, or one fitted on other measures."""
        try:
            with np.load(directory / ARTIFACT) as data:
                if tuple(str(name) for name in data["measures"]) != APPEAL_MEASURES:
                    return None
                return cls(means=data["means"], stds=data["stds"], coef_measures=data["coef_measures"],
                           coef_text=data["coef_text"], intercept=float(data["intercept"][0]),
                           reference=data["reference"], text_mean=float(data["text_mean"][0]))
        except (OSError, KeyError, ValueError):
            return None


def fit(raw: np.ndarray, embeddings: np.ndarray, examples: Iterable[tuple[int, int]]) -> AppealModel | None:
    """Fit on (work row, outcome 0/1) examples over works described by `raw` (measure_matrix) and
    `embeddings`. None with fewer than MIN_EACH examples of either outcome."""
    pairs = list(examples)
    labels = np.array([label for _, label in pairs], dtype=np.int64)
    if min(int(labels.sum()), int(len(labels) - labels.sum())) < MIN_EACH:
        return None
    with warnings.catch_warnings():  # a measure no work has (motion, in a gallery of pictures) reads 0
        warnings.simplefilter("ignore", RuntimeWarning)
        means, stds = np.nanmean(raw, axis=0), np.nanstd(raw, axis=0)
    means = np.nan_to_num(means)
    stds = np.where(np.isnan(stds) | (stds < 1e-9), 1.0, stds)
    model = AppealModel(means=means, stds=stds, coef_measures=np.zeros(raw.shape[1]),
                        coef_text=np.zeros(embeddings.shape[1]), intercept=0.0, reference=np.zeros(0),
                        text_mean=0.0)
    rows = np.array([row for row, _ in pairs], dtype=np.int64)
    # One example per work and outcome, weighted by how many there were: the same loss as one per
    # exposure (a work's exposures share its inputs), on at most twice as many rows as works.
    grouped, counts = np.unique(np.stack([rows, labels], axis=1), axis=0, return_counts=True)
    inputs = np.hstack([model.standardised(raw), embeddings.astype(np.float64)])
    fitted = LogisticRegression(C=REGULARISATION, max_iter=500).fit(
        inputs[grouped[:, 0]], grouped[:, 1], sample_weight=counts.astype(np.float64))
    weights = fitted.coef_[0]
    model.coef_measures, model.coef_text = weights[:raw.shape[1]], weights[raw.shape[1]:]
    model.intercept = float(fitted.intercept_[0])
    seen = np.unique(rows)
    model.reference = np.sort(model.predict(raw[seen], embeddings[seen]))
    model.text_mean = float((embeddings[seen] @ model.coef_text).mean())
    return model


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """ROC AUC, or None when the labels hold one outcome only."""
    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score(labels, scores))


@dataclass(frozen=True)
class Driver:
    measure: str  # an APPEAL_MEASURES name, or "text" for its subject and wording
    contribution: float  # to the log-odds
    end: str  # "high" or "low": which end of the measure the work sits at ("" for text)


def drivers(model: AppealModel, raw: np.ndarray, embedding: np.ndarray, *, limit: int = 4) -> list[Driver]:
    """What moves one work's prediction most, either way, largest first."""
    measured, text = model.contributions(raw[np.newaxis, :], embedding[np.newaxis, :])
    z = model.standardised(raw)
    found = [Driver(measure=name, contribution=float(measured[0, k]), end="high" if z[k] > 0 else "low")
             for k, name in enumerate(APPEAL_MEASURES) if not np.isnan(raw[k])]
    found.append(Driver(measure="text", contribution=float(text[0]) - model.text_mean, end=""))
    found.sort(key=lambda d: -abs(d.contribution))
    return [d for d in found[:limit] if abs(d.contribution) >= 0.02]
