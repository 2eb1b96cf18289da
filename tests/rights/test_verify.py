"""Public verification against a real anvil: a file, a SHA-256, an ISCC code or a transaction hash
finds the registration, whose owners and shares are read from the chain (not the database) and
checked against the contract's state; look-alikes, C2PA and remix lineage of generated media,
batch-anchored works, a node that cannot be reached, the page and the API for anyone, bad input."""

import hashlib
import io
import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from eth_account import Account
from rest_framework.test import APIClient

from accounts.models import User
from generation.execution import job_execute
from generation.models import Asset
from generation.services import asset_remix, job_submit
from kernel.errors import ValidationFailed
from rights import keys
from rights.chain.client import registry
from rights.chain.contract import transact
from rights.chain.indexer import index_events
from rights.chain.reads import chain_connect, chain_record, chain_transaction
from rights.keys import platform_account, user_address
from rights.merkle import state_hash
from rights.models import ChainEvent, ChainTx, Owner, RegistrationMode, Work, WorkStatus
from rights.services import owners_set, registration_submit, work_create, work_submit
from rights.services.batches import batch_collect
from rights.verify.lookup import Verdict, verify
from rights.verify.query import parse_query
from tests.projects.factories import UserFactory, project_with_team
from tests.rights.helpers import deploy_test_contract, png, settle
from tests.servers import free_port

pytestmark = pytest.mark.django_db

OUTSIDER = "0x000000000000000000000000000000000000bEEF"


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    keys._platform_key.cache_clear()
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    keys._platform_key.cache_clear()



def upload(seed: int, *, reencoded: bool = False) -> io.BytesIO:
    data = png(seed, reencoded=reencoded)
    data.name = "picture.jpg" if reencoded else "picture.png"
    return data


def register(user: User, seed: int, *, title: str, owners: list[dict[str, Any]] | None = None,
             licence: str = "cc-by-4.0", terms: str = "") -> Work:
    """A work from an upload, with these owners, registered on its own through the outbox."""
    work, _similar = work_create(user=user, title=title, licence=licence, terms=terms, upload=upload(seed),
                                 filename="picture.png")
    if owners:
        owners_set(work_id=work.public_id, user=user, owners=owners)
    registration_submit(work=work)
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    return work


@pytest.fixture
def two_works(platform_chain) -> tuple[Work, Work, User]:
    ada: User = UserFactory()
    ben: User = UserFactory()
    first = register(ada, 11, title="Harbour at dawn",
                     owners=[{"user": ada.pk, "bps": 6000}, {"user": ben.pk, "bps": 2500},
                             {"address": OUTSIDER, "bps": 1500}])
    second = register(ben, 12, title="Gulls", licence="custom", terms="Print it, don't sell it.")
    return first, second, ada


def tx_of(work: Work) -> str:
    return ChainTx.objects.get(work=work, function="register").tx_hash


# --- exact matches, read live --------------------------------------------------------------------


def test_uploading_a_registered_file_finds_it_with_owners_and_shares_read_from_the_chain(two_works):
    first, _second, ada = two_works
    result = verify(upload=upload(11))
    assert (result.verdict, result.registered, result.live, result.chain_error) == (
        Verdict.REGISTERED, True, True, "")
    assert result.query.kind == "file" and result.query.sha256 == first.sha256
    exact = result.exact
    assert exact is not None and exact.work is not None
    assert (exact.relation, exact.matched_by, exact.work.id) == ("exact", "sha256", first.public_id)
    assert exact.work.certificate_url == f"/works/{first.public_id}/"
    record = exact.chain
    assert record is not None and exact.verified_live and record.registered and record.consistent
    addresses = [user_address(ada.pk), user_address(first.owners.get(position=1).user_id), OUTSIDER]
    assert [(o.address.lower(), o.bps) for o in record.owners] == [(a.lower(), b) for a, b in zip(
        addresses, [6000, 2500, 1500], strict=True)]
    contract = registry()
    assert record.state == "0x" + contract.functions.stateOf(bytes.fromhex(first.sha256)).call().hex()
    assert record.state == "0x" + state_hash(addresses, [6000, 2500, 1500]).hex()
    assert (record.contract, record.chain_id, result.contract) == (contract.address, 31337, contract.address)
    assert (record.transaction, record.block_number) == (tx_of(first), first.block_number)
    assert record.block_time == first.registered_at and record.registrant == platform_account().address
    assert record.iscc == first.iscc
    assert record.metadata_uri.endswith(f"/registered/{first.sha256}/metadata.json")
    assert exact.matches_database is True and record.changed_block is None
    assert exact.licence is not None and (exact.licence.kind, exact.licence.name, exact.licence.url) == (
        "cc-by-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
    assert exact.licence.terms_hash_ok and exact.licence.terms_sha256 == first.terms_sha256
    assert record.terms_hash == f"0x{first.terms_sha256}" and exact.licence.terms_on_chain is True
    assert exact.provenance is not None and not exact.provenance.present  # an upload: no credentials
    assert exact.lineage == [] and exact.batch is None
    assert result.near == []  # the other picture does not look like it


def test_the_metadata_uri_on_chain_serves_the_work_s_metadata(two_works):
    first, _second, _ada = two_works
    record = chain_record(chain_connect(), first.sha256)
    path = record.metadata_uri.removeprefix(settings.SITE_URL)
    response = Client().get(path)
    assert response.status_code == 200 and response.json()["content"]["sha256"] == first.sha256
    assert response.json()["id"] == first.public_id
    assert Client().get(path.replace(first.sha256, "ab" * 32)).status_code == 404  # nothing registered
    Work.objects.filter(pk=first.pk).update(status=WorkStatus.FAILED)
    assert Client().get(path).status_code == 404  # a hash is served only while its work holds it


def test_a_registration_with_its_own_metadata_uri_shows_that_uri(platform_chain, anvil):
    """Anyone may register, naming metadata elsewhere than this site's template."""
    me, contract = Account.from_key(anvil.keys[5]), registry()
    digest = hashlib.sha256(os.urandom(16)).digest()
    transact(contract.w3, me, contract.functions.registerWithURI(digest, "ISCC:KAA", "ipfs://bafy/meta.json",
                                                                 bytes(32), [OUTSIDER], [10_000]))
    record = chain_record(chain_connect(), digest.hex())
    assert (record.metadata_uri, record.iscc, record.registrant, record.consistent) == (
        "ipfs://bafy/meta.json", "ISCC:KAA", me.address, True)
    assert [(o.address, o.bps) for o in record.owners] == [(OUTSIDER, 10_000)]


def test_a_registration_through_another_contract_does_not_show_what_its_input_claims(platform_chain, anvil):
    """The Disguise contract's input names OUTSIDER as the owner, but registers itself: what the chain
    holds is not in that input, so verify shows no owners and says why instead of believing it."""
    me, contract = Account.from_key(anvil.keys[5]), registry()
    disguise = deploy_test_contract(contract.w3, me, "Disguise", contract.address)
    digest = hashlib.sha256(os.urandom(16)).digest()
    claim = disguise.functions.register(digest, "ISCC:KAA", bytes(32), [OUTSIDER], [10_000])
    transact(contract.w3, me, claim)
    record = chain_record(chain_connect(), digest.hex())
    assert record.registered and record.transaction and record.block_number
    assert (record.owners, record.consistent, record.iscc, record.registrant) == ([], None, "", "")
    assert "another contract" in record.note
    result = verify(query=digest.hex())
    assert result.registered and result.exact is not None and result.exact.chain is not None
    assert result.exact.chain.owners == []
    assert index_events() >= 1  # the indexer keeps the event, and takes nothing from that input
    stored = ChainEvent.objects.get(name="WorkRegistered", content_hash=digest.hex())
    assert stored.args == {"contentHash": "0x" + digest.hex()}


def test_the_owners_come_from_the_chain_not_from_the_database(two_works):
    first, _second, _ada = two_works
    Owner.objects.filter(work=first, position=0).update(bps=9999)  # the database is wrong
    exact = verify(query=first.sha256).exact
    assert exact is not None and exact.chain is not None
    assert [o.bps for o in exact.chain.owners] == [6000, 2500, 1500] and exact.chain.consistent
    assert exact.matches_database is False
    assert exact.database is not None and exact.database.owners[0].bps == 9999


def test_licence_terms_changed_after_registration_differ_from_the_chain(two_works):
    first, _second, _ada = two_works
    Work.objects.filter(pk=first.pk).update(licence="cc-by-nc-4.0", terms_sha256="ab" * 32)
    licence = verify(query=first.sha256).exact.licence
    assert licence is not None and licence.terms_on_chain is False and not licence.terms_hash_ok


def test_by_sha256_iscc_and_transaction_hash(two_works):
    first, second, _ada = two_works
    by_hash = verify(query=f"  {first.sha256.upper()} ")
    by_iscc = verify(query=first.iscc.lower())
    by_tx = verify(query=tx_of(second))
    assert by_hash.exact is not None and by_hash.exact.work is not None
    assert (by_hash.query.kind, by_hash.exact.matched_by, by_hash.exact.work.id) == (
        "sha256", "sha256", first.public_id)
    assert by_iscc.exact is not None and by_iscc.exact.work is not None
    assert (by_iscc.query.kind, by_iscc.query.value, by_iscc.exact.matched_by, by_iscc.exact.work.id) == (
        "iscc", first.iscc, "iscc", first.public_id)
    assert by_tx.exact is not None and by_tx.exact.work is not None and by_tx.exact.chain is not None
    assert (by_tx.query.kind, by_tx.exact.matched_by, by_tx.exact.work.id) == (
        "tx", "transaction", second.public_id)
    assert by_tx.exact.chain.transaction == tx_of(second)
    assert all(r.verdict == Verdict.REGISTERED for r in (by_hash, by_iscc, by_tx))
    licence = by_tx.exact.licence
    assert licence is not None and (licence.kind, licence.terms) == ("custom", "Print it, don't sell it.")
    assert licence.terms_hash_ok and licence.terms_on_chain is True


def test_a_hash_that_names_no_transaction_is_tried_as_a_content_hash(two_works):
    first, _second, _ada = two_works
    found = verify(query=f"0x{first.sha256}")
    assert found.exact is not None and found.exact.work is not None and found.exact.work.id == first.public_id
    assert found.exact.matched_by == "sha256" and found.notes
    nothing = verify(query="0x" + "ab" * 32)
    assert (nothing.verdict, nothing.exact) == (Verdict.NOT_REGISTERED, None)


def test_chain_transaction_reads_the_registration_from_the_receipt(two_works):
    first, _second, _ada = two_works
    contract = chain_connect()
    finding = chain_transaction(contract, tx_of(first))
    assert (finding.found, finding.succeeded, finding.event, finding.content_hash) == (
        True, True, "WorkRegistered", first.sha256)
    assert not chain_transaction(contract, "0x" + "12" * 32).found


# --- look-alikes and unregistered files ----------------------------------------------------------


def test_a_reencoded_copy_finds_the_original_as_a_near_match(two_works):
    first, _second, _ada = two_works
    result = verify(upload=upload(11, reencoded=True))
    assert result.query.mime == "image/jpeg" and result.query.sha256 != first.sha256
    assert (result.verdict, result.exact, result.registered) == (Verdict.NOT_REGISTERED, None, False)
    assert [m.work.id for m in result.near if m.work] == [first.public_id]
    near = result.near[0]
    assert near.relation == "near" and near.matched_by == "similar"
    assert near.content_bits is not None and near.content_bits <= 12
    assert near.chain is not None and near.chain.consistent and [o.bps for o in near.chain.owners] == [
        6000, 2500, 1500]
    assert near.licence is not None and near.licence.kind == "cc-by-4.0"


def test_an_unregistered_file_is_not_registered(two_works):
    result = verify(upload=upload(99))
    assert (result.verdict, result.exact, result.near) == (Verdict.NOT_REGISTERED, None, [])
    assert result.live
    assert "Not registered" in result.message


def test_owners_changed_on_chain_are_read_from_the_latest_event(platform_chain, accounts, settings):
    """A co-owner at an outside address moves part of her share with her own key: the record is
    the OwnersChanged event's, consistent with stateOf; the database has not heard of it yet."""
    ada: User = UserFactory()
    eve = accounts[3]
    work = register(ada, 21, title="Breakwater", owners=[{"user": ada.pk, "bps": 5000},
                                                        {"address": eve.address, "bps": 5000}])
    contract = registry()
    owners, shares = [user_address(ada.pk), eve.address], [5000, 5000]
    receipt = transact(contract.w3, eve, contract.functions.transferShare(
        bytes.fromhex(work.sha256), owners, shares, OUTSIDER, 2000))
    for max_blocks in (0, 1):  # one eth_getLogs range, or one block at a time back to the registration
        settings.CHAIN_LOGS_MAX_BLOCKS = max_blocks
        record = chain_record(chain_connect(), work.sha256)
        assert [(o.address, o.bps) for o in record.owners] == [
            (owners[0], 5000), (eve.address, 3000), (OUTSIDER, 2000)]
        assert record.consistent and record.changed_block == receipt["blockNumber"]
        assert record.changed_transaction == receipt["transactionHash"].to_0x_hex()
        assert record.block_number == work.block_number and record.transaction == tx_of(work)
    exact = verify(query=work.sha256).exact
    assert exact is not None and exact.matches_database is False  # the indexer has not run


def test_a_batch_anchored_work_is_verified_by_its_proof_against_the_anchored_root(platform_chain):
    ada: User = UserFactory()
    works = []
    for seed in (31, 32, 33):
        work, _similar = work_create(user=ada, title=f"Still {seed}", licence="cc-by-nd-4.0",
                                     upload=upload(seed), filename="still.png", mode=RegistrationMode.BATCH)
        works.append(work_submit(work_id=work.public_id, user=ada, acknowledge_similar=True))
    batch = batch_collect(force=True)
    assert batch is not None
    settle()
    result = verify(upload=upload(32))
    assert (result.verdict, result.registered) == (Verdict.ANCHORED, True)
    exact = result.exact
    assert exact is not None and exact.chain is not None and not exact.chain.registered  # no stateOf entry
    proof = exact.batch
    assert proof is not None and proof.root == batch.root
    assert (proof.leaf_ok, proof.proof_ok, proof.live, proof.anchored, proof.included) == (
        True, True, True, True, True)
    assert exact.database is not None and exact.database.transaction == ChainTx.objects.get(
        function="anchor", batch=batch).tx_hash
    entry = Work.objects.get(pk=works[1].pk).batch_entry
    entry.proof = ["0x" + "00" * 32, *entry.proof[1:]]  # tampered
    entry.save()
    tampered = verify(query=works[1].sha256)
    assert tampered.exact is not None and tampered.exact.batch is not None
    assert (tampered.exact.batch.proof_ok, tampered.exact.batch.included) == (False, False)
    assert tampered.verdict != Verdict.ANCHORED and not tampered.registered


# --- generated media: C2PA and remix lineage ----------------------------------------------------


def test_a_generated_file_shows_valid_credentials_and_its_remix_lineage(platform_chain):
    team = project_with_team()
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a harbour at dawn", width=64, height=64, steps=1)
    job_execute(job.pk)
    original = job.assets.get()
    remix_job = asset_remix(project=team.project, user=team.editor, asset_id=original.pk, seed=7)
    job_execute(remix_job.pk)
    remix = remix_job.assets.get()
    assert remix.parent == original
    work, _similar = work_create(user=team.editor, title="Harbour", licence="cc-by-4.0", asset_id=original.pk)
    registration_submit(work=work)
    settle()

    with remix.file.open("rb") as handle:
        result = verify(upload=io.BytesIO(handle.read()))  # the remix itself is not registered
    credentials = result.provenance
    assert credentials is not None and credentials.present and credentials.valid and credentials.signer
    assert credentials.facts == {"preset": "tiny-pixart", "seed": 7, "render_mode": "quality",
                                 "job_id": remix_job.public_id, "kind": "image",
                                 "parent_sha256": original.sha256}
    assert [(s.depth, s.sha256) for s in result.lineage] == [(0, remix.sha256), (1, original.sha256)]
    assert result.lineage[0].work is None and result.lineage[1].work is not None
    assert result.lineage[1].work.id == work.public_id

    registered = verify(query=original.sha256)  # only the hash: the stored file's credentials are read
    exact = registered.exact
    assert registered.verdict == Verdict.REGISTERED and exact is not None and exact.provenance is not None
    assert exact.provenance.read_from == "asset" and exact.provenance.valid
    assert exact.provenance.facts is not None and exact.provenance.facts["job_id"] == job.public_id
    assert "project_name" not in exact.provenance.facts and "authors" not in exact.provenance.facts
    assert [s.sha256 for s in exact.lineage] == [original.sha256]

    remix_work, _similar = work_create(user=team.editor, title="Harbour, again", licence="cc-by-4.0",
                                       asset_id=remix.pk)
    registration_submit(work=remix_work)
    settle()
    again = verify(query=remix.sha256).exact
    assert again is not None and [(s.depth, s.work.id if s.work else None) for s in again.lineage] == [
        (0, remix_work.public_id), (1, work.public_id)]
    assert Asset.objects.count() == 2


# --- the node cannot be read -------------------------------------------------------------------


def test_the_node_unreachable_gives_the_database_view_marked_not_live(two_works, settings):
    first, _second, _ada = two_works
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = verify(query=first.sha256)
    assert (result.live, result.verdict, result.registered) == (False, Verdict.UNVERIFIED, False)
    assert "did not answer" in result.chain_error
    exact = result.exact
    assert exact is not None and exact.chain is None and not exact.verified_live
    assert exact.database is not None and [o.bps for o in exact.database.owners] == [6000, 2500, 1500]
    assert exact.database.transaction == tx_of(first) and exact.database.block_number == first.block_number
    assert verify(query=tx_of(first)).exact is not None  # the outbox knows the transaction

    api = APIClient().get("/api/v1/verify", {"query": first.sha256})
    assert api.status_code == 200 and api.json()["live"] is False and api.json()["exact"]["chain"] is None
    page = Client().get("/verify/", {"query": first.sha256})
    assert page.status_code == 200
    assert b'data-live="false"' in page.content and b"Not verified live" in page.content


def test_a_node_on_another_chain_is_not_trusted(two_works, settings):
    first, _second, _ada = two_works
    settings.CHAIN_ID = 1
    result = verify(query=first.sha256)
    assert not result.live and "chain 31337, not 1" in result.chain_error


# --- the page and the API, for anyone ----------------------------------------------------------


def test_the_page_verifies_a_file_and_an_identifier_for_an_anonymous_visitor(two_works):
    first, _second, _ada = two_works
    browser = Client()
    empty = browser.get("/verify/")
    assert empty.status_code == 200 and b'type="file"' in empty.content and b'name="query"' in empty.content
    page = browser.post("/verify/", {"file": upload(11)})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-verdict="registered"' in html and "Harbour at dawn" in html
    assert f'href="/works/{first.public_id}/"' in html and 'data-consistent="true"' in html
    assert OUTSIDER in html and tx_of(first) in html and registry().address in html
    assert "60 %" in html and "15 %" in html
    linked = browser.get("/verify/", {"query": first.iscc})
    assert linked.status_code == 200 and 'data-relation="exact"' in linked.content.decode()
    copy = browser.post("/verify/", {"file": upload(11, reencoded=True)})
    html = copy.content.decode()
    assert 'data-verdict="not_registered"' in html and 'data-relation="near"' in html
    assert "Similar registered works" in html
    bad = browser.get("/verify/", {"query": "abc123"})
    assert bad.status_code == 400 and "this has 6" in bad.content.decode()
    pdf = io.BytesIO(b"%PDF-1.7 not a picture")
    pdf.name = "paper.pdf"
    not_a_picture = browser.post("/verify/", {"file": pdf})
    assert not_a_picture.status_code == 400 and "cannot be verified" in not_a_picture.content.decode()


def test_the_api_answers_anyone_with_the_live_record(two_works):
    first, _second, _ada = two_works
    api = APIClient()
    answer = api.get("/api/v1/verify", {"query": first.sha256})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["verdict"], body["registered"], body["live"], body["chain_id"]) == (
        "registered", True, True, 31337)
    exact = body["exact"]
    assert exact["work"]["id"] == first.public_id and exact["chain"]["consistent"] is True
    assert [o["bps"] for o in exact["chain"]["owners"]] == [6000, 2500, 1500]
    assert exact["chain"]["owners"][0]["percent"] == 60.0
    assert exact["chain"]["transaction"] == tx_of(first) and exact["licence"]["kind"] == "cc-by-4.0"
    posted = api.post("/api/v1/verify", {"file": upload(11)}, format="multipart")
    assert posted.status_code == 200 and posted.json()["exact"]["work"]["id"] == first.public_id
    assert posted.json()["provenance"]["present"] is False
    by_json = api.post("/api/v1/verify", {"query": first.iscc}, format="json")
    assert by_json.status_code == 200 and by_json.json()["exact"]["matched_by"] == "iscc"


@pytest.mark.parametrize("query, says", [
    ("hello", "not a SHA-256, an ISCC code or a transaction hash"),
    ("abc123", "64 hexadecimal digits; this has 6"),
    ("0x1234", "0x and 64 hexadecimal digits; this has 4"),
    ("0x" + "zz" * 32, "only hexadecimal digits"),
    ("ISCC:NOTACODE", "not a valid ISCC code"),
])
def test_bad_input_is_a_400_naming_the_field(query, says):
    answer = APIClient().get("/api/v1/verify", {"query": query})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_query" and says in error["message"]
    assert says in error["fields"]["query"][0] and "64 hexadecimal digits" in error["fields"]["query"][1]
    with pytest.raises(ValidationFailed):
        parse_query(query)


def test_missing_or_unreadable_input_is_a_400_too():
    api = APIClient()
    assert api.get("/api/v1/verify").json()["error"]["fields"]["query"]
    nothing = api.post("/api/v1/verify", {}, format="multipart")
    assert nothing.status_code == 400 and set(nothing.json()["error"]["fields"]) == {"query", "file"}
    text = api.post("/api/v1/verify", {"file": io.BytesIO(b"just some text")}, format="multipart")
    assert text.status_code == 400 and text.json()["error"]["code"] == "invalid_file"
    assert "PNG, JPEG or WebP" in text.json()["error"]["fields"]["file"][0]
    both = api.post("/api/v1/verify", {"file": upload(1), "query": "ab" * 32}, format="multipart")
    assert both.status_code == 400 and "query" in both.json()["error"]["fields"]


def test_files_over_the_size_limit_are_refused(settings):
    settings.VERIFY_MAX_BYTES = 100  # (refused while it is read: tests/abuse/test_uploads.py)
    answer = APIClient().post("/api/v1/verify", {"file": upload(1)}, format="multipart")
    assert answer.status_code == 413 and "at most 100" in answer.json()["error"]["message"]
