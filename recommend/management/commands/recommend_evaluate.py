"""`manage.py recommend_evaluate [--dataset synthetic|PATH] [--core K]`: the offline comparison of the
recommender with most-popular, implicit ALS, item-kNN (BM25), EASE and RP3beta, written as Markdown and
JSON."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kernel.paths import VAR_DIR
from recommend.evaluation.data import DatasetError, Ratings, load_dataset, synthetic
from recommend.evaluation.protocol import run_evaluation
from recommend.evaluation.report import table, write_report


class Command(BaseCommand):
    help = ("Compare the recommender with public baselines offline (Recall@20, NDCG@10, coverage, "
            "diversity) on synthetic data, a MovieLens 100K style u.data file or a HetRec 2011 Last.fm "
            "user_artists.dat.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", default="synthetic",
                            help="'synthetic' (default), the path of a u.data file (user, item, rating, "
                                 "timestamp, tab-separated) or of a Last.fm user_artists.dat (its header, "
                                 "then user, artist, plays)")
        parser.add_argument("--core", type=int, default=0,
                            help="keep only the k-core: users and items with at least K positives each "
                                 "(default: everything)")
        parser.add_argument("--seeds", type=int, default=3,
                            help="random splits to average over (default 3)")
        parser.add_argument("--out", type=Path, default=None,
                            help="folder for evaluation.md and evaluation.json "
                                 "(default var/recommend/evaluation)")
        parser.add_argument("--synthetic-users", type=int, default=2000,
                            help="synthetic users (default 2000)")
        parser.add_argument("--synthetic-items", type=int, default=1000,
                            help="synthetic items (default 1000)")
        parser.add_argument("--quick", action="store_true", help="one or two settings per grid (for tests)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seeds"] < 1:
            raise CommandError(f"--seeds must be at least 1, got {options['seeds']}")
        if options["core"] < 0:
            raise CommandError(f"--core must be 0 or more, got {options['core']}")
        ratings = self._ratings(options)
        out = options["out"] or VAR_DIR / "recommend" / "evaluation"
        self.stdout.write(f"Evaluating on {ratings.name}: {ratings.n_users} users, {ratings.n_items} items, "
                          f"{len(ratings.ratings)} ratings, {options['seeds']} seeds.")
        results = run_evaluation(ratings, seeds=options["seeds"], quick=options["quick"],
                                 progress=self.stdout.write)
        markdown, data = write_report(results, out)
        self.stdout.write(table(results))
        self.stdout.write(f"Wrote {markdown} and {data}.")

    def _ratings(self, options: dict[str, Any]) -> Ratings:
        if options["dataset"] == "synthetic":
            users, items = options["synthetic_users"], options["synthetic_items"]
            if users < 10 or items < 40:
                raise CommandError(f"--synthetic-users must be >= 10 and --synthetic-items >= 40, "
                                   f"got {users} and {items}")
            return synthetic(n_users=users, n_items=items)
        try:
            ratings = load_dataset(Path(options["dataset"]))
            return ratings.k_core(options["core"]) if options["core"] > 1 else ratings
        except DatasetError as error:
            raise CommandError(str(error)) from None
