"""The pages of licences for sale, on anvil: owners propose and approve an offer on the work's page,
a buyer reads the offer (as anyone may) and buys it, finds it under My licences with its Verify link,
and each co-owner sees their earnings and withdraws them."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from rights.chain.client import accounts_fund
from rights.chain.indexer import index_events
from rights.keys import user_address
from rights.models import Offer, OfferStatus, Purchase, PurchaseStatus
from tests.projects.factories import UserFactory
from tests.rights.helpers import settle
from tests.rights.test_sales import trio  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def browser(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


OFFER_FORM = {"title": "Festival screening", "licence": "cc-by-nc-4.0", "custom_terms": "",
              "territory": "Europe", "duration_days": "365", "currency": "native", "price": "0.25",
              "max_quantity": "10",
              "upstream_percent": ""}


def test_owners_propose_and_approve_then_a_buyer_buys_and_each_co_owner_withdraws(trio):  # noqa: F811
    work, (ada, ben, chen) = trio
    page = f"/works/{work.public_id}/"
    response = browser(ada).post(f"{page}offers/", OFFER_FORM)
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.status == OfferStatus.APPROVING and "Territory: Europe" in offer.terms
    assert 'id="offers"' in html(browser(ben).get(page)) and "Approve" in html(browser(ben).get(page))
    assert browser().get(f"/licences/offers/{offer.offer_id}/").status_code == 404  # not published yet
    browser(ben).post(f"/licences/offers/{offer.offer_id}/approve/")
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE

    anyone = html(browser().get(f"/licences/offers/{offer.offer_id}/"))
    assert "0.25 ETH" in anyone and "no refunds" in anyone and "Log in to buy" in anyone

    dana: User = UserFactory()
    accounts_fund([user_address(dana.pk)])
    refused = browser(dana).post(f"/licences/offers/{offer.offer_id}/buy/", {})
    assert refused.status_code == 400 and "accept" in html(refused) and not Purchase.objects.exists()
    assert browser(dana).post(f"/licences/offers/{offer.offer_id}/buy/", {"accept": "on"}).status_code == 302
    settle()
    purchase = Purchase.objects.get()
    assert purchase.status == PurchaseStatus.CONFIRMED
    mine = html(browser(dana).get("/licences/"))
    assert "Festival screening" in mine
    assert f"?licence={offer.offer_id}&amp;holder={purchase.licensee}" in mine

    index_events()
    earned = html(browser(ben).get("/earnings/"))
    assert "0.073125 ETH" in earned  # (0.25 less 2.5 %) times 30 %
    assert f"@{ada.username}" in earned and f"@{chen.username}" in earned
    assert browser(ben).post("/earnings/withdraw/", {"currency": "native"}).status_code == 302
    settle()
    index_events()
    after = html(browser(ben).get("/earnings/"))
    assert "Withdrawn to" in after


def test_a_bad_offer_on_the_page_says_what_to_fix_and_keeps_nothing(trio):  # noqa: F811
    work, (ada, _ben, _chen) = trio
    response = browser(ada).post(f"/works/{work.public_id}/offers/", {**OFFER_FORM, "price": "-3"})
    assert response.status_code == 400 and 'id="offer-form"' in html(response)
    response = browser(ada).post(f"/works/{work.public_id}/offers/", {**OFFER_FORM, "upstream_percent": "20"})
    assert response.status_code == 400 and "only when remixes are allowed" in html(response)
    assert not Offer.objects.exists()


def test_only_owners_act_on_offers(trio):  # noqa: F811
    work, (ada, _ben, _chen) = trio
    stranger: User = UserFactory()
    assert browser(stranger).post(f"/works/{work.public_id}/offers/", OFFER_FORM).status_code in (400, 404)
    browser(ada).post(f"/works/{work.public_id}/offers/", OFFER_FORM)
    offer = Offer.objects.get()
    assert browser(stranger).post(f"/licences/offers/{offer.offer_id}/approve/").status_code == 404
    assert browser(stranger).post(f"/licences/offers/{offer.offer_id}/close/").status_code == 404
    assert browser().post(f"/licences/offers/{offer.offer_id}/approve/").status_code == 302  # to log in
    offer.refresh_from_db()
    assert offer.approvals.count() == 1 and offer.status == OfferStatus.APPROVING


def test_a_licence_tokens_metadata_is_public_once_its_offer_is(trio):  # noqa: F811
    from rights.chain.client import licensing

    work, (ada, ben, _chen) = trio
    browser(ada).post(f"/works/{work.public_id}/offers/", OFFER_FORM)
    offer = Offer.objects.get()
    path = f"/licences/tokens/{offer.offer_id[2:]}.json"
    assert browser().get(path).status_code == 404  # not published yet
    browser(ben).post(f"/licences/offers/{offer.offer_id}/approve/")
    settle()
    uri = licensing().functions.uri(int(offer.offer_id, 16)).call()
    assert uri.endswith("/licences/tokens/{id}.json")  # ERC-1155: the client puts in the id
    token = browser().get(path).json()
    assert token["name"] == f"Festival screening: {work.title}"
    assert token["properties"]["terms_sha256"] == f"0x{offer.terms_sha256}"
    assert token["properties"]["price"] == "0.25 ETH" and token["properties"]["edition_size"] == 10
    for bad in ("XYZ", offer.offer_id[2:].upper(), "0" * 64, "../../etc/passwd"):
        assert browser().get(f"/licences/tokens/{bad}.json").status_code == 404
