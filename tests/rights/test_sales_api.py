"""The API of licences for sale, on anvil: the whole path from an offer to a withdrawal, who may do
what, and hostile input answered in the API's error shape with nothing kept."""

import pytest

from accounts.models import User
from rights.chain.client import accounts_fund
from rights.chain.indexer import index_events
from rights.keys import user_address
from rights.models import ChainTx, Offer, Purchase
from tests.core.helpers import client_for
from tests.projects.factories import UserFactory
from tests.rights.helpers import settle
from tests.rights.test_sales import trio  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)
OFFER = {"title": "Broadcast", "licence": "cc-by-4.0", "commercial": True, "price": "0.5", "max_quantity": 3}


def test_offer_to_withdrawal_through_the_api(trio):  # noqa: F811
    work, (ada, ben, _chen) = trio
    created = client_for(ada).post(f"/api/v1/works/{work.public_id}/offers", OFFER, format="json")
    assert created.status_code == 201, created.json()
    offer = created.json()
    assert (offer["status"], offer["price"], offer["price_display"]) == (
        "approving", str(5 * 10**17), "0.5 ETH")
    assert offer["approvals"] == [{"kind": "publish", "address": user_address(ada.pk)}]
    assert client_for(UserFactory()).get(f"/api/v1/offers/{offer['id']}").status_code == 404  # not yet public
    approved = client_for(ben).post(f"/api/v1/offers/{offer['id']}/approve")
    assert approved.json()["status"] == "publishing"
    settle()
    from rest_framework.test import APIClient

    public = APIClient().get(f"/api/v1/works/{work.public_id}/offers")
    assert public.status_code == 200 and [o["status"] for o in public.json()] == ["active"]

    dana: User = UserFactory()
    accounts_fund([user_address(dana.pk)])
    bought = client_for(dana).post(f"/api/v1/offers/{offer['id']}/purchases")
    assert bought.status_code == 201 and bought.json()["status"] == "pending"
    settle()
    licences = client_for(dana).get("/api/v1/licences").json()
    assert [(p["offer"], p["status"], p["serial"]) for p in licences] == [(offer["id"], "confirmed", 1)]

    index_events()
    earnings = client_for(ben).get("/api/v1/earnings").json()
    native = next(b for b in earnings["balances"] if b["currency"] == "native")
    assert native["withdrawable"] == str((5 * 10**17 - 5 * 10**17 * 250 // 10_000) * 3000 // 10_000)
    withdrawal = client_for(ben).post("/api/v1/earnings/withdrawals", {"currency": "native"}, format="json")
    assert withdrawal.status_code == 202 and withdrawal.json()["amount"] == native["withdrawable"]
    settle()
    again = client_for(ben).post("/api/v1/earnings/withdrawals", {"currency": "native"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_withdraw"


@pytest.mark.parametrize("body", [
    {**OFFER, "price": "1e5"}, {**OFFER, "price": "-1"}, {**OFFER, "price": "0"}, {**OFFER, "price": ""},
    {**OFFER, "price": "0.0000000000000000001"}, {**OFFER, "licence": "mit"}, {**OFFER, "max_quantity": -5},
    {**OFFER, "upstream_bps": 20_000}, {**OFFER, "currency": "doge"}, {**OFFER, "title": "x" * 500},
    {**OFFER, "upstream_bps": 100}, {"title": "no price"}, [], "nonsense",
])
def test_a_hostile_offer_gets_a_400_in_the_error_shape_and_keeps_nothing(trio, body):  # noqa: F811
    work, (ada, _ben, _chen) = trio
    response = client_for(ada).post(f"/api/v1/works/{work.public_id}/offers", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not Offer.objects.exists() and not ChainTx.objects.filter(contract="licensing").exists()


def test_strangers_cannot_propose_approve_close_or_see_a_draft(trio):  # noqa: F811
    work, (ada, _ben, _chen) = trio
    stranger = client_for(UserFactory())
    assert stranger.post(f"/api/v1/works/{work.public_id}/offers", OFFER, format="json").status_code == 404
    offer = client_for(ada).post(f"/api/v1/works/{work.public_id}/offers", OFFER, format="json").json()
    for path in ("approve", "close", "purchases"):
        response = stranger.post(f"/api/v1/offers/{offer['id']}/{path}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert stranger.get(f"/api/v1/works/{work.public_id}/offers").json() == []
    for bad in ("0x" + "g" * 64, "1" * 66, "../../etc/passwd", "0x" + "0" * 64):
        assert stranger.get(f"/api/v1/offers/{bad}").status_code == 404
    assert not Purchase.objects.exists()
    from rest_framework.test import APIClient

    assert APIClient().post(f"/api/v1/offers/{offer['id']}/purchases").status_code in (401, 403)


def test_a_node_failing_half_way_through_a_request_refuses_it_and_keeps_nothing(settings, tmp_path, anvil):
    """The node answers the connection's checks, then goes away while the offer reads the fee: a
    409 in the API's shape (never a 500), no offer, no allowance spent."""
    import hashlib
    import time

    from rights import keys
    from rights.chain.client import chain_setup
    from rights.models import ChainAllowanceUse, Owner, Work
    from rights.services import registration_submit
    from tests.rights.helpers import point_at_chain
    from tests.rights.test_outbox import RpcProxy

    proxy = RpcProxy(anvil.url)
    proxy.start()
    try:
        point_at_chain(settings, tmp_path, proxy.url)
        chain_setup()
        ada: User = UserFactory()
        digest = hashlib.sha256(f"quay {time.monotonic_ns()}".encode()).hexdigest()
        work = Work.objects.create(title="Quay", created_by=ada, mime="image/png", size=10, sha256=digest,
                                   iscc="ISCC:KEC0001TESTCODE", terms_sha256="0" * 64)
        Owner.objects.create(work=work, user=ada, address=user_address(ada.pk), bps=10_000)
        registration_submit(work=work)
        settle()
        used = ChainAllowanceUse.objects.count()
        proxy.cut_after = proxy.requests + 1  # the chain id answers; the fee's read does not
        response = client_for(ada).post(f"/api/v1/works/{work.public_id}/offers", OFFER, format="json")
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "chain_unavailable"
        assert not Offer.objects.exists() and ChainAllowanceUse.objects.count() == used
    finally:
        proxy.stop()
        keys._platform_key.cache_clear()
