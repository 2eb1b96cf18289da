"""Attack 1 of the trust issue: a stranger downloads a published render and registers it as their
own. Then the rules around it: files made elsewhere still register; look-alikes wait for the
owners of what they look like; co-owners are not cut out, nor licences revoked, behind their backs."""

import hashlib
import io

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from generation import provenance
from generation.models import Asset
from projects.roles import Role
from recommend.services import publication_publish
from rights import keys
from rights.models import (
    ChainTx,
    Licence,
    LicenceStatus,
    ProvenanceAttempt,
    RegistrationMode,
    Work,
    WorkStatus,
)
from rights.services import licence_revoke, work_create
from tests.accounts.factories import UserFactory
from tests.core.helpers import client_for
from tests.generation.factories import image_render
from tests.projects.factories import MembershipFactory, project_with_team
from tests.recommend.gallery_data import png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("works_dirs")]  # keys and media per test


def signed_render(team, seed: int = 1) -> Asset:
    """A render of the team's project as the platform stores it: a PNG with its Content Credentials."""
    asset = image_render(team.project, team.owner, png(seed), size=96, prompt="a lighthouse", seed=seed)
    facts = provenance.Facts(preset="tiny-pixart", seed=seed, prompt_sha256="0" * 64,
                             project_id=team.project.pk, project_name=team.project.name,
                             authors=[team.owner.username, team.editor.username], job_id=asset.job.public_id,
                             kind="image")
    signed = provenance.embed(png(seed), "image/png", facts, title="A lighthouse")
    asset.file.save("output.png", io.BytesIO(signed), save=False)
    asset.sha256 = hashlib.sha256(signed).hexdigest()
    asset.save()
    return asset


def upload(api: APIClient, data: bytes, name: str = "mine.png", title: str = "Mine"):
    handle = io.BytesIO(data)
    handle.name = name
    return api.post("/api/v1/works", {"file": handle, "title": title, "licence": "all-rights-reserved"},
                    format="multipart")


def reencoded(data: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_stranger_cannot_register_a_published_render_downloaded_from_the_gallery():
    team = project_with_team()
    asset = signed_render(team)
    publication = publication_publish(project=team.project, user=team.owner, asset_id=asset.pk,
                                      title="Lighthouse", tags=["sea"], language="en")
    stranger = client_for(UserFactory(username="mallory"))
    downloaded = stranger.get(f"/api/v1/gallery/works/{publication.public_id}/media/file")
    assert downloaded.status_code == 200
    data = b"".join(downloaded.streaming_content) if downloaded.streaming else downloaded.content

    refused = upload(stranger, data, title="My lighthouse")

    assert refused.status_code == 409, refused.json()
    error = refused.json()["error"]
    assert error["code"] == "made_on_storyloom"
    assert f"@{team.owner.username}" in error["message"] and team.project.name in error["message"]
    assert not Work.objects.exists()
    attempt = ProvenanceAttempt.objects.get()
    assert (attempt.user.username, attempt.asset, attempt.reason) == ("mallory", asset, "made_on_storyloom")


def test_a_render_with_bytes_added_is_still_known_by_its_content_credentials():
    team = project_with_team()
    asset = signed_render(team, seed=2)
    with asset.file.open("rb") as handle:
        tampered = handle.read() + b"<html><script>alert(1)</script></html>"
    refused = upload(client_for(UserFactory()), tampered)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "made_on_storyloom"
    assert team.owner.username in refused.json()["error"]["message"]
    assert ProvenanceAttempt.objects.get().detail.startswith("manifest")


def test_the_team_registers_its_own_render_from_the_project_with_its_co_owners():
    team = project_with_team()
    asset = signed_render(team, seed=3)
    with asset.file.open("rb") as handle:
        data = handle.read()
    editor = client_for(team.editor)
    refused = upload(editor, data)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "register_from_project"
    assert not ProvenanceAttempt.objects.exists()  # a team member is pointed to the right way, not logged
    created = editor.post(f"/api/v1/projects/{team.project.pk}/works",
                          {"asset": asset.pk, "title": "Lighthouse", "licence": "cc-by-4.0"}, format="json")
    assert created.status_code == 201, created.json()
    assert [o["username"] for o in created.json()["owners"]] == [team.owner.username]  # the requester


def test_a_person_registers_a_file_they_made_elsewhere():
    maker = client_for(UserFactory())
    created = upload(maker, reencoded(png(40)), name="x.html", title="Made at home")
    assert created.status_code == 201, created.json()
    work = Work.objects.get()
    assert work.file.name.endswith(".jpg") and "x.html" not in work.file.name
    submitted = maker.post(f"/api/v1/works/{work.public_id}/submit", {}, format="json")
    assert submitted.json()["status"] == "queued"


def test_a_look_alike_of_a_registered_work_waits_for_its_owners():
    owner, copier, moderator = UserFactory(), UserFactory(), UserFactory(is_staff=True)
    original, _ = work_create(user=owner, title="Original", licence="cc-by-4.0", upload=io.BytesIO(png(50)))
    Work.objects.filter(pk=original.pk).update(status=WorkStatus.REGISTERED)
    api = client_for(copier)
    created = upload(api, reencoded(png(50)), title="Not a copy")
    assert [s["id"] for s in created.json()["similar"]] == [original.public_id]
    submitted = api.post(f"/api/v1/works/{created.json()['id']}/submit", {"acknowledge_similar": True},
                         format="json").json()
    assert submitted["status"] == "review" and not ChainTx.objects.exists()
    assert api.get("/api/v1/reviews").json() == []  # the copier decides nothing
    review = client_for(owner).get("/api/v1/reviews").json()[0]
    assert api.post(f"/api/v1/reviews/{review['id']}/approve").status_code == 404
    assert client_for(moderator).get("/api/v1/reviews").json()[0]["id"] == review["id"]
    approved = client_for(owner).post(f"/api/v1/reviews/{review['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Work.objects.get(public_id=submitted["id"]).status == WorkStatus.QUEUED


def test_a_look_alike_of_a_published_render_waits_for_the_project_and_can_be_declined():
    team = project_with_team()
    asset = image_render(team.project, team.owner, png(60), size=96, prompt="a harbour", seed=60)
    publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title="Harbour",
                        tags=["sea"], language="en")
    api = client_for(team.outsider)
    created = upload(api, reencoded(png(60)), title="Harbour (mine)")
    assert created.status_code == 201  # not the render's bytes and no credentials: it may be theirs
    submitted = api.post(f"/api/v1/works/{created.json()['id']}/submit", {"acknowledge_similar": True},
                         format="json").json()
    assert submitted["status"] == "review"
    assert submitted["reviews"] == [{"status": "pending", "matched_work": None, "matched_asset": asset.pk}]
    assert client_for(team.editor).get("/api/v1/reviews").json() == []  # the project's owners decide
    review = client_for(team.owner).get("/api/v1/reviews").json()[0]
    declined = client_for(team.owner).post(f"/api/v1/reviews/{review['id']}/decline")
    assert declined.json()["status"] == "declined"
    assert Work.objects.get(public_id=submitted["id"]).status == WorkStatus.DECLINED
    again = api.post(f"/api/v1/works/{submitted['id']}/submit", {"acknowledge_similar": True}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "work_not_draft"


def test_cutting_a_makers_share_needs_their_consent():
    team = project_with_team()
    asset = image_render(team.project, team.editor, png(70), size=96, prompt="a mill", seed=70)
    api = client_for(team.editor)
    work = api.post(f"/api/v1/projects/{team.project.pk}/works",
                    {"asset": asset.pk, "title": "Mill", "licence": "cc-by-4.0"}, format="json").json()
    # Two makers: the editor (requester) and the owner, who wrote the storyboard.
    Work.objects.filter(public_id=work["id"]).update(entitled={str(team.editor.pk): 5000,
                                                                      str(team.owner.pk): 5000})
    assert api.put(f"/api/v1/works/{work['id']}/owners", {"owners": [{"user": team.editor.pk, "bps": 10000}]},
                   format="json").status_code == 200
    submitted = api.post(f"/api/v1/works/{work['id']}/submit", {}, format="json").json()
    assert submitted["status"] == "confirming" and submitted["consents_needed"] == [team.owner.username]
    assert not ChainTx.objects.exists()
    owner = client_for(team.owner)
    assert owner.get(f"/api/v1/works/{work['id']}").status_code == 200  # they see what they agree to
    assert owner.put(f"/api/v1/works/{work['id']}/owners",
                     {"owners": [{"user": team.owner.pk, "bps": 10000}]}, format="json").status_code == 403
    assert owner.post(f"/api/v1/works/{work['id']}/confirm").json()["status"] == "queued"


def test_a_licence_is_revoked_by_its_grantor_or_by_a_majority_of_the_shares():
    team = project_with_team()
    third: User = UserFactory()
    MembershipFactory(project=team.project, user=third, role=Role.EDITOR)
    work = Work.objects.create(title="Held", created_by=team.owner, mime="image/png", size=1,
                               sha256="ab" * 32, iscc="ISCC:X", terms_sha256="0" * 64,
                               mode=RegistrationMode.SINGLE, status=WorkStatus.REGISTERED)
    shares: list[tuple[User, int]] = [(team.owner, 5000), (team.editor, 3000), (third, 2000)]
    for position, (user, bps) in enumerate(shares):
        work.owners.create(user=user, address=keys.user_address(user.pk), bps=bps, position=position,
                           confirmed_at=timezone.now())

    def licence(n: int) -> Licence:
        return Licence.objects.create(work=work, licence_id=f"0x{n:064x}", salt="0x0",
                                      licensee="0x" + "1" * 40, terms="t", terms_sha256="0" * 64,
                                      granted_by=team.owner, status=LicenceStatus.ACTIVE)

    first = licence(1)
    licence_revoke(licence_id=first.licence_id, user=team.editor)  # 30 %: a vote, not a revocation
    assert not ChainTx.objects.filter(function="revokeLicence").exists()
    licence_revoke(licence_id=first.licence_id, user=third)  # 50 %: still not a majority
    assert not ChainTx.objects.filter(function="revokeLicence").exists()
    second = licence(2)
    licence_revoke(licence_id=second.licence_id, user=team.owner)  # its grantor
    assert ChainTx.objects.filter(function="revokeLicence", args__3=second.licence_id).count() == 1
    first.granted_by = third
    first.save()
    licence_revoke(licence_id=first.licence_id, user=team.editor)
    licence_revoke(licence_id=first.licence_id, user=team.owner)  # 80 % asking: revoked
    assert ChainTx.objects.filter(function="revokeLicence").count() == 2


def test_works_published_before_the_fingerprints_are_fingerprinted_by_a_command():
    from django.core.management import call_command

    from rights.models import PublishedPrint

    team = project_with_team()
    asset = image_render(team.project, team.owner, png(90), size=96, prompt="a quay", seed=90)
    publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title="Quay", tags=["sea"],
                        language="en")
    PublishedPrint.objects.all().delete()  # as a gallery from before this release has it
    call_command("gallery_fingerprint")
    assert PublishedPrint.objects.get().asset == asset
