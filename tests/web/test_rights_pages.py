"""The rights pages: my works, register a work, the draft page (owners, look-alikes, asking and
confirming), the public certificate (with the chain read live, or not reachable), transfers and
licences, and the project page's works card."""

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from generation.models import Asset
from rights import keys
from rights.fingerprints import fingerprint
from rights.keys import user_address
from rights.models import ChainTx, Licence, LicenceStatus, Owner, RegistrationMode, TxStatus, Work, WorkStatus
from tests.generation.factories import image_render
from tests.projects.factories import Team
from tests.rights.helpers import settle
from tests.servers import StalledNode, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chain_settings(settings: Any, tmp_path: Path) -> Any:
    """Media and the platform's key in this test's folders; the chain node at a closed port
    (tests that need a chain use platform_chain, which points elsewhere)."""
    keys._platform_key.cache_clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.EMBEDDED_CHAIN, settings.CHAIN_PRIVATE_KEY, settings.REGISTRY_ADDRESS = True, "", ""
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    yield settings
    keys._platform_key.cache_clear()


def html(response: Any) -> str:
    return response.content.decode()


def png(seed: int = 0, *, jpeg: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    picture = Image.fromarray((rng.random((6, 6, 3)) * 255).astype(np.uint8)).resize(
        (192, 192), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG" if jpeg else "PNG")
    return buffer.getvalue()


def make_asset(team: Team, *, seed: int = 0, prompt: str = "a harbour at dawn") -> Asset:
    """A finished image render of the team's project, requested by the editor."""
    return image_render(team.project, team.editor, png(seed), size=192, prompt=prompt, seed=seed)


def create_form(**fields: Any) -> dict[str, Any]:
    return {"source": "asset", "title": "Harbour at dawn", "description": "", "licence": "cc-by-4.0",
            "terms": "", "mode": "single", **fields}


def owners_post(rows: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"owners-TOTAL_FORMS": str(len(rows)), "owners-INITIAL_FORMS": "0",
                            "owners-MIN_NUM_FORMS": "0", "owners-MAX_NUM_FORMS": "32"}
    for number, (who, bps) in enumerate(rows):
        data[f"owners-{number}-who"], data[f"owners-{number}-bps"] = who, bps
    return data


def registered_work(team: Team, *, mode: str = RegistrationMode.SINGLE, seed: int = 5) -> Work:
    """A work of the project registered (as the chain's confirmation leaves it), owned 70/30 by
    the editor and the owner."""
    prints = fingerprint(io.BytesIO(png(seed)), max_bytes=2**20)
    work = Work.objects.create(title="Lighthouse", created_by=team.editor, project=team.project,
                               mime=prints.mime, size=prints.size, sha256=prints.sha256, iscc=prints.iscc,
                               phash=prints.phash, terms_sha256="0" * 64, mode=mode, block_number=12,
                               status=WorkStatus.REGISTERED, registrant="0x" + "ab" * 20)
    for position, (user, bps) in enumerate([(team.editor, 7000), (team.owner, 3000)]):
        Owner.objects.create(work=work, user=user, address=user_address(user.pk), bps=bps, position=position)
    return work


def detail(work: Work) -> str:
    return reverse("works:detail", args=[work.public_id])


# --- who sees what ----------------------------------------------------------------------------


def test_the_pages_need_a_login_except_the_certificate(client: Client, team: Team) -> None:
    for name in ("works:list", "works:new"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and str(response.url).startswith(reverse("accounts:login"))
    work = registered_work(team)
    response = client.get(detail(work))
    assert response.status_code == 200
    page = html(response)
    assert "Certificate of registration" in page and "Lighthouse" in page and work.sha256 in page
    # The owners by name and address; no media, no owner controls for the public.
    assert f"@{team.editor.username}" in page and user_address(team.editor.pk) in page and "70 %" in page
    assert "work-media" not in page and "transfer-form" not in page and team.project.name not in page
    assert 'href="/verify/"' in page


def test_drafts_are_for_their_owners_and_project_members(client: Client, as_user, team: Team) -> None:
    asset = make_asset(team)
    as_user(team.editor).post(reverse("works:new"), create_form(asset=asset.pk))
    work = Work.objects.get()
    assert work.status == WorkStatus.DRAFT
    client.logout()
    assert client.get(detail(work)).status_code == 404
    assert as_user(team.outsider).get(detail(work)).status_code == 404
    viewer_page = html(as_user(team.viewer).get(detail(work)))  # a member: sees it, cannot change it
    assert "Registration draft" in viewer_page and "owners-form" not in viewer_page
    assert "submit-form" not in viewer_page and str(asset.media_url("file")) in viewer_page
    page = html(as_user(team.editor).get(detail(work)))
    assert 'id="owners-form"' in page and 'id="submit-form"' in page and "Ask co-owners and register" in page
    assert as_user(team.outsider).post(reverse("works:submit", args=[work.public_id])).status_code == 404
    assert client.get(reverse("works:detail", args=["work_nothing"])).status_code == 404


# --- register a work --------------------------------------------------------------------------


def test_the_register_form_offers_the_renders_i_may_register(as_user, team: Team) -> None:
    asset = make_asset(team, prompt="gulls over the quay")
    page = html(as_user(team.editor).get(reverse("works:new") + f"?asset={asset.pk}"))
    assert f'value="{asset.pk}" checked' in page and "gulls over the quay" in page
    assert str(asset.media_url("thumbnail")) in page
    for kind in ("cc-by-4.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "all-rights-reserved", "custom"):
        assert f'value="{kind}"' in page
    viewer_page = html(as_user(team.viewer).get(reverse("works:new") + f"?asset={asset.pk}"))
    assert f'id="id_asset_{asset.pk}"' not in viewer_page and "Upload a file instead" in viewer_page
    # A viewer who posts the asset anyway is refused on the form, not with an error page.
    response = as_user(team.viewer).post(reverse("works:new"), create_form(asset=asset.pk))
    assert response.status_code == 400 and 'class="field__errors"' in html(response)


def test_the_register_form_shows_what_to_fix(as_user, team: Team) -> None:
    client = as_user(team.editor)
    response = client.post(reverse("works:new"), create_form(title="", licence="custom"))
    page = html(response)
    assert response.status_code == 400
    assert "This field is required." in page  # the title
    assert "Write the terms of the custom licence." in page
    assert "Choose a render, or upload a file instead." in page
    response = client.post(reverse("works:new"), create_form(
        source="upload", file=ContentFile(b"just some text", name="notes.txt")))
    assert response.status_code == 400 and "This file cannot be registered" in html(response)
    assert "A PNG, JPEG or WebP image" in html(response)
    assert not Work.objects.exists()


def test_an_upload_becomes_a_draft_with_me_as_the_owner(as_user, team: Team) -> None:
    response = as_user(team.outsider).post(reverse("works:new"), create_form(
        source="upload", file=ContentFile(png(3), name="mine.png"), licence="custom",
        terms="Screenings at festivals only.", mode="batch"))
    work = Work.objects.get()
    assert response.status_code == 302 and response.url == detail(work)
    assert (work.licence, work.terms, work.mode, work.project) == ("custom", "Screenings at festivals only.",
                                                                  "batch", None)
    assert [(o.user, o.bps) for o in work.owners.all()] == [(team.outsider, 10_000)]
    page = html(as_user(team.outsider).get(detail(work)))
    assert "Screenings at festivals only." in page and f"/works/{work.public_id}/file" in page
    assert "Mode: batch" in page


# --- owners, asking, confirming ----------------------------------------------------------------


def test_register_owners_ask_and_confirm_through_the_pages_queues_the_registration(as_user, client: Client,
                                                                                  team: Team) -> None:
    asset = make_asset(team)
    editor = as_user(team.editor)
    response = editor.post(reverse("works:new"), create_form(asset=asset.pk))
    work = Work.objects.get()
    assert response.status_code == 302 and response.url == detail(work)
    owners_url = reverse("works:owners", args=[work.public_id])

    # Shares that do not add up, and a person who does not exist: said on the form.
    response = editor.post(owners_url, owners_post([(f"@{team.editor.username}", 6000),
                                                    (team.owner.username, 3000)]))
    assert response.status_code == 400
    assert "they must add up to 10,000" in html(response)
    response = editor.post(owners_url, owners_post([("@nobody-here", 6000), ("0x12", 4000)]))
    page = html(response)
    assert response.status_code == 400 and "Nobody here has the username" in page and "40 hexadecimal" in page

    response = editor.post(owners_url, owners_post([(f"@{team.editor.username}", 6000),
                                                    (team.owner.username, 4000), ("", "")]))
    assert response.status_code == 302
    assert [(o.user, o.bps) for o in work.owners.all()] == [(team.editor, 6000), (team.owner, 4000)]

    response = editor.post(reverse("works:submit", args=[work.public_id]))
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.status == WorkStatus.CONFIRMING and not ChainTx.objects.exists()
    client.logout()
    assert client.get(detail(work)).status_code == 404  # still private

    # The co-owner sees it waiting for them on "my works", and confirms there.
    owner = as_user(team.owner)
    page = html(owner.get(reverse("works:list")))
    assert "1 work waits for your confirmation" in page and "work-card--awaiting" in page
    assert html(owner.get(detail(work))).count("Confirm the owners and shares") == 1
    response = owner.post(reverse("works:confirm", args=[work.public_id]), {"next": reverse("works:list")})
    assert response.status_code == 302 and response.url == reverse("works:list")
    work.refresh_from_db()
    assert work.status == WorkStatus.QUEUED
    tx = ChainTx.objects.get(work=work)
    assert (tx.function, tx.status) == ("register", TxStatus.PENDING)
    page = html(owner.get(reverse("works:list")))
    assert "waits for your confirmation" not in page and "Queued" in page
    client.logout()
    page = html(client.get(detail(work)))  # public now: on its way to the chain
    assert "Registration queued." in page and "data-work-pending" in page


def test_look_alikes_are_shown_and_must_be_acknowledged(as_user, team: Team) -> None:
    original = registered_work(team, seed=8)
    editor = as_user(team.editor)
    editor.post(reverse("works:new"), create_form(
        source="upload", file=ContentFile(png(8, jpeg=True), name="copy.jpg"), title="A copy"))
    work = Work.objects.get(title="A copy")
    page = html(editor.get(detail(work)))
    assert "1 registered work looks like this one." in page and detail(original) in page
    response = editor.post(reverse("works:submit", args=[work.public_id]))
    assert response.status_code == 409 and "register anyway" in html(response)
    work.refresh_from_db()
    assert work.status == WorkStatus.DRAFT
    response = editor.post(reverse("works:submit", args=[work.public_id]), {"acknowledge_similar": "on"})
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.status == WorkStatus.QUEUED
    assert ChainTx.objects.filter(work=work, function="register").exists()


# --- transfers and licences ---------------------------------------------------------------------


def test_owners_transfer_shares_and_grant_and_revoke_licences(team: Team) -> None:
    work = registered_work(team)
    editor, viewer = Client(), Client()
    editor.force_login(team.editor)
    viewer.force_login(team.viewer)
    page = html(editor.get(detail(work)))
    assert 'id="transfer-form"' in page and 'id="licence-form"' in page

    transfer = reverse("works:transfer", args=[work.public_id])
    response = editor.post(transfer, {"to": "@nobody-here", "bps": "100"})
    assert response.status_code == 400 and "Nobody here has the username" in html(response)
    response = editor.post(transfer, {"to": team.viewer.username, "bps": "7001"})
    assert response.status_code == 400 and "At most 7000." in html(response)
    response = editor.post(transfer, {"to": f"@{team.viewer.username}", "bps": "2500"})
    assert response.status_code == 302
    tx = ChainTx.objects.get(function="transferShare")
    assert (tx.status, tx.args[4], tx.meta["to_user"]) == (TxStatus.PENDING, 2500, team.viewer.pk)
    page = html(editor.get(detail(work)))
    assert "Share transfer" in page and f"2500 basis points to @{team.viewer.username}" in page

    grant = reverse("works:licence", args=[work.public_id])
    outside = "0x" + "5e" * 20
    response = editor.post(grant, {"licensee": outside, "terms": "", "expires_on": "2001-01-01"})
    page = html(response)
    assert response.status_code == 400 and "This field is required." in page
    response = editor.post(grant, {"licensee": outside, "terms": "Festival screenings",
                                   "expires_on": "2001-01-01"})
    assert response.status_code == 400 and "A time in the future, or none." in html(response)
    response = editor.post(grant, {"licensee": outside, "terms": "Festival screenings", "expires_on": ""})
    assert response.status_code == 302
    licence = Licence.objects.get()
    assert licence.status == LicenceStatus.PENDING and licence.expires_at is None
    assert ChainTx.objects.filter(function="grantLicence", meta__licence=licence.pk).exists()
    assert "Festival screenings" not in html(viewer.get(detail(work)))  # not granted yet

    # Granted, as the chain's confirmation leaves it:
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.ACTIVE)
    assert "Festival screenings" in html(viewer.get(detail(work)))
    revoke = reverse("works:licence_revoke", args=[work.public_id, licence.licence_id])
    assert viewer.post(revoke).status_code == 404  # not an owner
    response = editor.post(revoke)
    assert response.status_code == 302
    assert ChainTx.objects.filter(function="revokeLicence", meta__licence=licence.pk).exists()


def test_others_get_no_forms_and_a_batch_work_has_no_transfers(as_user, team: Team) -> None:
    work = registered_work(team)
    page = html(as_user(team.viewer).get(detail(work)))  # a member, not an owner
    assert "transfer-form" not in page and "licence-form" not in page
    response = as_user(team.viewer).post(reverse("works:transfer", args=[work.public_id]),
                                         {"to": team.viewer.username, "bps": "10"})
    assert response.status_code == 404  # the service: not one of its owners
    batch = registered_work(team, mode=RegistrationMode.BATCH, seed=6)
    page = html(as_user(team.editor).get(detail(batch)))
    assert "transfer-form" not in page and "licence-form" not in page
    # A form posted after the work moved on: the refusal is said on top of the page.
    response = as_user(team.editor).post(reverse("works:owners", args=[work.public_id]),
                                         owners_post([(f"@{team.editor.username}", 10_000)]))
    assert response.status_code == 409
    assert 'id="page-errors"' in html(response) and "can no longer change here" in html(response)


# --- the chain, live or not ----------------------------------------------------------------------


def test_the_certificate_works_with_the_node_unreachable(client: Client, team: Team) -> None:
    work = registered_work(team)
    response = client.get(detail(work))
    assert response.status_code == 200
    assert 'data-chain-state="unreachable"' in html(response) and "could not be reached" in html(response)



def test_a_stalled_node_is_asked_once_then_pages_say_not_live_at_once(client: Client, team: Team,
                                                                      settings: Any) -> None:
    node = StalledNode()
    settings.CHAIN_RPC_URL, settings.REGISTRY_ADDRESS = node.url, "0x" + "11" * 20
    settings.CHAIN_READ_TIMEOUT_S = 0.5
    try:
        work = registered_work(team)
        response = client.get(detail(work))
        assert response.status_code == 200 and 'data-chain-state="unreachable"' in html(response)
        # The timed-out read was not retried, and the next pages do not wait on the node again.
        assert len(node.connections) == 1
        page = client.get("/verify/", {"query": work.sha256})
        assert page.status_code == 200 and b'data-live="false"' in page.content
        assert client.get(detail(work)).status_code == 200
        assert len(node.connections) == 1
    finally:
        node.close()


@pytest.mark.usefixtures("platform_chain")
def test_the_certificate_reads_the_chain_live(as_user, client: Client, team: Team) -> None:
    from rights.chain.client import registry_address
    from rights.services.batches import batch_collect

    asset = make_asset(team)
    editor = as_user(team.editor)
    editor.post(reverse("works:new"), create_form(asset=asset.pk))
    work = Work.objects.get()
    assert editor.post(reverse("works:submit", args=[work.public_id])).status_code == 302
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    tx = ChainTx.objects.get(work=work, function="register")
    page = html(client.get(detail(work)))
    assert 'data-chain-state="match"' in page and "Registered, on chain and matching." in page
    assert tx.tx_hash in page and registry_address() in page
    assert f'id="work-block">{work.block_number}<' in page

    Owner.objects.filter(work=work).update(bps=9999)  # the database no longer says what the chain does
    assert 'data-chain-state="differs"' in html(client.get(detail(work)))

    # A work anchored in a batch: its proof checked against the root on chain.
    editor.post(reverse("works:new"), create_form(source="upload", file=ContentFile(png(11), name="b.png"),
                                                  title="Anchored", mode="batch"))
    anchored = Work.objects.get(title="Anchored")
    editor.post(reverse("works:submit", args=[anchored.public_id]))
    assert batch_collect(force=True) is not None
    settle()
    page = html(client.get(detail(anchored)))
    assert 'data-chain-state="match"' in page and 'data-included="true"' in page
    assert anchored.batch_entry.batch.root in page and "the proof leads from this work to it" in page


# --- the project page ------------------------------------------------------------------------


def test_the_project_page_lists_its_works_and_offers_registering(as_user, team: Team) -> None:
    work = registered_work(team)
    url = reverse("projects:detail", args=[team.project.pk])
    page = html(as_user(team.viewer).get(url))
    assert "Registered works" in page and detail(work) in page and "work-status--registered" in page
    assert 'id="asset-register"' not in page and "js/rights.bundle.js" in page
    page = html(as_user(team.editor).get(url))
    assert 'id="asset-register"' in page and f'data-href="{reverse("works:new")}?asset="' in page
    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S)
    assert nav is not None and f'href="{reverse("works:list")}"' in nav.group(0)


def test_a_strangers_look_alike_waits_for_the_owners_to_approve_it(as_user, team: Team) -> None:
    original = registered_work(team, seed=9)
    stranger = as_user(team.outsider)
    stranger.post(reverse("works:new"), create_form(
        source="upload", file=ContentFile(png(9, jpeg=True), name="mine.jpg"), title="Surely mine"))
    work = Work.objects.get(title="Surely mine")
    response = stranger.post(reverse("works:submit", args=[work.public_id]), {"acknowledge_similar": "on"})
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.status == WorkStatus.REVIEW and not ChainTx.objects.filter(work=work).exists()
    assert "Waiting for approval." in html(stranger.get(detail(work)))
    owner = as_user(team.editor)  # holds 70 % of the original
    page = html(owner.get(reverse("works:list")))
    assert "Look-alikes waiting for your decision" in page and "Surely mine" in page
    assert original.title in page
    review = work.reviews.get()
    assert owner.get(detail(work)).status_code == 200  # the owner can look at what they decide on
    owner.post(reverse("works:review_approve", args=[review.pk]))
    work.refresh_from_db()
    assert work.status == WorkStatus.QUEUED
