"""`manage.py aesthetic_evaluate`: the feed with and without its aesthetic taste term, on viewers
with a planted taste and pictures drawn and measured here, and the appeal model against
popularity (recommend/evaluation/aesthetic.py), written as JSON and Markdown."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommend.evaluation.aesthetic import evaluate

RESULTS = Path("benchmarks/results")


def _row(name: str, summary: dict[str, Any], key: str) -> str:
    value = summary[key]
    return f"| {name} | {value['mean']:.4f} ± {value['std']:.4f} |"


class Command(BaseCommand):
    help = ("Evaluate aesthetic taste in the feed (NDCG@10, share of the top 20 matching a planted taste) "
            "and the appeal model (AUC against popularity) on planted data.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seeds", type=int, default=3, help="data sets to average over (default 3)")
        parser.add_argument("--works", type=int, default=300, help="pictures per data set (default 300)")
        parser.add_argument("--viewers", type=int, default=200, help="viewers per data set (default 200)")
        parser.add_argument("--out", type=Path, default=RESULTS,
                            help="folder for aesthetic_evaluate.json and .md (default benchmarks/results)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seeds"] < 1 or options["works"] < 100 or options["viewers"] < 10:
            raise CommandError("--seeds must be at least 1, --works at least 100, --viewers at least 10")

        def progress(run: dict[str, Any]) -> None:
            self.stdout.write(f"seed {run['seed']}: NDCG@10 {run['ndcg_taste']:.4f} with taste, "
                              f"{run['ndcg_without']:.4f} without; planted share of top 20 "
                              f"{run['share_taste']:.3f} vs {run['share_without']:.3f}; appeal AUC "
                              f"{run['appeal_auc']:.3f} vs popularity {run['popularity_auc']:.3f}, new works "
                              f"{run['appeal_auc_new_works']:.3f} ({run['seconds']} s)")

        result = evaluate(seeds=list(range(options["seeds"])), works=options["works"],
                          viewers=options["viewers"], progress=progress)
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "aesthetic_evaluate.json").write_text(json.dumps(result, indent=2) + "\n")
        summary = result["summary"]
        lines = [
            "# Aesthetic taste and appeal on planted data (`manage.py aesthetic_evaluate`)", "",
            f"{result['works']} pictures drawn and measured per seed, {result['viewers']} viewers each shown "
            f"{result['exposures_per_viewer']} of them, {int(result['held_out'] * 100)} % of exposures held "
            f"out; {len(result['runs'])} seeds (mean ± std). Planted tastes: {', '.join(result['tastes'])}.",
            "", "| measure | value |", "|---|---|",
            _row("NDCG@10, feed with taste", summary, "ndcg_taste"),
            _row("NDCG@10, feed without taste", summary, "ndcg_without"),
            f"| NDCG@10 ratio | {summary['ndcg_ratio']['mean']:.3f} |",
            _row("top-20 share on the planted side, with taste", summary, "share_taste"),
            _row("top-20 share on the planted side, without", summary, "share_without"),
            f"| share ratio | {summary['share_ratio']['mean']:.3f} |",
            _row("appeal AUC, held-out exposures", summary, "appeal_auc"),
            _row("popularity AUC, held-out exposures", summary, "popularity_auc"),
            _row("appeal and popularity together, AUC, held-out exposures", summary, "combined_auc"),
            _row("appeal AUC, works never shown in training", summary, "appeal_auc_new_works"),
            _row("popularity AUC, works never shown in training", summary, "popularity_auc_new_works"), ""]
        (out / "aesthetic_evaluate.md").write_text("\n".join(lines))
        self.stdout.write("\n".join(lines))
