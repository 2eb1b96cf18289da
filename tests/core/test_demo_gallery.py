"""The demo gallery `up` seeds on a fresh install: rendered by Storyloom Tiny through the ordinary
services, published by three creators in two languages, liked by the demo team, two works
registered (one co-owned with two of the demo team, its licences then for sale); once, and
resumable."""

from pathlib import Path
from typing import Any

import pytest

from core.demo import demo_ensure
from core.demo_gallery import CREATORS, DEMO_WORKS, demo_gallery_resume, demo_gallery_step
from generation.execution import job_execute
from generation.models import Job, JobStatus
from projects.models import Project
from recommend.models import Publication
from rights.models import OfferStatus, Work, WorkStatus
from tests.rights.helpers import settle

pytestmark = pytest.mark.django_db(transaction=True)  # renders beat a heartbeat from their own thread


def _run_until_done(rounds: int = 12) -> int:
    """Steps as the worker runs them, rendering what each step queued; the steps it took."""
    for step in range(1, rounds + 1):
        if demo_gallery_step():
            return step
        for job in Job.objects.filter(status=JobStatus.QUEUED):
            assert job_execute(job.pk) == JobStatus.SUCCEEDED
        settle()  # (the chain worker: registrations, then offers)
    raise AssertionError("the demo gallery did not finish")


def test_a_fresh_install_gets_a_gallery_once(settings: Any, tmp_path: Path, platform_chain: Any,
                                             django_capture_on_commit_callbacks: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_ensure(credentials_path=tmp_path / "demo-credentials.json")
    assert demo_gallery_resume()  # the first step is queued for the worker: `up` renders nothing
    assert not Job.objects.exists() and not Publication.objects.exists()

    _run_until_done()

    published = Publication.objects.order_by("pk")
    assert sorted(published.values_list("title", flat=True)) == sorted(w.title for w in DEMO_WORKS)
    assert {p.creator.username for p in published} == set(CREATORS)
    assert set(published.values_list("language", flat=True)) == {"en", "zh-hans"}
    assert all(p.asset.job.preset == "storyloom-tiny" and p.prompt for p in published)
    harbour = published.get(title="Harbour light")
    assert harbour.likes == 3
    assert sorted(harbour.tags.values_list("name", flat=True)) == ["light", "night", "sea"]
    registered = Work.objects.filter(asset__in=[p.asset for p in published])
    assert sorted(registered.values_list("title", flat=True)) == sorted(w.title for w in DEMO_WORKS
                                                                         if w.register)
    assert all(work.status == WorkStatus.REGISTERED for work in registered)
    lighthouse = registered.get(title="Harbour light")
    assert sorted((o.user.username, o.bps) for o in lighthouse.owners.all()) == [
        ("ada", 2_000), ("ben", 3_000), ("tomas", 5_000)]
    assert sorted(lighthouse.offers.values_list("title", "status", "upstream_bps")) == [
        ("Broadcast", OfferStatus.ACTIVE, 0), ("Personal use", OfferStatus.ACTIVE, 0),
        ("Remix", OfferStatus.ACTIVE, 2_000)]

    # Once: the next start finds it done, and a stray step changes nothing.
    with django_capture_on_commit_callbacks() as queued:
        assert not demo_gallery_resume()
    assert not queued
    assert demo_gallery_step()
    assert Publication.objects.count() == len(DEMO_WORKS) and Project.objects.filter(
        name__in=CREATORS.values()).count() == len(CREATORS)


def test_a_failed_render_is_submitted_again(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_ensure(credentials_path=tmp_path / "demo-credentials.json")
    demo_gallery_resume()
    demo_gallery_step()
    first = Job.objects.filter(status=JobStatus.QUEUED).order_by("pk").first()
    assert first is not None
    Job.objects.filter(pk=first.pk).update(status=JobStatus.FAILED)
    demo_gallery_step()
    tries = Job.objects.filter(prompt=first.prompt, project=first.project)
    assert tries.count() == 2
    # each work renders from its own fixed seed: every install, and every retry, draws the same clip
    assert {job.seed for job in tries} == {first.seed}
    assert Job.objects.values("seed").distinct().count() == len(DEMO_WORKS)
