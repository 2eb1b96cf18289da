"""Verify shows a work's licences for sale and, given an address (`holder`) or a licence token
(`licence`), whether that address holds a licence, read live from the licensing contract, on anvil.

Attacks first: a malformed holder or licence id is a 400 naming the field (the page, the API, a file
upload), a licence id that does not exist, a node that cannot be read (the answer says so, 200), a
licence of another work, terms on chain that are not Storyloom's. Then a buyer's address is licensed
(by the file, by its SHA-256, by the licence id alone) and a stranger's is not, and a licence token
transferred on chain is then held by its new address and not by the old one."""

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from eth_account import Account
from rest_framework.test import APIClient

from accounts.models import User
from kernel.errors import ValidationFailed
from rights import keys
from rights.chain.client import accounts_fund, licensing
from rights.chain.contract import transact
from rights.keys import user_account, user_address
from rights.models import Offer, OfferStatus, Owner, Purchase, PurchaseStatus, Work, WorkStatus
from rights.services import licence_buy, offer_propose, registration_submit, work_create
from rights.verify.licensing import HolderState
from rights.verify.lookup import Verdict, verify
from rights.verify.query import parse_holder, parse_licence
from tests.projects.factories import UserFactory
from tests.rights.helpers import png, settle
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

STRANGER = "0x000000000000000000000000000000000000bEEF"
NO_SUCH_LICENCE = "0x" + "5a" * 32
COULD_NOT = "could not be checked: the chain could not be read"


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    keys._platform_key.cache_clear()
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    keys._platform_key.cache_clear()


def upload(seed: int) -> io.BytesIO:
    data = png(seed)
    data.name = "picture.png"
    return data


def registered(owner: User, seed: int, title: str) -> Work:
    """A work of the owner's alone (so an offer of theirs is published at once), from an upload."""
    work, _similar = work_create(user=owner, title=title, licence="cc-by-4.0", upload=upload(seed),
                                 filename="picture.png")
    registration_submit(work=work)
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    return work


def published(work: Work, owner: User, **changes) -> Offer:
    fields = {"title": "Broadcast", "licence": "cc-by-4.0", "commercial": True, "price": "0.3",
              "max_quantity": 5, **changes}
    offer = offer_propose(work_id=work.public_id, user=owner, **fields)
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE
    return offer


def buyer() -> User:
    person: User = UserFactory()
    accounts_fund([user_address(person.pk)])
    return person


def bought(offer: Offer, person: User) -> Purchase:
    purchase = licence_buy(offer_id=offer.offer_id, user=person)
    settle()
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.CONFIRMED
    return purchase


@pytest.fixture
def sold(platform_chain) -> tuple[Work, Offer, User]:
    """“Harbour”, Ada's, with the licence “Broadcast” on sale; Dana bought one."""
    ada: User = UserFactory()
    work = registered(ada, 31, "Harbour")
    offer = published(work, ada)
    dana = buyer()
    bought(offer, dana)
    return work, offer, dana


def error_of(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


# --- attacks: malformed input is a 400 on its field, never a 500 ---------------------------------------


BAD_HOLDERS = [
    ("0x1234", "not an address"),
    ("hello", "not an address"),
    ("0x" + "g" * 40, "not an address"),
    ("0x" + "1" * 41, "not an address"),
    ("0x000000000000000000000000000000000000BeeF", "not its checksum"),  # mixed case, wrong checksum
    ("0x" + "١" * 40, "not an address"),  # digits, but not ASCII ones
]
BAD_LICENCES = [
    ("0x", "not a licence token"),
    ("0x" + "1" * 65, "not a licence token"),
    ("-1", "not a licence token"),
    ("1e5", "not a licence token"),
    (str(2**256), "not a licence token"),
    ("٣", "not a licence token"),  # a digit, not an ASCII one
    ("0x" + "zz" * 32, "not a licence token"),
]


@pytest.mark.parametrize(("holder", "says"), BAD_HOLDERS)
def test_a_malformed_holder_is_a_400_naming_the_field(holder, says):
    api = APIClient()
    for answer in (api.get("/api/v1/verify", {"query": "ab" * 32, "holder": holder}),
                   api.post("/api/v1/verify", {"file": upload(1), "holder": holder}, format="multipart"),
                   api.post("/api/v1/verify", {"query": "ab" * 32, "holder": holder}, format="json")):
        error = error_of(answer)
        assert error["code"] == "invalid_holder" and says in error["message"]
        assert set(error["fields"]) == {"holder"} and "40 hexadecimal digits" in error["fields"]["holder"][1]
    page = Client().get("/verify/", {"query": "ab" * 32, "holder": holder})
    assert page.status_code == 400 and says in page.content.decode()
    assert page.context["query_form"].errors["holder"]
    posted = Client().post("/verify/", {"file": upload(1), "holder": holder})
    assert posted.status_code == 400 and posted.context["file_form"].errors["holder"]
    with pytest.raises(ValidationFailed):
        parse_holder(holder)


@pytest.mark.parametrize(("licence", "says"), BAD_LICENCES)
def test_a_malformed_licence_is_a_400_naming_the_field(licence, says):
    api = APIClient()
    for params in ({"licence": licence}, {"licence": licence, "holder": STRANGER},
                   {"query": "ab" * 32, "licence": licence}):
        error = error_of(api.get("/api/v1/verify", params))
        assert error["code"] == "invalid_licence" and says in error["message"]
        assert set(error["fields"]) == {"licence"}
        assert "64 hexadecimal digits" in error["fields"]["licence"][1]
    page = Client().get("/verify/", {"licence": licence})
    assert page.status_code == 400 and page.context["query_form"].errors["licence"]
    with pytest.raises(ValidationFailed):
        parse_licence(licence)


def test_every_wrong_field_is_named_at_once_and_overlong_input_is_refused_before_parsing():
    error = error_of(APIClient().get("/api/v1/verify", {"query": "abc", "holder": "0x12", "licence": "x"}))
    assert set(error["fields"]) == {"query", "holder", "licence"}
    too_long = error_of(APIClient().get("/api/v1/verify", {"licence": "1" * 5000, "holder": "0" * 5000}))
    assert set(too_long["fields"]) == {"licence", "holder"}
    nothing = error_of(APIClient().get("/api/v1/verify", {"holder": STRANGER}))  # a holder of what?
    assert "query" in nothing["fields"]


def test_well_formed_ids_are_normalised():
    assert parse_holder(" " + STRANGER.lower() + " ") == STRANGER
    assert parse_holder(STRANGER.upper().replace("0X", "0x")) == STRANGER
    assert parse_licence("0xAB") == "0x" + "0" * 62 + "ab"
    assert parse_licence("171") == "0x" + "0" * 62 + "ab"
    assert parse_licence(str(2**256 - 1)) == "0x" + "f" * 64
    assert parse_holder("") == parse_licence("  ") == ""


def test_a_licence_id_that_does_not_exist_is_said_so(platform_chain):
    result = verify(licence=NO_SUCH_LICENCE, holder=STRANGER)
    assert result.exact is None and result.verdict == Verdict.NOT_REGISTERED
    token = result.licence_token
    assert token is not None and (token.live, token.exists, token.offer, token.content_hash) == (
        True, False, None, "")
    assert result.message == "No licence token has this id on the licensing contract."
    assert result.holder is not None and result.holder.state == HolderState.NO_SUCH_LICENCE
    assert NO_SUCH_LICENCE in result.holder.message
    api = APIClient().get("/api/v1/verify", {"licence": NO_SUCH_LICENCE, "holder": STRANGER})
    assert api.status_code == 200
    assert api.json()["licence_token"]["exists"] is False
    assert api.json()["holder"]["state"] == "no_such_licence"
    assert api.json()["query"]["kind"] == "licence"
    page = Client().get("/verify/", {"licence": NO_SUCH_LICENCE})
    assert page.status_code == 200 and 'data-exists="false"' in page.content.decode()


def test_the_chain_down_says_the_holder_could_not_be_checked_and_answers_200(sold, settings):
    work, offer, dana = sold
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = verify(query=work.sha256, holder=user_address(dana.pk))
    assert not result.live and result.exact is not None and result.exact.work is not None
    assert [o.id for o in result.exact.offers] == [offer.offer_id]  # from Storyloom's records
    held = result.holder
    assert held is not None and (held.state, held.live, held.holdings) == (HolderState.UNKNOWN, False, [])
    assert COULD_NOT in held.message and "did not answer" in held.error

    # The licence alone: Storyloom's offer names the work, shown from the database, marked not live.
    alone = verify(licence=offer.offer_id, holder=user_address(dana.pk))
    assert alone.exact is not None and alone.exact.work is not None and alone.exact.work.id == work.public_id
    assert alone.verdict == Verdict.UNVERIFIED and alone.exact.matched_by == "licence"
    assert alone.licence_token is not None and not alone.licence_token.live
    assert alone.licence_token.exists is None and alone.licence_token.content_hash == work.sha256
    assert alone.holder is not None and alone.holder.state == HolderState.UNKNOWN

    api = APIClient().get("/api/v1/verify", {"query": work.sha256, "holder": user_address(dana.pk)})
    assert api.status_code == 200 and api.json()["holder"]["state"] == "unknown"
    assert COULD_NOT in api.json()["holder"]["message"]
    page = Client().get("/verify/", {"licence": offer.offer_id, "holder": user_address(dana.pk)})
    assert page.status_code == 200
    assert 'data-holder-state="unknown"' in page.content.decode() and COULD_NOT in page.content.decode()
    unknown = Client().get("/verify/", {"licence": NO_SUCH_LICENCE})
    assert unknown.status_code == 200
    assert "Storyloom knows no licence with this id" in unknown.content.decode()


def test_the_licensing_contract_missing_is_could_not_be_checked_too(sold, settings):
    """The registry answers, but no licensing contract is configured: the registration is read live,
    the licence is not."""
    work, _offer, dana = sold
    (settings.CHAIN_DIR / "licensing.json").unlink()
    result = verify(query=work.sha256, holder=user_address(dana.pk))
    assert result.live and result.verdict == Verdict.REGISTERED
    assert result.holder is not None and result.holder.state == HolderState.UNKNOWN
    assert "No licensing contract is configured" in result.holder.error


def test_a_licence_of_another_work_says_nothing_of_this_one(sold):
    work, offer, dana = sold
    other = registered(work.created_by, 32, "Gulls")
    result = verify(query=other.sha256, licence=offer.offer_id, holder=user_address(dana.pk))
    assert result.exact is not None and result.exact.work is not None
    assert result.exact.work.id == other.public_id
    assert result.holder is not None and result.holder.state == HolderState.OTHER_WORK
    assert result.holder.holdings == []
    # Without the licence, Dana holds none of the other work's.
    assert verify(query=other.sha256, holder=user_address(dana.pk)).holder.state == HolderState.NOT_LICENSED


def test_terms_on_chain_that_are_not_the_offers_are_flagged(sold):
    _work, offer, _dana = sold
    assert verify(licence=offer.offer_id).licence_token.terms_match is True
    Offer.objects.filter(pk=offer.pk).update(terms_sha256="0" * 64)  # Storyloom's record, tampered with
    token = verify(licence=offer.offer_id).licence_token
    assert token is not None and token.live and token.terms_match is False
    assert token.terms_hash != "0x" + "0" * 64 and "not the terms Storyloom shows" in token.message
    page = Client().get("/verify/", {"licence": offer.offer_id})
    assert 'data-terms-match="false"' in page.content.decode()


# --- a buyer's address is licensed; a stranger's is not --------------------------------------------------


def test_the_buyers_address_holds_the_licence_by_file_by_hash_and_by_licence_alone(sold):
    work, offer, dana = sold
    dana_address = user_address(dana.pk)
    said = f"{dana_address} holds licence “Broadcast” (1 token) of “Harbour”."
    by_file = verify(upload=upload(31), holder=dana_address.lower())
    by_hash = verify(query=work.sha256, holder=dana_address)
    alone = verify(licence=offer.offer_id, holder=dana_address)
    for result in (by_file, by_hash, alone):
        assert result.verdict == Verdict.REGISTERED and result.exact is not None
        assert result.exact.work is not None and result.exact.work.id == work.public_id
        held = result.holder
        assert held is not None
        assert (held.state, held.live, held.message) == (HolderState.LICENSED, True, said)
        assert [(h.offer_id, h.tokens, h.title) for h in held.holdings] == [(offer.offer_id, 1, "Broadcast")]
    assert alone.query.kind == "licence" and alone.query.sha256 == work.sha256
    token = alone.licence_token
    assert token is not None and (token.live, token.exists, token.content_hash, token.terms_match) == (
        True, True, work.sha256, True)
    assert token.offer is not None and token.offer.id == offer.offer_id

    # The offers, on the match: what a buyer needs, and where to buy.
    listed = by_hash.exact.offers
    assert len(listed) == 1
    shown = listed[0]
    assert (shown.title, shown.price, shown.licence, shown.commercial, shown.remix_allowed) == (
        "Broadcast", "0.3 ETH", "cc-by-4.0", True, False)
    assert (shown.sold, shown.max_quantity, shown.status) == (1, 5, "active")
    assert shown.url == f"/licences/offers/{offer.offer_id}/"
    assert shown.token_id == str(int(offer.offer_id, 16))

    for stranger in (STRANGER, Account.create().address):
        nobody = verify(query=work.sha256, holder=stranger)
        assert nobody.holder is not None and nobody.holder.state == HolderState.NOT_LICENSED
        assert nobody.holder.message == f"{stranger} holds no licence of this work."
        assert nobody.holder.checked == [offer.offer_id]
        only = verify(licence=offer.offer_id, holder=stranger).holder
        assert only is not None and only.state == HolderState.NOT_LICENSED and "does not hold" in only.message


def test_the_page_and_the_api_answer_the_holder(sold):
    work, offer, dana = sold
    dana_address = user_address(dana.pk)
    api = APIClient()
    body = api.get("/api/v1/verify", {"query": work.sha256, "holder": dana_address}).json()
    assert body["holder"]["state"] == "licensed" and body["holder"]["holdings"][0]["tokens"] == 1
    assert body["exact"]["offers"][0]["price"] == "0.3 ETH" and body["licence_token"] is None
    posted = api.post("/api/v1/verify", {"file": upload(31), "holder": STRANGER}, format="multipart")
    assert posted.status_code == 200 and posted.json()["holder"]["state"] == "not_licensed"
    by_licence = api.post("/api/v1/verify", {"licence": offer.offer_id, "holder": dana_address},
                          format="json")
    assert by_licence.status_code == 200 and by_licence.json()["holder"]["state"] == "licensed"
    assert by_licence.json()["licence_token"]["terms_match"] is True
    assert api.get("/api/v1/verify", {"query": work.sha256}).json()["holder"] is None

    # The link "My licences" gives each licence.
    browser = Client()
    page = browser.get("/verify/", {"licence": offer.offer_id, "holder": dana_address})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-holder-state="licensed"' in html
    assert "holds licence “Broadcast” (1 token) of “Harbour”" in html
    assert f'href="/licences/offers/{offer.offer_id}/"' in html and "0.3 ETH" in html
    assert 'data-verdict="registered"' in html and f'data-licence="{offer.offer_id}"' in html
    by_file = browser.post("/verify/", {"file": upload(31), "holder": STRANGER})
    assert by_file.status_code == 200 and 'data-holder-state="not_licensed"' in by_file.content.decode()
    assert "holds no licence of this work" in by_file.content.decode()


def test_a_transferred_licence_is_held_by_its_new_address_and_not_the_old(sold):
    work, offer, dana = sold
    old, new = user_address(dana.pk), Account.create().address
    accounts_fund([old])  # gas
    contract = licensing()
    transact(contract.w3, user_account(dana.pk),
             contract.functions.safeTransferFrom(old, new, int(offer.offer_id, 16), 1, b""))
    assert verify(query=work.sha256, holder=new).holder.state == HolderState.LICENSED
    assert verify(licence=offer.offer_id, holder=new).holder.holdings[0].tokens == 1
    gone = verify(query=work.sha256, holder=old).holder
    assert gone is not None and gone.state == HolderState.NOT_LICENSED and gone.live


def test_offers_of_every_match_come_in_one_query(sold):
    """Each look-alike with offers of its own: verifying with more of them asks no more queries for
    the offers (a query per match would show here)."""
    work, _offer, _dana = sold

    def look_alikes(start: int, count: int) -> None:
        for n in range(start, start + count):
            copy = Work.objects.create(title=f"Copy {n}", created_by=work.created_by, mime=work.mime,
                                       size=work.size, sha256=f"{n + 1:064x}", iscc=work.iscc,
                                       phash=work.phash, licence=work.licence,
                                       terms_sha256=work.terms_sha256, status=WorkStatus.REGISTERED)
            Owner.objects.create(work=copy, user=work.created_by, address="0x" + "12" * 20, bps=10_000)
            Offer.objects.create(work=copy, offer_id=f"0x{n + 1:064x}", salt="0x" + "cd" * 32,
                                 title=f"Print {n}", licence="cc-by-4.0", terms="Print",
                                 terms_sha256="0" * 64, currency="native", token="0x" + "00" * 20,
                                 price=10**16, fee_bps=250, deadline=2**40, status=OfferStatus.ACTIVE,
                                 proposed_by=work.created_by)

    def offer_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as seen:
            result = verify(query=work.sha256)
        return (sum('"rights_offer"' in q["sql"] for q in seen.captured_queries),
                sum(len(m.offers) for m in result.near))

    look_alikes(0, 2)
    few, listed = offer_queries()
    assert listed == 2
    look_alikes(2, 6)
    many, listed = offer_queries()
    assert listed == 8 and few == many == 1
