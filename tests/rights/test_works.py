"""Works before the chain: from a generated asset or an upload, fingerprinted, duplicates refused,
look-alikes shown, co-owners and shares from the storyboard's attribution, every co-owner
confirming before the registration is queued."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collab.services import scene_add
from generation.execution import job_execute
from generation.services import job_submit
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rights import keys
from rights.keys import user_address
from rights.models import ChainTx, Work, WorkStatus
from rights.services import (
    SimilarWorks,
    owners_set,
    registration_submit,
    work_confirm,
    work_create,
    work_submit,
)
from tests.projects.factories import project_with_team
from tests.rights.helpers import png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    keys._platform_key.cache_clear()
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.EMBEDDED_CHAIN, settings.CHAIN_PRIVATE_KEY = True, ""
    yield
    keys._platform_key.cache_clear()


@pytest.fixture
def rendered():
    """A project whose storyboard the owner and the editor wrote (owner three times as much), and
    an image the editor rendered."""
    team = project_with_team()
    scene_add(project=team.project, user=team.owner, prompt="a harbour at dawn, fishing boats, gulls " * 3)
    scene_add(project=team.project, user=team.editor, prompt="a harbour at dawn, fishing boats, gulls ")
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a harbour at dawn", width=64, height=64, steps=1)
    job_execute(job.pk)
    return team, job.assets.get()


def test_a_generated_work_gets_its_fingerprints_and_shares_from_who_made_it(rendered):
    team, asset = rendered
    work, similar = work_create(user=team.editor, title="Harbour at dawn", licence="cc-by-4.0",
                                asset_id=asset.pk)
    assert (work.sha256, work.mime, work.project) == (asset.sha256, "image/png", team.project)
    assert work.iscc.startswith("ISCC:K") and len(work.phash) == 16 and similar == []
    shares = {owner.user: owner.bps for owner in work.owners.all()}
    # The requester holds half; the writers share the other half by what they wrote (3:1).
    assert shares == {team.editor: 5000 + 1250, team.owner: 3750}
    owners = {owner.user: owner for owner in work.owners.all()}
    assert owners[team.editor].address == user_address(team.editor.pk)
    assert owners[team.editor].confirmed_at is not None and owners[team.owner].confirmed_at is None


def test_viewers_and_outsiders_cannot_register_a_projects_asset(rendered):
    team, asset = rendered
    with pytest.raises(PermissionDenied):
        work_create(user=team.viewer, title="Mine now", licence="cc-by-4.0", asset_id=asset.pk)
    with pytest.raises(NotFound):
        work_create(user=team.outsider, title="Mine now", licence="cc-by-4.0", asset_id=asset.pk)


@pytest.mark.parametrize("content, says", [
    (b"%PDF-1.7 not a picture", "not a PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "could not be read"),
])
def test_uploads_that_are_not_images_or_videos_are_refused_and_nothing_is_kept(content, says):
    team = project_with_team()
    with pytest.raises(ValidationFailed) as caught:
        work_create(user=team.editor, title="Scan", licence="all-rights-reserved", upload=io.BytesIO(content))
    assert says in caught.value.message and "PNG, JPEG or WebP" in caught.value.fields["file"][0]
    assert not Work.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(settings):
    settings.WORK_MAX_BYTES = 100
    team = project_with_team()
    with pytest.raises(ValidationFailed, match="larger than"):
        work_create(user=team.editor, title="Big", licence="cc-by-4.0", upload=png())


def test_an_exact_duplicate_is_refused_and_a_look_alike_is_shown_before_it_registers():
    team = project_with_team()
    first, _ = work_create(user=team.owner, title="Gradient", licence="cc-by-4.0", upload=png(),
                           filename="a.png")
    work_submit(work_id=first.public_id, user=team.owner)
    first.refresh_from_db()
    assert first.status == WorkStatus.QUEUED and ChainTx.objects.filter(work=first).exists()
    with pytest.raises(Conflict, match="already registered as “Gradient”"):
        work_create(user=team.editor, title="Copy", licence="cc-by-4.0", upload=png())
    lookalike, similar = work_create(user=team.editor, title="Re-encoded", licence="cc-by-4.0",
                                     upload=png(reencoded=True))
    assert [match.work for match in similar] == [first]
    with pytest.raises(SimilarWorks) as caught:
        work_submit(work_id=lookalike.public_id, user=team.editor)
    assert caught.value.matches[0].work == first
    # Someone else's look-alike waits for the first work's owners (tests/security/test_provenance.py).
    assert work_submit(work_id=lookalike.public_id, user=team.editor, acknowledge_similar=True).status == (
        WorkStatus.REVIEW)
    own, _ = work_create(user=team.owner, title="Mine again", licence="cc-by-4.0",
                         upload=png(reencoded=True))
    assert work_submit(work_id=own.public_id, user=team.owner, acknowledge_similar=True).status == (
        WorkStatus.QUEUED)


def test_every_co_owner_confirms_before_the_registration_is_queued_and_changes_ask_again():
    team = project_with_team()
    work, _ = work_create(user=team.owner, title="Shared", licence="custom", terms="Screenings only.",
                          upload=png(2))
    with pytest.raises(ValidationFailed) as caught:
        owners_set(work_id=work.public_id, user=team.owner, owners=[
            {"user": team.owner.pk, "bps": 6000}, {"user": team.editor.pk, "bps": 3000}])
    assert "add up to 9000" in caught.value.fields["owners"][0]
    owners_set(work_id=work.public_id, user=team.owner, owners=[
        {"user": team.owner.pk, "bps": 6000}, {"user": team.editor.pk, "bps": 4000}])
    work = work_submit(work_id=work.public_id, user=team.owner)
    assert work.status == WorkStatus.CONFIRMING and not ChainTx.objects.exists()
    with pytest.raises(NotFound):
        work_confirm(work_id=work.public_id, user=team.viewer)
    # The editor changes the split: the owner has to agree again.
    owners_set(work_id=work.public_id, user=team.editor, owners=[
        {"user": team.owner.pk, "bps": 5000}, {"user": team.editor.pk, "bps": 5000}])
    work = work_submit(work_id=work.public_id, user=team.editor)
    assert work.status == WorkStatus.CONFIRMING
    work = work_confirm(work_id=work.public_id, user=team.owner)
    assert work.status == WorkStatus.QUEUED
    tx = ChainTx.objects.get(work=work)
    assert tx.args[2] == f"0x{work.terms_sha256}"  # the licence terms' hash goes on chain too
    assert tx.args[3] == [user_address(team.owner.pk), user_address(team.editor.pk)]
    assert tx.args[4] == [5000, 5000]
    with pytest.raises(Conflict):
        owners_set(work_id=work.public_id, user=team.owner, owners=[{"user": team.owner.pk, "bps": 10000}])


@pytest.mark.parametrize("owners, says", [
    ([{"address": "not-an-address", "bps": 10000}], "0x address"),
    ([{"user": 999999, "bps": 10000}], "no such person"),
    ([{"address": "0x" + "ab" * 20, "bps": 5000}, {"address": "0x" + "AB" * 20, "bps": 5000}], "once"),
    ([{"address": "0x" + "ab" * 20, "bps": 0}], "from 1 to 10,000"),
])
def test_bad_owners_are_refused_and_say_which(owners, says):
    team = project_with_team()
    work, _ = work_create(user=team.owner, title="x", licence="cc-by-4.0", upload=png(3))
    with pytest.raises(ValidationFailed) as caught:
        owners_set(work_id=work.public_id, user=team.owner, owners=owners)
    assert says in " ".join(caught.value.fields["owners"])


@given(requests=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=12))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_asking_to_register_any_number_of_times_queues_each_work_once(requests):
    """However often, and in whatever order, works are submitted: one registration each."""
    ChainTx.objects.all().delete()
    Work.objects.all().delete()
    team = project_with_team()
    works = [work_create(user=team.owner, title=f"Still {n}", licence="cc-by-4.0", upload=png(10 + n))[0]
             for n in range(4)]
    for index in requests:
        registration_submit(work=works[index])
    asked = {works[index].sha256 for index in requests}
    assert sorted(ChainTx.objects.values_list("key", flat=True)) == sorted(f"register:{s}" for s in asked)
    assert set(Work.objects.filter(status=WorkStatus.QUEUED).values_list("sha256", flat=True)) == asked
