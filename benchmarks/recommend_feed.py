"""Recommend: feed latency through the API at catalogue scale, retrain and incremental update time.

Workload (synthetic, seeded): --works published works (default 100,000) by 500 creators, each with
1 to 3 of 200 tags and a text embedding drawn around one of 50 topics (random unit vectors: the
MiniLM model would take about 15 minutes for 100,000 texts on two cores; it is measured by the tests,
not here); --users viewers (default 10,000), each liking, saving and watching about 30 works from
two favourite topics, popular works more often, after being shown about 60 (impressions). Every
work has an aesthetic report (measures drawn at random: the feed's taste term, browsing by colour
and the appeal model read them as they would real ones). Then:
- retrain: recommend.training.retrain() over every signal (ALS 64 factors, item-kNN, popularity,
  and the appeal model on every exposure);
- the catalogue's first build in a process (afterwards it is rebuilt behind the scenes);
- ours: GET /api/v1/gallery/feed?size=20 as --requests different viewers (Django's test client,
  the whole stack: session auth, scoring every work, MMR re-rank, exploration, reasons, cards),
  the first page of a session; and the next page of the same sessions (read from the cache);
- baseline: GET /api/v1/gallery/creators/{username}/works, a plain newest-first page of 20 cards
  through the same stack (the price of an unpersonalised list);
- the incremental update: recommend.training.user_vector_refresh for --requests viewers;
- a report's standing among the published works (aesthetics.selectors.standing: one aggregate
  over every report), and browsing by colour (GET /api/v1/gallery/colours, first page).
On the embedded test database (SQLite in memory) and an embedded Valkey for the cache.
Aim (issue 6): feed p95 under 50 ms on this 2-core machine.

    .venv/bin/python benchmarks/recommend_feed.py [--works 100000] [--users 10000] [--requests 200]
"""

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import django_environment, percentiles, write_result

TOPICS, TAGS, CREATORS, DIM = 50, 200, 500, 384
WORDS = ["harbour", "neon", "forest", "storm", "lantern", "desert", "glacier", "market", "orbit", "garden",
         "train", "reef", "canyon", "festival", "library", "volcano", "meadow", "subway", "lighthouse",
         "dune"]


def build(args: argparse.Namespace) -> dict[str, float]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from aesthetics.models import Report
    from generation.models import Asset, Job, JobKind, JobStatus
    from projects.models import Membership, Project
    from projects.roles import Role
    from recommend.models import Like, Publication, Signal, SignalKind, Tag

    rng = np.random.default_rng(7)
    started = time.perf_counter()
    password = make_password(None)
    with transaction.atomic():
        User.objects.bulk_create([User(username=f"u{n}", email=f"u{n}@example.com", password=password)
                                  for n in range(args.users + CREATORS)], batch_size=2000)
        users = list(User.objects.order_by("id").values_list("id", flat=True))
        viewers, creators = users[:args.users], users[args.users:]
        Project.objects.bulk_create([Project(name=f"p{c}", created_by_id=c) for c in creators])
        projects = dict(Project.objects.values_list("created_by_id", "id"))
        Membership.objects.bulk_create([Membership(project_id=projects[c], user_id=c, role=Role.OWNER)
                                        for c in creators])
        tags = Tag.objects.bulk_create([Tag(name=f"tag{n}") for n in range(TAGS)])
        topics = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
        work_topic = rng.integers(0, TOPICS, size=args.works)
        work_creator = rng.choice(creators, size=args.works)
        for start in range(0, args.works, 5000):
            chunk = range(start, min(start + 5000, args.works))
            jobs = Job.objects.bulk_create([Job(
                project_id=projects[int(work_creator[i])], requester_id=int(work_creator[i]),
                kind=JobKind.IMAGE, preset="tiny-pixart", prompt=f"{WORDS[i % 20]} {WORDS[(i // 20) % 20]}",
                width=256, height=256, steps=1, guidance=3.0, seed=i, status=JobStatus.SUCCEEDED)
                for i in chunk])
            assets = Asset.objects.bulk_create([Asset(
                job=job, project_id=job.project_id, kind=JobKind.IMAGE, file=f"bench/{job.pk}.png",
                poster=f"bench/{job.pk}.png", thumbnail=f"bench/{job.pk}.jpg", sha256=f"{job.pk:064x}",
                width=256, height=256) for job in jobs])
            Report.objects.bulk_create([Report(sha256=asset.sha256, kind="image", measures=measures(rng))
                                        for asset in assets])
            noise = rng.normal(size=(len(chunk), DIM)).astype(np.float32)
            vectors = topics[work_topic[list(chunk)]] + 0.6 * noise
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            publications = Publication.objects.bulk_create([Publication(
                asset=asset, project_id=asset.project_id, creator_id=int(work_creator[i]),
                title=f"{WORDS[i % 20].capitalize()} {i}", prompt=asset.job.prompt, language="en",
                licence="cc-by-4.0", embedding=vectors[n].tobytes())
                for n, (i, asset) in enumerate(zip(chunk, assets, strict=True))])
            links = []
            for n, publication in enumerate(publications):
                topic = int(work_topic[start + n])
                for t in {topic * 4 % TAGS, int(rng.integers(0, TAGS)), (topic * 4 + 1) % TAGS}:
                    links.append(Publication.tags.through(publication_id=publication.pk, tag_id=tags[t].pk))
            Publication.tags.through.objects.bulk_create(links)
        pubs = np.array(Publication.objects.order_by("id").values_list("id", flat=True))
        by_topic = [pubs[work_topic == t] for t in range(TOPICS)]
        weights = [1.0 / np.arange(1, len(items) + 1) ** 0.8 for items in by_topic]  # popular ones more often
        signals, likes = [], []
        now = timezone.now()
        for viewer in viewers:
            favourite = rng.choice(TOPICS, size=2, replace=False)
            for topic in favourite:
                items, p = by_topic[topic], weights[topic]
                picks = rng.choice(len(items), size=min(15, len(items)), replace=False, p=p / p.sum())
                for pick in picks:
                    pk = int(items[pick])
                    roll = rng.random()
                    kind = (SignalKind.LIKE if roll < 0.4 else SignalKind.SAVE if roll < 0.5
                            else SignalKind.VIEW)
                    dwell = int(rng.integers(1000, 60000)) if kind == SignalKind.VIEW else None
                    signals.append(Signal(user_id=viewer, publication_id=pk, kind=kind, created_at=now,
                                          dwell_ms=dwell))
                    if kind == SignalKind.LIKE:
                        likes.append(Like(user_id=viewer, publication_id=pk))
            for pk in rng.choice(pubs, size=30, replace=False):  # shown, and passed by
                signals.append(Signal(user_id=viewer, publication_id=int(pk), kind=SignalKind.IMPRESSION,
                                      created_at=now))
        Signal.objects.bulk_create(signals, batch_size=5000)
        Like.objects.bulk_create(likes, batch_size=5000, ignore_conflicts=True)
    return {"build_s": round(time.perf_counter() - started, 1), "signals": len(signals)}


def measures(rng: np.random.Generator) -> dict[str, object]:
    """A report's measures, drawn over each one's usual range."""
    shares = rng.dirichlet(np.ones(5))
    return {"colourfulness": float(rng.uniform(0, 100)), "brightness": float(rng.uniform(10, 90)),
            "contrast": float(rng.uniform(0.05, 0.4)), "shadows_clipped": float(rng.uniform(0, 0.1)),
            "highlights_clipped": float(rng.uniform(0, 0.1)), "sharpness": float(10 ** rng.uniform(-4, -1)),
            "warmth": float(rng.uniform(0, 1)), "harmony": float(rng.uniform(0.3, 1)),
            "harmony_template": "i", "thirds": float(rng.uniform(0, 1)), "balance": float(rng.uniform(0, 1)),
            "horizon_tilt": float(rng.normal(0, 3)),
            "palette": [{"hex": "#" + bytes(rng.integers(0, 256, 3).tolist()).hex(),
                         "share": round(float(s), 4)} for s in sorted(shares, reverse=True)]}


def timed(function, samples: int) -> list[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        function(n)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["RECOMMEND_DIR"] = str(Path(tmp.name) / "recommend")
    with django_environment():
        from django.conf import settings
        from django.test import Client

        from accounts.models import User
        from aesthetics import selectors as aesthetics_selectors
        from aesthetics.models import Report
        from recommend import serving, training

        settings.RECOMMEND_DIR = Path(tmp.name) / "recommend"
        settings.RECOMMEND_CATALOGUE_TTL_S = 3600.0
        built = build(args)
        print(f"built {args.works:,} works, {args.users:,} viewers, {built['signals']:,} signals "
              f"in {built['build_s']} s")
        started = time.perf_counter()
        version = training.retrain()
        retrain_s = time.perf_counter() - started
        assert version is not None
        print(f"retrain {retrain_s:.1f} s ({version.users:,} users x {version.items:,} works)")
        serving.reset()
        started = time.perf_counter()
        serving.catalogue()
        catalogue_s = time.perf_counter() - started

        viewers = list(User.objects.filter(signals__isnull=False).distinct().order_by("id")
                       .values_list("id", flat=True)[:args.users])
        sample = random.Random(5).sample(viewers, args.requests)
        clients = []
        for pk in sample:
            client = Client()
            client.force_login(User.objects.get(pk=pk))
            client.get("/livez")  # builds the handler and middleware (a server does it once)
            clients.append(client)
        cursors: list[str] = []

        def first_page(n: int) -> None:
            response = clients[n].get("/api/v1/gallery/feed?size=20")
            assert response.status_code == 200 and len(response.json()["items"]) == 20, response.content[:300]
            cursors.append(response.json()["next_cursor"])

        def next_page(n: int) -> None:
            response = clients[n].get(f"/api/v1/gallery/feed?size=20&cursor={cursors[n]}")
            assert response.status_code == 200 and len(response.json()["items"]) == 20

        creators = list(User.objects.filter(publications__isnull=False).distinct().values_list("username",
                                                                                              flat=True)[:50])

        def plain_page(n: int) -> None:
            response = clients[n].get(f"/api/v1/gallery/creators/{creators[n % len(creators)]}/works")
            assert response.status_code == 200

        for warm in (first_page, next_page, plain_page):  # imports, model and catalogue loaded
            warm(0)
        cursors.clear()
        ours = percentiles(timed(first_page, args.requests))
        ours_next = percentiles(timed(next_page, args.requests))
        baseline = percentiles(timed(plain_page, args.requests))
        refresh = percentiles(timed(lambda n: training.user_vector_refresh(user_id=sample[n]), args.requests))
        reports = list(Report.objects.order_by("?")[:20])
        standing = percentiles(timed(lambda n: aesthetics_selectors.standing(report=reports[n]), 20))
        colours = ["red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "grey"]
        by_colour = percentiles(timed(lambda n: clients[n].get(
            f"/api/v1/gallery/colours?colour={colours[n % len(colours)]}"), 20))

    metrics = {"feed_first_page": ours, "feed_next_page": ours_next, "retrain_s": round(retrain_s, 2),
               "catalogue_build_s": round(catalogue_s, 2), "user_vector_refresh": refresh,
               "aesthetic_standing": standing, "by_colour_page": by_colour,
               "aim_p95_under_50ms": ours["p95_ms"] < 50}
    ratios = {"feed first page / plain page (p95)": round(ours["p95_ms"] / baseline["p95_ms"], 2),
              "feed first page / plain page (p50)": round(ours["p50_ms"] / baseline["p50_ms"], 2)}
    workload = {"works": args.works, "viewers": args.users, "signals": built["signals"],
                "requests": args.requests, "page_size": 20, "client": "django.test.Client"}
    write_result("recommend_feed", workload, metrics, "a creator's newest works, 20 cards, same API stack",
                 baseline, ratios)
    print(f"feed first page  p50 {ours['p50_ms']:.1f} ms  p95 {ours['p95_ms']:.1f} ms")
    print(f"feed next page   p50 {ours_next['p50_ms']:.1f} ms  p95 {ours_next['p95_ms']:.1f} ms")
    print(f"plain page       p50 {baseline['p50_ms']:.1f} ms  p95 {baseline['p95_ms']:.1f} ms")
    print(f"user vector refresh p50 {refresh['p50_ms']:.1f} ms; catalogue build {catalogue_s:.1f} s")
    print(f"report standing p50 {standing['p50_ms']:.1f} ms; by colour p50 {by_colour['p50_ms']:.1f} ms")
    print(f"ratio (p95) {ratios['feed first page / plain page (p95)']}")


if __name__ == "__main__":
    main()
