"""The demo gallery `up` seeds once, so that a fresh install has something real to show: works
published by three demo creators, in English and Chinese, with tags, a few likes from the demo
team, and two of them registered on the chain (for verify and the certificate). One of those,
"Harbour light", is co-owned by Tomas with Ben and Ada of the demo team, and its licences are for
sale once its registration is confirmed (so a fresh install can buy one, and Ben and Ada can see
and withdraw their shares).

Nothing here blocks start-up. `up` calls `demo_gallery_resume`, which queues `demo_gallery_step`
on the worker; each step submits the renders that are not submitted yet (as the creators, through
the same services as anyone, so quotas hold), publishes the ones that have finished, registers
and likes, and queues itself again until every work is out. Every step reads the database, so a
platform stopped half-way carries on where it was at its next start."""

from __future__ import annotations

import logging
import secrets
import zlib
from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from accounts.services import demo_users_ensure
from generation.kinds import JobKind
from generation.models import JobStatus
from generation.selectors import job_list, job_output
from generation.services import job_submit
from kernel.errors import ServiceError
from kernel.tasks import enqueue_on_commit
from projects.models import Project
from projects.services import project_create
from recommend.selectors import project_publications
from recommend.services import like_set, publication_publish
from rights.licences import LicenceKind
from rights.models import OfferStatus, WorkStatus
from rights.selectors import project_works
from rights.services import offer_approve, offer_propose, owners_set, work_confirm, work_create, work_submit

log = logging.getLogger(__name__)

PRESET = "storyloom-tiny"  # the trained model: every demo render is the prompt as it draws it
STEP_DELAY_S = 5
MAX_STEPS = 240  # 20 minutes of steps; a render that never finishes does not keep it going forever
MAX_TRIES = 3  # renders of one work (a failed one is submitted again)

# Each creator's studio (their own project), by username.
CREATORS = {"mira": "Mira: 光与墨", "tomas": "Tomas: Harbour lights", "lena": "Lena: Small geometries"}
FANS = ("ada", "ben", "chen")  # the demo team (core.demo) likes a few of them


@dataclass(frozen=True)
class DemoWork:
    creator: str
    title: str
    prompt: str  # in the model's world (generation/storyloom_tiny/data.py)
    tags: tuple[str, ...]
    language: str
    description: str = ""
    register: bool = False
    fans: int = 0  # how many of the demo team like it
    co_owners: tuple[tuple[str, int], ...] = ()  # (username, basis points) of those beside the creator
    offers: tuple[DemoOffer, ...] = ()  # licences for sale once registered


@dataclass(frozen=True)
class DemoOffer:
    title: str
    currency: str
    price: str
    commercial: bool = False
    max_quantity: int = 0
    upstream_bps: int = 0  # > 0: remixes allowed, and this share of their sales paid back


DEMO_WORKS = (
    DemoWork("tomas", "Harbour light", "A yellow star grows over the sea at night", ("sea", "night", "light"),
             "en", "The lamp of the harbour, the way the boats see it.", register=True, fans=3,
             co_owners=(("ben", 3_000), ("ada", 2_000)), offers=(DemoOffer("Personal use", "native", "0.01"),
                                              DemoOffer("Broadcast", "stablecoin", "25", commercial=True,
                                                        max_quantity=10),
                                              DemoOffer("Remix", "native", "0.02", upstream_bps=2_000))),
    DemoWork("tomas", "Red tide", "A red ball rolls to the left over a blue sea", ("sea", "motion"), "en",
             fans=2),
    DemoWork("tomas", "Night crossing", "A cyan square moves to the right under a night sky",
             ("night", "sea"), "en"),
    DemoWork("tomas", "Storm warning", "A crimson triangle grows in the dark", ("storm", "signal"), "en",
             fans=1),
    DemoWork("mira", "暮色方块", "A purple square rises against a dusk sky", ("dusk", "shapes"), "zh-hans",
             "黄昏时分，一个紫色的方块缓缓升起。", register=True, fans=2),
    DemoWork("mira", "缩小的绿星", "A green star shrinks on a white background", ("minimal", "shapes"),
             "zh-hans", "白色背景上，一颗绿色的星慢慢缩小。"),
    DemoWork("mira", "海上粉球", "A pink ball floats upward over the sea", ("sea", "dawn"), "zh-hans",
             fans=1),
    DemoWork("mira", "夜行的月", "A golden disc slides left at night", ("night", "moon"), "zh-hans",
             "夜空里，一轮金色的圆盘向左滑去。"),
    DemoWork("lena", "Dawn drift", "An orange triangle drifts right at dawn", ("dawn", "motion"), "en",
             fans=2),
    DemoWork("lena", "Blue on grey", "A blue circle falling on a grey background", ("minimal", "motion"),
             "en"),
    DemoWork("lena", "Still life", "A yellow square resting on black", ("minimal", "still"), "en",
             "Nothing moves; that is the point."),
    DemoWork("lena", "Green lift", "An emerald ball moves up on white", ("minimal", "motion"), "en", fans=1),
)


def _studios() -> dict[str, tuple[User, Project]] | None:
    """The creators and their studios, or None where the demo gallery was never started."""
    studios = {}
    for username, name in CREATORS.items():
        user = User.objects.filter(username=username).first()
        project = Project.objects.filter(created_by=user, name=name).first() if user else None
        if user is None or project is None:
            return None
        studios[username] = (user, project)
    return studios


@transaction.atomic
def demo_gallery_resume() -> bool:
    """Start the demo gallery (on a platform that has the demo: `up` calls this after
    `demo_ensure` created it or found it) or carry it on; True when a step was queued."""
    studios = _studios()
    if studios is None:
        users = demo_users_ensure(password_for={name: secrets.token_urlsafe(24) for name in CREATORS})
        for user in users:
            if not Project.objects.filter(created_by=user, name=CREATORS[user.username]).exists():
                project_create(user=user, name=CREATORS[user.username],
                               description="Works published to the demo gallery.")
    elif all(_finished(work, studios) for work in DEMO_WORKS):
        return False
    enqueue_on_commit("core.tasks.demo_gallery_step", step=0)
    return True


def _published(work: DemoWork, studios: dict[str, tuple[User, Project]]) -> bool:
    _user, project = studios[work.creator]
    return project_publications(project=project).filter(title=work.title).exists()


def _finished(work: DemoWork, studios: dict[str, tuple[User, Project]]) -> bool:
    """Published, and its licences on offer once its registration is confirmed (a registration that
    failed or waits for review is not waited for)."""
    published = _published(work, studios)
    if not published or not work.offers:
        return published
    creator, project = studios[work.creator]
    registered = project_works(project=project, user=creator).filter(title=work.title).first()
    if registered is None:
        return True
    if registered.status == WorkStatus.REGISTERED:
        return registered.offers.exists()
    return registered.status not in (WorkStatus.QUEUED, WorkStatus.SUBMITTED, WorkStatus.CONFIRMING)


@transaction.atomic
def demo_gallery_step() -> bool:
    """One round: submit, publish, register, like, offer. True when every demo work is published
    (and its licences offered, where it has any)."""
    studios = _studios()
    if studios is None:
        return True
    done = True
    for work in DEMO_WORKS:
        if _finished(work, studios):
            continue
        done = False
        try:
            with transaction.atomic():
                _advance(work, *studios[work.creator])
        except ServiceError as error:  # a quota's wait, a refused registration: the next step
            log.info("demo gallery: %s waits (%s)", work.title, error)
    return done


def _advance(work: DemoWork, creator: User, project: Project) -> None:
    jobs = list(job_list(project=project, user=creator).filter(prompt=work.prompt).order_by("-created_at"))
    latest = jobs[0] if jobs else None
    if latest is None or (latest.status in {JobStatus.FAILED, JobStatus.CANCELLED} and len(jobs) < MAX_TRIES):
        job_submit(project=project, user=creator, kind=JobKind.VIDEO, preset=PRESET, prompt=work.prompt,
                   seed=zlib.crc32(work.title.encode()))  # the same gallery on every fresh install
        return
    asset = job_output(job_public_id=latest.public_id) if latest.status == JobStatus.SUCCEEDED else None
    if asset is None:
        return  # still rendering (or given up after MAX_TRIES)
    if work.register and not project_works(project=project, user=creator).filter(asset=asset).exists():
        _register(work, creator, asset.pk)
    if _published(work, {work.creator: (creator, project)}):
        _offer(work, creator, project)
        return
    publication = publication_publish(project=project, user=creator, asset_id=asset.pk, title=work.title,
                                      description=work.description, tags=work.tags, language=work.language)
    for fan in User.objects.filter(username__in=FANS[:work.fans]):
        like_set(user=fan, publication_id=publication.public_id, liked=True)


def _register(work: DemoWork, creator: User, asset_id: int) -> None:
    """Ask for the work's registration; a co-owned one with its co-owners' confirmations."""
    registered, _look_alikes = work_create(user=creator, title=work.title, licence=LicenceKind.CC_BY,
                                           description=work.description, asset_id=asset_id)
    partners = [(User.objects.get(username=name), bps) for name, bps in work.co_owners]
    if partners:
        owners_set(work_id=registered.public_id, user=creator, owners=[
            {"user": creator.pk, "bps": 10_000 - sum(bps for _user, bps in partners)},
            *({"user": partner.pk, "bps": bps} for partner, bps in partners)])
    work_submit(work_id=registered.public_id, user=creator, acknowledge_similar=True)
    for partner, _bps in partners:
        work_confirm(work_id=registered.public_id, user=partner)


def _offer(work: DemoWork, creator: User, project: Project) -> None:
    """Once the registration is confirmed: its licences for sale, proposed by the creator and
    approved by the co-owners until those who approved hold more than half of the shares."""
    registered = project_works(project=project, user=creator).filter(title=work.title,
                                                                     status=WorkStatus.REGISTERED).first()
    if registered is None or registered.offers.exists():
        return
    partners = User.objects.filter(username__in=[name for name, _bps in work.co_owners])
    for offer in work.offers:
        proposed = offer_propose(
            work_id=registered.public_id, user=creator, title=offer.title, licence=LicenceKind.CC_BY,
            commercial=offer.commercial, currency=offer.currency, price=offer.price,
            max_quantity=offer.max_quantity, remix_allowed=offer.upstream_bps > 0,
            upstream_bps=offer.upstream_bps)
        for partner in partners:  # the co-owners approve it, until more than half of the shares have
            if proposed.status == OfferStatus.APPROVING:
                proposed = offer_approve(offer_id=proposed.offer_id, user=partner)
