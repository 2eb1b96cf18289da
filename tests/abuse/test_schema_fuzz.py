"""Schemathesis over the whole OpenAPI schema, in process, as a client with a bearer token that has
every scope: no answer is a server error, and every answer (errors included) is one the schema
documents: its status, content type, headers and body.

Bounded and repeatable: a fixed seed and no example database; MAX_EXAMPLES generated cases per
operation on top of Schemathesis' coverage cases (boundary values, missing and wrongly typed fields,
unsupported methods, missing credentials), then WORKFLOWS short sequences along the links
Schemathesis infers between operations (an id one answer gives, the next request uses).

Most cases name objects that exist (the client's project, render, video, work, publication...) so
that they get past the 404 into the serializers and services, and every operation must have
succeeded at least once: a fuzz that only ever met 401s or 404s proves nothing. Nothing renders and
no chain transaction is sent: no worker consumes the queues here, and what the requests queued is
purged afterwards so that later tests' workers do not find it.
"""

import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import TokenScope, User
from collab.services import version_save
from generation.models import Asset, Job, JobKind, JobStatus, Webhook
from projects.models import Membership
from projects.roles import Role
from recommend.models import Collection
from reviews.models import Review as GalleryReview
from rights.models import Offer, OfferStatus, Owner, ReviewStatus, Work, WorkReview, WorkStatus
from tests.accounts.factories import DEFAULT_PASSWORD, ApiTokenFactory
from tests.accounts.wallets import signed_challenge, wallet_key, wallet_linked
from tests.inbox.factories import NotificationFactory
from tests.projects.factories import InvitationFactory, MembershipFactory, ProjectFactory, project_with_team
from tests.recommend.gallery_data import image_asset, png, publish, register

SEED = 1313
MAX_EXAMPLES = 25  # generated cases per operation (Schemathesis' coverage cases come on top)
WORKFLOWS, WORKFLOW_STEPS = 25, 8

AUTH_ENFORCED: set[str] = set()  # operations whose refusal without credentials was seen


@functools.wraps(ignored_auth)
def ignored_auth_once(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """Schemathesis' check, with what its own runner keeps between cases: an operation seen to refuse
    a request without (or with wrong) credentials is not asked again. Each pytest case makes a new
    context without that record, so every successful case repeated its request twice more."""
    ctx.auth_enforced_operations = AUTH_ENFORCED
    return ignored_auth(ctx, response, case)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth_once]
HYPOTHESIS = {"database": None, "deadline": None, "suppress_health_check": list(HealthCheck)}
ALL_SCOPES = [scope.value for scope in TokenScope]
NEVER_SUCCEEDS = {  # for this client, by design
    "POST /api/v1/gallery/works/{publication_id}/moderate": "moderators (staff) only",
    **{f"{operation} /api/v1/moderation{path}": "moderators (staff) only (tests/recommend/test_moderation.py)"
       for operation, path in (("GET", ""), ("POST", ""), ("GET", "/{publication_id}"))},
    **{f"{operation} /api/v1/models{path}": "staff only (tests/generation/test_model_manager.py)"
       for operation, path in (("GET", ""), ("GET", "/{name}"), ("DELETE", "/{name}"),
                               ("POST", "/{name}/install"))},
    "POST /api/v1/profile/email/verify": "the address is verified already (409)",
    **{f"{operation} /api/v1/gallery/reviews/{path}": "moderators (staff) only (tests/reviews/test_api.py)"
       for operation, path in (("GET", "reported"), ("POST", "{review_id}/moderate"))},
    # No chain here: they read it first and answer 409 chain_unavailable (tests/rights/test_sales_api.py
    # walks them on anvil).
    **dict.fromkeys([f"POST /api/v1/{path}" for path in (
        "works/{work_id}/offers", "offers/{offer_id}/approve", "offers/{offer_id}/close",
        "offers/{offer_id}/purchases", "earnings/withdrawals")], "needs the chain"),
}


def _openapi() -> dict[str, Any]:
    """The schema /api/schema/ serves, generated as it does (no request, no database needed)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_openapi(), config=schemathesis.Config(seed=SEED))
schema.app = WSGIHandler()


@dataclass
class World:
    """What the client has, as values for path parameters (by name; by path and name where a name
    means different things) and for bodies and queries (by path), and what the fuzz got."""

    user: User
    token: str
    ids: dict[str, list[Any]]
    by_path: dict[tuple[str, str], list[Any]]
    bodies: dict[str, list[dict[str, Any]]]
    queries: dict[str, list[dict[str, Any]]]
    statuses: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    turn: int = 0

    def real(self, path: str, name: str) -> list[Any]:
        return self.by_path.get((path, name)) or self.ids.get(name, [])

    def aim(self, case: schemathesis.Case) -> None:
        """A coverage case about the body, query or headers names objects that exist (the coverage
        cases about path parameters keep theirs)."""
        meta = case.meta
        if meta is None or meta.phase.name != TestPhase.COVERAGE:
            return  # (generated cases get theirs from the hooks below)
        if meta.phase.data.parameter_location == ParameterLocation.PATH:
            return
        self.turn += 1
        for name in list(case.path_parameters or {}):
            if choices := self.real(case.operation.path, name):
                case.path_parameters[name] = choices[self.turn % len(choices)]

    def record(self, case: schemathesis.Case, status: int) -> None:
        if case.method.upper() == case.operation.method.upper():  # (not a coverage case's other method)
            self.statuses[case.operation.label][status] += 1

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


WORLD: list[World] = []  # the running test's, for the generation hooks


def _sometimes(values: Any, change: Any) -> Any:
    """Three generated values in four changed (to name objects that exist), the fourth as it was."""
    return st.integers(0, 3).map(lambda pick: change(values, pick) if pick else values)


@schema.hooks.hook("flatmap_path_parameters")
def _mostly_real_ids(ctx: schemathesis.HookContext, parameters: dict[str, Any] | None) -> Any:
    path = ctx.operation.path if ctx.operation else ""
    world = WORLD[0] if WORLD else None
    if world is None or not parameters or not any(world.real(path, name) for name in parameters):
        return st.just(parameters)

    def change(values: dict[str, Any], pick: int) -> dict[str, Any]:
        return {name: options[pick % len(options)] if (options := world.real(path, name)) else value
                for name, value in values.items()}

    return _sometimes(parameters, change)


def _overlaid(values: Any, overlays: list[dict[str, Any]] | None) -> Any:
    if not overlays or not isinstance(values, dict):
        return st.just(values)
    return _sometimes(values, lambda values, pick: {**values, **overlays[pick % len(overlays)]})


@schema.hooks.hook("flatmap_body")
def _mostly_real_body(ctx: schemathesis.HookContext, body: Any) -> Any:
    return _overlaid(body, WORLD[0].bodies.get(ctx.operation.path) if WORLD and ctx.operation else None)


@schema.hooks.hook("flatmap_query")
def _mostly_real_query(ctx: schemathesis.HookContext, query: Any) -> Any:
    return _overlaid(query, WORLD[0].queries.get(ctx.operation.path) if WORLD and ctx.operation else None)


def _work(asset: Asset, owner: User, *, status: str, confirmed: bool) -> Work:
    """A work of one of the owner's renders, not registered yet, the owner its only co-owner."""
    work = Work.objects.create(title="Lantern", created_by=owner, project=asset.project, asset=asset,
                               mime="image/png", size=100, sha256=status[0] * 64, iscc="ISCC:TEST",
                               licence="cc-by-4.0", terms_sha256="0" * 64, status=status)
    Owner.objects.create(work=work, user=owner, address="0x" + "22" * 20, bps=10_000,
                         confirmed_at=timezone.now() if confirmed else None)
    return work


def _build_world() -> World:
    """A project the client owns (with an editor and a viewer) and an empty one; renders, a
    finished video, a published and registered render, someone else's published work that looks
    like it (under review), a storyboard version, invitations both ways, a collection, a webhook
    and a spare token."""
    team = project_with_team()
    me, project = team.owner, team.project
    token = ApiTokenFactory(user=me, scopes=ALL_SCOPES)
    spare = ApiTokenFactory(user=me, scopes=[TokenScope.READ.value])
    empty = ProjectFactory(created_by=me, name="Empty")
    MembershipFactory(project=empty, user=me, role=Role.OWNER)
    render = image_asset(project, me, seed=1)
    fresh = image_asset(project, me, seed=5)  # never published
    published = publish(project, me, title="Harbour", tags=["ocean"], seed=2)
    others = project_with_team()
    theirs = publish(others.project, others.owner, title="Forest", tags=["forest"], seed=3)
    mine = register(published.asset, me)
    Owner.objects.create(work=mine, user=me, address="0x" + "11" * 20, bps=10_000)
    look_alike = register(theirs.asset, others.owner)
    look_alike.sha256 = "f" * 64
    look_alike.save(update_fields=["sha256"])
    review = WorkReview.objects.create(work=look_alike, matched_work=mine, status=ReviewStatus.PENDING)
    # Gallery reviews: the client's of someone else's work (to edit), and someone's of the client's
    # work (to report, and to delete as the work's creator), answered so that it stays in its thread.
    my_review = GalleryReview.objects.create(publication=theirs, author=me, body="The light is lovely.")
    their_review = GalleryReview.objects.create(publication=published, author=others.owner, body="Nice.")
    GalleryReview.objects.create(publication=published, author=others.owner, body="Indeed.",
                                 parent=their_review)
    draft = _work(render, me, status=WorkStatus.DRAFT, confirmed=True)
    confirming = _work(fresh, me, status=WorkStatus.CONFIRMING, confirmed=False)
    video = Job.objects.create(project=project, requester=me, kind=JobKind.VIDEO, preset="tiny-ltx-video",
                               prompt="waves at night", width=256, height=256, frames=25, fps=24, steps=2,
                               guidance=3.0, seed=1, status=JobStatus.SUCCEEDED, progress=100.0)
    clip = Asset(job=video, project=project, kind=JobKind.VIDEO, width=256, height=256, frames=25, fps=24,
                 seconds=1.0, sha256="e" * 64)
    for name, filename in (("file", "clip.mp4"), ("poster", "poster.png"), ("thumbnail", "thumb.png")):
        getattr(clip, name).save(filename, ContentFile(png(4)), save=False)  # (never decoded here)
    clip.save()
    version = version_save(project=project, user=me, label="First draft")
    invited = InvitationFactory(project=others.project, invitee=me, invited_by=others.owner)
    pending = InvitationFactory(project=project, invited_by=me)
    collection = Collection.objects.create(user=me, name="Saved")
    webhook = Webhook.objects.create(user=me, url="https://hooks.example.com/storyloom")
    notification = NotificationFactory(recipient=me)
    offer = Offer.objects.create(work=mine, offer_id="0x" + "ab" * 32, salt="0x" + "cd" * 32,
                                 title="Broadcast", licence="cc-by-4.0", terms="Broadcast licence",
                                 terms_sha256="0" * 64,
                                 currency="native", token="0x" + "00" * 20, price=10**16, fee_bps=250,
                                 deadline=2**40, status=OfferStatus.ACTIVE, proposed_by=me)
    wallet_linked(me, wallet_key(0x5E))  # a wallet to read and unlink, and a challenge signed to link another
    wallet_body = signed_challenge(me, wallet_key(0x6F))
    settled = {"prompt": "a lantern at dusk", "width": 256, "height": 256, "frames": 25, "fps": 24,
               "steps": 2, "guidance": 3.0, "seed": 7}  # render settings every tiny preset takes
    return World(user=me, token=token.raw, ids={
        "project_id": [project.pk, empty.pk],
        "asset_id": [render.pk, clip.pk],
        "name": list(Asset.FILES),
        "job_id": [render.job.public_id, video.public_id],
        "video_id": [video.public_id],
        "membership_id": [Membership.objects.get(project=project, user=team.editor).pk],
        "version_id": [version.pk],
        "collection_id": [collection.pk],
        "username": [others.owner.username, me.username],
        "publication_id": [published.public_id, theirs.public_id],
        "review_id": [review.pk],
        "token_id": [spare.pk],  # never the token the fuzz signs in with
        "webhook_id": [webhook.pk],
        "notification_id": [notification.pk],
        "work_id": [mine.public_id, look_alike.public_id, draft.public_id],
        "offer_id": [offer.offer_id],
    }, by_path={
        ("/api/v1/invitations/{invitation_id}/accept", "invitation_id"): [invited.pk],
        ("/api/v1/invitations/{invitation_id}/decline", "invitation_id"): [invited.pk],
        ("/api/v1/projects/{project_id}/invitations/{invitation_id}", "invitation_id"): [pending.pk],
        ("/api/v1/projects/{project_id}/members/{membership_id}", "project_id"): [project.pk],
        ("/api/v1/projects/{project_id}/publications", "project_id"): [project.pk],
        ("/api/v1/works/{work_id}/confirm", "work_id"): [confirming.public_id, mine.public_id],
        ("/api/v1/works/{work_id}/submit", "work_id"): [draft.public_id, look_alike.public_id],
        ("/api/v1/works/{work_id}/owners", "work_id"): [draft.public_id],
        ("/api/v1/gallery/reviews/{review_id}", "review_id"): [my_review.pk, their_review.pk],
        ("/api/v1/gallery/reviews/{review_id}/replies", "review_id"): [their_review.pk],
        ("/api/v1/gallery/reviews/{review_id}/report", "review_id"): [their_review.pk],
        ("/api/v1/gallery/reviews/{review_id}/moderate", "review_id"): [their_review.pk],
    }, bodies={
        "/api/v1/projects/{project_id}/jobs": [{**settled, "kind": "image", "preset": "tiny-pixart"},
                                                {**settled, "kind": "video", "preset": "tiny-ltx-video"}],
        "/api/v1/projects/{project_id}/assets/{asset_id}/remix": [settled],
        "/v1/videos": [{"model": "tiny-ltx-video", "size": "256x256", "seconds": "1"}],
        "/api/v1/projects/{project_id}/publications": [
            {"asset": fresh.pk, "title": "Lantern", "description": "", "tags": ["night"], "language": "en",
             "licence": "cc-by-4.0"}],
        "/api/v1/works/{work_id}/owners": [{"owners": [{"user": me.pk, "bps": 10_000}]}],
        "/api/v1/profile/password": [{"old_password": DEFAULT_PASSWORD, "revoke_tokens": False,
                                      "new_password": "loom-new-passphrase-4817"}],
        "/api/v1/projects/{project_id}/works": [{"asset": fresh.pk}, {"asset": render.pk}],
        "/api/v1/gallery/works/{publication_id}/remix": [{"project": project.pk}],
        "/api/v1/gallery/works/{publication_id}/reviews": [{"body": "Lovely light."},
                                                           {"body": "Agreed.", "parent": their_review.pk}],
        "/api/v1/gallery/reviews/{review_id}/report": [{"reason": "spam"}],
        "/api/v1/projects/{project_id}/invitations": [{"invitee": others.owner.username},
                                                      {"invitee": "new@example.com"}],
        "/api/v1/webhooks": [{"url": "https://hooks.example.com/storyloom"}],
        "/api/v1/profile/wallet": [wallet_body],
        # (a name, an address and a passphrase all valid at once are rare among generated values)
        "/api/v1/auth/signup": [{"username": "newcomer", "email": "newcomer@example.com",
                                 "password": "loom-new-passphrase-4817"}],
    }, queries={
        "/api/v1/verify": [{"query": mine.sha256}, {"query": mine.iscc},
                           {"query": mine.sha256, "holder": "0x" + "33" * 20, "licence": ""},
                           {"query": "", "licence": offer.offer_id, "holder": "0x" + "11" * 20}],
        "/api/v1/projects/{project_id}": [{"confirm_name": project.name}, {"confirm_name": empty.name}],
    })


def _purge_queues() -> None:
    """What the requests queued (render tokens, embeddings, chain sends): no worker here, and later
    tests' workers must not find it."""
    from core.celery import app

    queues = {route["queue"] for route in django_settings.CELERY_TASK_ROUTES.values()}
    queues.add(django_settings.CELERY_TASK_DEFAULT_QUEUE)
    with app.connection_for_write() as connection:
        for queue in sorted(queues):
            connection.default_channel.queue_purge(queue)


@pytest.fixture
def world(request: pytest.FixtureRequest, settings: Any, tmp_path: Any) -> Iterator[World]:
    settings.MEDIA_ROOT = tmp_path / "media"
    # As Django's test client does: the in-process WSGI handler keeps the connection between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    WORLD[:] = [_build_world()]
    try:
        yield WORLD[0]
    finally:
        world = WORLD.pop()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        _purge_queues()
    if request.node.originalname == test_every_operation_answers_as_documented.__name__:
        # A fuzz that only ever met 401s, 404s or 400s proves little: each operation succeeded once.
        for label, statuses in world.statuses.items():
            if label in NEVER_SUCCEEDS:
                continue
            succeeded = any(200 <= status < 300 for status in statuses)
            assert succeeded, f"{label} never succeeded: {dict(statuses)}"


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
@pytest.mark.django_db  # (rolled back: as a transactional test it emptied every table after each operation)
def test_every_operation_answers_as_documented(case: schemathesis.Case, world: World) -> None:
    world.aim(case)
    response = case.call_and_validate(headers=world.headers, checks=CHECKS)
    world.record(case, response.status_code)


class Workflows(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences along the inferred links (a project created, then its jobs listed, one
    cancelled...). Each starts from the same world, in a transaction rolled back at its end:
    Hypothesis replays a workflow's first steps and needs the same answers to them."""

    token = ""
    scenario: Any = None

    def setup(self) -> None:
        self.scenario = transaction.atomic()
        self.scenario.__enter__()
        self.token = ApiTokenFactory(user=WORLD[0].user, scopes=ALL_SCOPES).raw  # (a step may revoke it)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.scenario.__exit__(None, None, None)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {self.token}"}}

    def after_call(self, response: Any, case: schemathesis.Case) -> None:
        WORLD[0].record(case, response.status_code)

    def validate_response(self, response: Any, case: schemathesis.Case, additional_checks: Any = None,
                          **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"),
                               transport_kwargs=kwargs)


@pytest.mark.django_db
def test_workflows_answer_as_documented(world: World) -> None:
    Workflows.run(settings=settings(max_examples=WORKFLOWS, stateful_step_count=WORKFLOW_STEPS,
                                    derandomize=True, **HYPOTHESIS))
    steps = sum(sum(statuses.values()) for statuses in world.statuses.values())
    assert steps > WORKFLOWS, "no workflow went past its first step"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/v1/videos/a%2Fb", "/v1/videos/a/b/content", "/v1/nothing"])
def test_an_unknown_path_of_the_videos_api_answers_in_its_error_shape(path: str) -> None:
    """No operation of the schema, so no fuzz case: an id with a slash in it was Django's HTML page."""
    response = Client().get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["error"]["type"] == "invalid_request_error"
