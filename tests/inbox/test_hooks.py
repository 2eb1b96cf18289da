"""Each app's hook sends exactly the right notifications to the right people, never to the actor."""

import pytest
from django.utils import timezone

from collab import services as collab_services
from collab.schema import doc_new, scene_new, scenes_of
from collab.selectors import document_for
from collab.tasks import comments_notify
from generation.execution import _finish
from generation.models import Job, JobKind, JobStatus
from inbox.models import Kind, Notification
from projects.roles import Role
from projects.services import invitation_create
from rights import keys
from rights.chain import effects
from rights.models import ChainTx, WorkStatus
from rights.services import owners_set, work_confirm, work_create, work_submit
from tests.accounts.factories import UserFactory
from tests.inbox.storyboard import comment, edit, reply
from tests.projects.factories import MembershipFactory, project_with_team
from tests.rights.helpers import png

pytestmark = pytest.mark.django_db


def sent() -> list[tuple]:
    """(recipient, kind, actor) of every notification, in the order they were made."""
    return [(n.recipient, n.kind, n.actor) for n in Notification.objects.order_by("id")]


# --- projects ------------------------------------------------------------------------------


def test_an_invitation_to_an_account_notifies_that_person(django_capture_on_commit_callbacks):
    team, newcomer = project_with_team(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(project=team.project, user=team.owner, invitee=newcomer.username, role=Role.VIEWER)
        invitation_create(project=team.project, user=team.owner, invitee="not-signed-up@example.com")
    assert sent() == [(newcomer, Kind.INVITATION, team.owner)]
    notification = Notification.objects.get()
    assert notification.link == "/projects/invitations/"
    assert notification.params == {"actor": team.owner.name, "project": team.project.name}


# --- generation ----------------------------------------------------------------------------


def running_job(team) -> Job:
    return Job.objects.create(project=team.project, requester=team.editor, kind=JobKind.IMAGE,
                              preset="tiny-pixart", prompt="gulls over the pier " * 10, width=64,
                              height=64, steps=1, guidance=3.0, seed=1, status=JobStatus.RUNNING)


@pytest.mark.parametrize(("status", "kind"), [(JobStatus.SUCCEEDED, Kind.RENDER_SUCCEEDED),
                                              (JobStatus.FAILED, Kind.RENDER_FAILED),
                                              (JobStatus.CANCELLED, None)])
def test_a_finished_render_notifies_who_asked_for_it(django_capture_on_commit_callbacks, status, kind):
    team = project_with_team()
    job = running_job(team)
    with django_capture_on_commit_callbacks(execute=True):
        _finish(job, status, "" if status == JobStatus.SUCCEEDED else "It stopped.")
    if kind is None:
        assert sent() == []
        return
    assert sent() == [(team.editor, kind, None)]
    notification = Notification.objects.get()
    assert notification.link == f"/projects/{team.project.pk}/#jobs"
    assert notification.params["project"] == team.project.name
    prompt = notification.params["prompt"]
    assert prompt.startswith("gulls over the pier") and len(prompt) <= 60


# --- rights --------------------------------------------------------------------------------


@pytest.fixture
def chain_dirs(settings, tmp_path):
    keys._platform_key.cache_clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.EMBEDDED_CHAIN, settings.CHAIN_PRIVATE_KEY = True, ""
    yield
    keys._platform_key.cache_clear()


@pytest.mark.usefixtures("chain_dirs")
def test_co_owners_are_asked_to_confirm_then_told_how_the_registration_ended(
        django_capture_on_commit_callbacks):
    team = project_with_team()
    with django_capture_on_commit_callbacks(execute=True):
        work, _ = work_create(user=team.owner, title="Shared", licence="cc-by-4.0", upload=png(7))
        owners_set(work_id=work.public_id, user=team.owner, owners=[
            {"user": team.owner.pk, "bps": 6000}, {"user": team.editor.pk, "bps": 4000}])
    assert sent() == []  # settling the owners asks nobody yet
    with django_capture_on_commit_callbacks(execute=True):
        work = work_submit(work_id=work.public_id, user=team.owner)
    assert work.status == WorkStatus.CONFIRMING
    assert sent() == [(team.editor, Kind.COOWNER_REQUEST, team.owner)]
    assert Notification.objects.get().link == f"/works/{work.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        work = work_confirm(work_id=work.public_id, user=team.editor)
    assert work.status == WorkStatus.QUEUED
    assert len(sent()) == 1  # confirming asks nobody again

    tx = ChainTx.objects.get(work=work, function="register")
    with django_capture_on_commit_callbacks(execute=True):
        effects.confirmed(tx, {}, None, block=7, mined_at=timezone.now())  # type: ignore[typeddict-item]
    told = sent()[1:]
    assert sorted((r.pk, k, a) for r, k, a in told) == sorted(
        (u.pk, Kind.REGISTRATION_CONFIRMED, None) for u in (team.owner, team.editor))
    assert Notification.objects.filter(kind=Kind.REGISTRATION_CONFIRMED).first().params == {"work": "Shared"}


@pytest.mark.usefixtures("chain_dirs")
def test_a_failed_registration_tells_its_owners(django_capture_on_commit_callbacks):
    team = project_with_team()
    with django_capture_on_commit_callbacks(execute=True):
        work, _ = work_create(user=team.editor, title="Alone", licence="cc-by-4.0", upload=png(9))
        work = work_submit(work_id=work.public_id, user=team.editor)  # one owner: queued at once
    assert sent() == []
    tx = ChainTx.objects.get(work=work, function="register")
    with django_capture_on_commit_callbacks(execute=True):
        effects.failed(tx, "reverted on chain")
        effects.failed(ChainTx(function="grantLicence", work=work, meta={}), "x")  # not a registration
    assert sent() == [(team.editor, Kind.REGISTRATION_FAILED, None)]


# --- collab --------------------------------------------------------------------------------


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """collab.tasks.comments_notify, as the worker runs it (its sends commit)."""

    def run(project, seq: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return comments_notify(project_id=project.pk, seq=seq)

    return run


def test_comments_notify_the_scenes_other_commenters_and_replies_the_comments_author(notify):
    team = project_with_team()
    second = MembershipFactory(project=team.project, role=Role.EDITOR).user
    project = team.project
    collab_services.scene_add(project=project, user=team.owner, prompt="a lighthouse")
    collab_services.scene_add(project=project, user=team.owner, prompt="a harbour")

    def first_scene(doc):
        return scenes_of(doc)[0]["comments"]

    seq = edit(project, team.owner,
               lambda doc: first_scene(doc).append(comment(team.owner.username, "c1", "x")))
    assert notify(project, seq) == 1 and sent() == []  # nobody else there yet

    seq = edit(project, team.editor, lambda doc: first_scene(doc)[0]["replies"].append(
        reply(team.editor.username, "r1", "Make it   darker,\n please")))
    assert notify(project, seq) == 1
    assert sent() == [(team.owner, Kind.REPLY, team.editor)]
    assert Notification.objects.get().params == {"actor": team.editor.name, "project": project.name,
                                                 "scene": "1", "excerpt": "Make it darker, please"}
    assert Notification.objects.get().link == f"/projects/{project.pk}/storyboard/"

    # A comment naming someone outside the project (clients write the names) reaches no outsider.
    seq = edit(project, team.editor,
               lambda doc: first_scene(doc).append(comment(team.outsider.username, "c2", "y")))
    notify(project, seq)
    assert sent()[1:] == [(team.owner, Kind.COMMENT, team.editor)]  # named by who sent it, not the text

    seq = edit(project, second,
               lambda doc: first_scene(doc).append(comment(second.username, "c3", "z" * 300)))
    notify(project, seq)
    told = sorted((r.pk, k, a.pk) for r, k, a in sent()[2:])
    assert told == sorted((u.pk, Kind.COMMENT, second.pk) for u in (team.owner, team.editor))
    assert len(Notification.objects.order_by("-id").first().params["excerpt"]) == 80

    # Another scene's commenters hear nothing; an edit without comments tells nobody.
    seq = edit(project, second,
               lambda doc: scenes_of(doc)[1]["comments"].append(comment(second.username, "c1", "w")))
    before = len(sent())
    assert notify(project, seq) == 1 and len(sent()) == before
    seq = edit(project, team.owner, lambda doc: scenes_of(doc)[1]["prompt"].insert(0, "night, "))
    assert notify(project, seq) == 0 and len(sent()) == before
    assert notify(project, 10**6) == 0


def test_a_comment_folded_into_the_snapshot_is_skipped_not_misread(notify):
    team = project_with_team()
    collab_services.scene_add(project=team.project, user=team.owner, prompt="a lighthouse")
    edit(team.project, team.owner, lambda doc: scenes_of(doc)[0]["comments"].append(
        comment(team.owner.username, "c1", "x")))
    seq = edit(team.project, team.editor, lambda doc: scenes_of(doc)[0]["comments"].append(
        comment(team.editor.username, "c2", "y")))
    collab_services.document_compact(document_id=document_for(project=team.project).pk)
    assert notify(team.project, seq) == 0 and sent() == []


def test_a_document_without_comments_is_read_cheaply():
    doc = doc_new()
    scenes_of(doc).append(scene_new(prompt="p"))
    from collab.attribution import comment_index

    assert comment_index(doc) == {}
