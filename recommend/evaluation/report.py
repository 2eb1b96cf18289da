"""The evaluation's results as a table: mean ± sample std over seeds, in Markdown and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from recommend.evaluation.baselines import Hybrid
from recommend.evaluation.protocol import METRICS, NDCG_K, TOP_K

HEADERS = {
    "recall@20": "Recall@20",
    "ndcg@10": "NDCG@10",
    "coverage@20": "Coverage@20",
    "diversity@20": "Diversity@20 (ILD)",
}


def summarise(results: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per model and metric: mean, std (sample, ddof=1; 0 for one seed) and the per-seed values."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for name in results["models"]:
        summary[name] = {}
        for metric in METRICS:
            values = np.array([run["models"][name]["metrics"][metric] for run in results["runs"]])
            std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            summary[name][metric] = {"mean": float(values.mean()), "std": std, "per_seed": values.tolist()}
    return summary


def verdict(results: dict[str, Any], metric: str = "ndcg@10") -> dict[str, Any]:
    """The hybrid against the best single model by `metric`: the margin of their means, each one's
    sample std, and the per-seed (paired: same split) differences' mean and std. It wins by more than
    one std when the margin exceeds the larger of the two stds."""
    summary = summarise(results)
    singles = {name: values for name, values in summary.items() if name != Hybrid.name}
    if Hybrid.name not in summary or not singles:
        return {}
    best = max(singles, key=lambda name: singles[name][metric]["mean"])
    ours, theirs = summary[Hybrid.name][metric], singles[best][metric]
    differences = np.array(ours["per_seed"]) - np.array(theirs["per_seed"])
    margin = ours["mean"] - theirs["mean"]
    std = max(ours["std"], theirs["std"])
    return {"metric": metric, "best_single": best, "margin": margin, "std": std,
            "paired_mean": float(differences.mean()),
            "paired_std": float(differences.std(ddof=1)) if len(differences) > 1 else 0.0,
            "seeds_won": int((differences > 0).sum()), "seeds": len(differences),
            "wins_by_more_than_one_std": bool(margin > std)}


def to_json(results: dict[str, Any]) -> dict[str, Any]:
    return {**results, "summary": summarise(results), "verdict": verdict(results)}


def table(results: dict[str, Any]) -> str:
    summary = summarise(results)
    lines = [
        "| model | " + " | ".join(HEADERS[metric] for metric in METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for name, metrics in summary.items():
        cells = [f"{metrics[m]['mean']:.4f} ± {metrics[m]['std']:.4f}" for m in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(results: dict[str, Any]) -> str:
    dataset = results["dataset"]
    seeds = results["seeds"]
    parts = [
        f"# Recommender evaluation: {dataset['name']}",
        "",
        f"{dataset['users']} users, {dataset['items']} items, {dataset['ratings']} ratings, "
        f"{dataset['positives']} positives (rating >= {dataset['positive_rating']:g}). Mean ± sample std "
        f"over {seeds} seed{'s' if seeds != 1 else ''}{' (quick grids)' if results['quick'] else ''}.",
        "",
        table(results),
        "",
        *_verdict_lines(verdict(results)),
        "## Protocol",
        "",
        f"- Positives: ratings >= {dataset['positive_rating']:g}. Test: a random 20% of each user's "
        "positives, per seed.",
        "- Tuning: on a validation split of 20% of each user's training positives (training data only),"
        f" by NDCG@{NDCG_K}; each model is then refitted on the whole training split with the chosen"
        " parameters.",
        "- Ranking: every item except the user's training positives; users without test positives are"
        " skipped.",
        f"- Recall@{TOP_K}: hits / min({TOP_K}, |test positives|). NDCG@{NDCG_K}: binary gains, ideal DCG"
        f" of min({NDCG_K}, |test positives|) hits.",
        f"- Coverage@{TOP_K}: fraction of the catalogue in at least one user's top {TOP_K}.",
        f"- Diversity@{TOP_K}: mean pairwise (1 - cosine) within each top-{TOP_K} list, averaged over"
        " users; items are their L2-normalised columns of the training matrix, independent of the model"
        " under test (an item without training positives counts as dissimilar to every other).",
        "- The hybrid takes the ALS, EASE, item-kNN and RP3beta parameters tuned for those baselines on"
        " the same validation split, then tunes its blend weights there.",
        "",
        "## Chosen parameters",
        "",
        "| seed | model | parameters | tuning s | fit s |",
        "|---:|---|---|---:|---:|",
    ]
    for run in results["runs"]:
        for name, model in run["models"].items():
            params = ", ".join(f"{key}={value}" for key, value in model["params"].items()) or "none"
            parts.append(f"| {run['seed']} | {name} | {params} | {model['tuning_seconds']} "
                         f"| {model['fit_seconds']} |")
    return "\n".join(parts) + "\n"


def _verdict_lines(found: dict[str, Any]) -> list[str]:
    if not found:
        return []
    outcome = "more than" if found["wins_by_more_than_one_std"] else "not more than"
    return [
        f"The hybrid against the best single model ({found['best_single']}) by NDCG@{NDCG_K}: "
        f"{found['margin']:+.4f}, {outcome} one std ({found['std']:.4f}, the larger of the two); "
        f"per seed (the same split for both) {found['paired_mean']:+.4f} ± {found['paired_std']:.4f}, "
        f"ahead on {found['seeds_won']} of {found['seeds']} seeds.",
        "",
    ]


def write_report(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    markdown = directory / "evaluation.md"
    data = directory / "evaluation.json"
    markdown.write_text(to_markdown(results))
    data.write_text(json.dumps(to_json(results), indent=2) + "\n")
    return markdown, data
