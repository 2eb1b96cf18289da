"""Licences for sale through the platform, on anvil: owners approve an offer by majority, a person
buys it from their custodial address (in ETH or the stablecoin), the indexer records every credit,
each co-owner withdraws their share; and what must not happen (the platform paying a buyer's
price, a minority publishing, a sale twice after a node outage)."""

import hashlib
import time
from decimal import Decimal

import pytest

from accounts.models import User
from kernel.errors import Conflict, NotFound, ValidationFailed
from rights.chain.client import accounts_fund, licensing, stablecoin, web3
from rights.chain.indexer import index_events
from rights.chain.licensing import NATIVE
from rights.keys import platform_account, user_address
from rights.models import (
    ChainTx,
    Offer,
    OfferStatus,
    Owner,
    Payment,
    PaymentKind,
    Purchase,
    PurchaseStatus,
    Work,
    WorkStatus,
)
from rights.services import (
    earnings_withdraw,
    licence_buy,
    offer_approve,
    offer_close,
    offer_propose,
    registration_submit,
)
from tests.projects.factories import UserFactory
from tests.rights.helpers import settle

pytestmark = pytest.mark.django_db(transaction=True)
ETH = 10**18


@pytest.fixture
def trio(platform_chain) -> tuple[Work, list[User]]:
    """A work of Ada (50 %), Ben (30 %) and Chen (20 %), registered."""
    people: list[User] = [UserFactory.create() for _ in range(3)]
    digest = hashlib.sha256(f"harbour {time.monotonic_ns()}".encode()).hexdigest()
    work = Work.objects.create(title="Harbour", created_by=people[0], mime="video/mp4", size=10,
                               sha256=digest, iscc="ISCC:KMAQOL3YEOFZ4SC3WN6QL6GIQOARGWZCSVZU36FHWQ",
                               terms_sha256="0" * 64)
    for position, (person, bps) in enumerate(zip(people, (5000, 3000, 2000), strict=True)):
        Owner.objects.create(work=work, user=person, address=user_address(person.pk), bps=bps,
                             position=position)
    registration_submit(work=work)
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    return work, people


def buyer() -> User:
    person: User = UserFactory()
    accounts_fund([user_address(person.pk)])
    return person


def propose(work: Work, user: User, **changes) -> Offer:
    fields = {"title": "Broadcast licence", "licence": "cc-by-4.0", "commercial": True, "price": "0.3",
              **changes}
    return offer_propose(work_id=work.public_id, user=user, **fields)


def test_a_sale_with_three_co_owners_credits_each_by_share_and_each_withdraws(trio):
    work, (ada, ben, chen) = trio
    offer = propose(work, ada, price="0.000000000000001003", max_quantity=2)
    assert offer.status == OfferStatus.APPROVING  # Ada holds half: not more than half
    assert offer_approve(offer_id=offer.offer_id, user=ben).status == OfferStatus.PUBLISHING
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE
    assert licensing().functions.offers(int(offer.offer_id, 16)).call()[0].hex() == work.sha256

    dana = buyer()
    before = web3().eth.get_balance(user_address(dana.pk))
    purchase = licence_buy(offer_id=offer.offer_id, user=dana)
    settle()
    purchase.refresh_from_db()
    assert (purchase.status, purchase.serial) == (PurchaseStatus.CONFIRMED, 1)
    assert licensing().functions.balanceOf(user_address(dana.pk), int(offer.offer_id, 16)).call() == 1
    assert before - web3().eth.get_balance(user_address(dana.pk)) >= 1003  # her price (and her gas)

    assert Payment.objects.filter(kind=PaymentKind.CREDIT).count() == 4  # from the receipt, at once
    index_events()
    assert Payment.objects.filter(kind=PaymentKind.CREDIT).count() == 4  # the indexer agrees: no copies
    credits = {p.payee: int(p.amount) for p in Payment.objects.filter(kind=PaymentKind.CREDIT)}
    fee = 1003 * 250 // 10_000  # 25
    assert credits == {platform_account().address: fee, user_address(ada.pk): 489 + 1,  # the remainder
                       user_address(ben.pk): 293, user_address(chen.pk): 195}
    assert sum(credits.values()) == 1003
    assert Payment.objects.filter(work=work).count() == 3

    for person in (ada, ben, chen):
        earnings_withdraw(user=person, currency="native")
    settle()
    index_events()
    withdrawn = {p.payee: int(p.amount) for p in Payment.objects.filter(kind=PaymentKind.WITHDRAWAL)}
    assert withdrawn == {user_address(p.pk): credits[user_address(p.pk)] for p in (ada, ben, chen)}
    with pytest.raises(Conflict, match="Nothing to withdraw"):
        earnings_withdraw(user=ben, currency="native")


def test_a_limited_edition_sells_out(trio):
    work, (ada, ben, _chen) = trio
    offer = propose(work, ada, max_quantity=1)
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    first = licence_buy(offer_id=offer.offer_id, user=buyer())
    with pytest.raises(Conflict, match="sold out"):  # the first is still paying: it holds the last copy
        licence_buy(offer_id=offer.offer_id, user=buyer())
    settle()
    first.refresh_from_db()
    offer.refresh_from_db()
    assert (first.status, offer.sold, offer.status) == (PurchaseStatus.CONFIRMED, 1, OfferStatus.SOLD_OUT)
    with pytest.raises(Conflict, match="Sold out"):
        licence_buy(offer_id=offer.offer_id, user=buyer())


def test_a_stablecoin_price_is_allowed_then_paid(trio):
    work, (ada, ben, _chen) = trio
    offer = propose(work, ada, currency="stablecoin", price="12.50")
    assert int(offer.price) == 12_500_000
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    erin = buyer()
    held = stablecoin().functions.balanceOf(user_address(erin.pk)).call()
    purchase = licence_buy(offer_id=offer.offer_id, user=erin)
    assert list(ChainTx.objects.filter(signer=user_address(erin.pk)).values_list("function", flat=True)) == [
        "approve", "buy"]
    settle()
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.CONFIRMED
    assert held - stablecoin().functions.balanceOf(user_address(erin.pk)).call() == 12_500_000


def test_a_buyer_without_the_price_is_refused_and_the_platform_pays_nothing(trio):
    work, (ada, ben, _chen) = trio
    offer = propose(work, ada, price="5")
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    poor: User = UserFactory()
    with pytest.raises(Conflict, match="less than the price"):
        licence_buy(offer_id=offer.offer_id, user=poor)
    assert not Purchase.objects.exists() and not ChainTx.objects.filter(signer=user_address(poor.pk)).exists()


def test_a_balance_spent_before_the_purchase_is_sent_fails_it_without_the_platforms_money(trio):
    """The outbox checks again when it sends: a custodial key is given gas, never the price."""
    work, (ada, ben, _chen) = trio
    offer = propose(work, ada, price="5")
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    fay = buyer()
    purchase = licence_buy(offer_id=offer.offer_id, user=fay)
    web3().provider.make_request("anvil_setBalance", [user_address(fay.pk), hex(ETH)])  # 1 ETH left
    settle()
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.FAILED and "Not enough funds" in purchase.error
    assert not ChainTx.objects.filter(function="fund", args__0=user_address(fay.pk)).exists()


def test_only_owners_propose_and_a_minority_cannot_publish(trio):
    work, (ada, _ben, chen) = trio
    with pytest.raises(NotFound):
        propose(work, UserFactory())
    offer = propose(work, chen)  # 20 %
    offer.refresh_from_db()
    assert offer.status == OfferStatus.APPROVING
    assert not ChainTx.objects.filter(function="publishOffer").exists()
    with pytest.raises(NotFound):
        offer_approve(offer_id=offer.offer_id, user=UserFactory())
    offer_approve(offer_id=offer.offer_id, user=ada)  # 70 %
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE


@pytest.mark.parametrize(("changes", "field"), [
    ({"price": "0"}, "price"), ({"price": "-1"}, "price"), ({"price": "abc"}, "price"),
    ({"price": "NaN"}, "price"), ({"price": "0.0000000000000000001"}, "price"),
    ({"price": "1e40"}, "price"), ({"title": ""}, "title"), ({"licence": "gpl"}, "licence"),
    ({"upstream_bps": 500}, "upstream_bps"), ({"max_quantity": -1}, "max_quantity"),
    ({"currency": "btc"}, "currency"), ({"licence": "custom"}, "custom_terms"),
])
def test_a_bad_offer_is_refused_with_the_field_named_and_nothing_kept(trio, changes, field):
    work, (ada, _ben, _chen) = trio
    with pytest.raises(ValidationFailed) as refused:
        propose(work, ada, **changes)
    assert field in refused.value.fields
    assert not Offer.objects.exists()


def test_closing_takes_a_majority_and_stops_sales(trio):
    work, (ada, ben, chen) = trio
    offer = propose(work, ada)
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    assert offer_close(offer_id=offer.offer_id, user=chen).status == OfferStatus.ACTIVE  # 20 % asked
    assert offer_close(offer_id=offer.offer_id, user=ada).status == OfferStatus.CLOSING  # 70 %
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED
    assert not licensing().functions.offers(int(offer.offer_id, 16)).call()[-1]
    with pytest.raises(Conflict):
        licence_buy(offer_id=offer.offer_id, user=buyer())


def test_a_share_transfer_after_a_sale_moves_no_earned_balance(trio):
    from rights.services import share_transfer

    work, (ada, ben, chen) = trio
    offer = propose(work, ada, price="0.001")
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    licence_buy(offer_id=offer.offer_id, user=buyer())
    settle()
    owed = licensing().functions.owed(NATIVE, user_address(chen.pk)).call()
    share_transfer(work_id=work.public_id, user=chen, bps=2000, to_user_id=ada.pk)
    settle()
    assert licensing().functions.owed(NATIVE, user_address(chen.pk)).call() == owed > 0
    licence_buy(offer_id=offer.offer_id, user=buyer())  # the next sale pays the new owners
    settle()
    assert licensing().functions.owed(NATIVE, user_address(chen.pk)).call() == owed
    assert Decimal(owed) == Decimal(10**15 - 10**15 * 250 // 10_000) * 2000 / 10_000


def test_a_node_outage_while_buying_sells_one_licence(settings, tmp_path, anvil):
    """The node goes away part-way through sending a purchase and comes back: one licence, one
    payment, never two."""
    from rights import keys
    from rights.chain.client import chain_setup
    from rights.chain.outbox import signer_run
    from tests.rights.helpers import point_at_chain
    from tests.rights.test_outbox import RpcProxy

    proxy = RpcProxy(anvil.url)
    proxy.start()
    try:
        point_at_chain(settings, tmp_path, proxy.url)
        chain_setup()
        people: list[User] = [UserFactory.create(), UserFactory.create()]
        digest = hashlib.sha256(f"pier {time.monotonic_ns()}".encode()).hexdigest()
        work = Work.objects.create(title="Pier", created_by=people[0], mime="image/png", size=10,
                                   sha256=digest,
                                   iscc="ISCC:KEC0001TESTCODE", terms_sha256="0" * 64)
        Owner.objects.create(work=work, user=people[0], address=user_address(people[0].pk), bps=10_000)
        registration_submit(work=work)
        settle()
        offer = propose(work, people[0], price="0.002")
        settle()
        purchase = licence_buy(offer_id=offer.offer_id, user=(gil := buyer()))
        payer = user_address(gil.pk)
        start = web3().eth.get_transaction_count(payer)
        proxy.cut_after = proxy.requests + 6  # after the purchase is signed, around its broadcast
        signer_run(payer)
        assert proxy.server is None
        assert signer_run(payer) != 0  # still down: it waits, signed or not
        proxy.cut_after = None
        proxy.start()
        settle()
        purchase.refresh_from_db()
        assert purchase.status == PurchaseStatus.CONFIRMED and purchase.serial == 1
        assert web3().eth.get_transaction_count(payer) == start + 1
        assert licensing().functions.balanceOf(payer, int(offer.offer_id, 16)).call() == 1
        assert licensing().functions.offers(int(offer.offer_id, 16)).call()[5] == 1  # sold: once
    finally:
        proxy.stop()
        keys._platform_key.cache_clear()


def _registered(title: str, shares: dict[User, int], *, asset=None) -> Work:
    digest = asset.sha256 if asset is not None else hashlib.sha256(f"{title} {time.monotonic_ns()}".encode()
                                                                   ).hexdigest()
    first = next(iter(shares))
    work = Work.objects.create(title=title, created_by=first, mime="image/png", size=10, sha256=digest,
                               iscc="ISCC:KEC0001TESTCODE", terms_sha256="0" * 64, asset=asset)
    for position, (person, bps) in enumerate(shares.items()):
        Owner.objects.create(work=work, user=person, address=user_address(person.pk), bps=bps,
                             position=position)
    registration_submit(work=work)
    settle()
    return work


def test_a_remix_made_under_a_licence_pays_its_source_upstream_two_levels(platform_chain, settings, tmp_path):
    """Ada's work licensed to Ben, who remixes it; Ben's remix licensed to Chen, who remixes it again;
    a sale of Chen's pays Ben's work its upstream share, and Ben's work pays Ada's its own."""
    from generation.models import Asset
    from tests.generation.factories import image_render
    from tests.projects.factories import project_with_team

    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team()
    ada, ben, chen = team.owner, team.editor, team.viewer
    for person in (ben, chen):
        accounts_fund([user_address(person.pk)])
    source = image_render(team.project, ada, b"source", size=8, prompt="a lighthouse")
    remix = image_render(team.project, ben, b"remix", size=8, prompt="a lighthouse at night")
    remix2 = image_render(team.project, chen, b"remix of remix", size=8, prompt="a lighthouse in snow")
    Asset.objects.filter(pk=remix.pk).update(parent=source)
    Asset.objects.filter(pk=remix2.pk).update(parent=remix)

    top = _registered("Lighthouse", {ada: 10_000}, asset=source)
    first = propose(top, ada, price="0.01", remix_allowed=True, upstream_bps=2_000)
    settle()
    licence_buy(offer_id=first.offer_id, user=ben)
    settle()
    middle = _registered("Lighthouse at night", {ben: 10_000}, asset=Asset.objects.get(pk=remix.pk))
    settle()  # the remix's source is recorded once its registration is confirmed
    middle.refresh_from_db()
    assert middle.licensed_from_id == first.pk
    from django.test import Client

    certificate = Client().get(f"/works/{middle.public_id}/").content.decode()
    assert "A remix made under the licence" in certificate and "2000 basis points" in certificate
    second = propose(middle, ben, price="0.01", remix_allowed=True, upstream_bps=5_000)
    settle()
    licence_buy(offer_id=second.offer_id, user=chen)
    settle()
    bottom = _registered("Lighthouse in snow", {chen: 10_000}, asset=Asset.objects.get(pk=remix2.pk))
    settle()
    bottom.refresh_from_db()
    assert bottom.licensed_from_id == second.pk
    assert licensing().functions.lineageOf(int(second.offer_id, 16)).call()[1].hex() == top.sha256

    third = propose(bottom, chen, price="0.001")
    settle()
    owed = {p.pk: licensing().functions.owed(NATIVE, user_address(p.pk)).call() for p in (ada, ben, chen)}
    licence_buy(offer_id=third.offer_id, user=buyer())
    settle()
    gained = {p.pk: licensing().functions.owed(NATIVE, user_address(p.pk)).call() - owed[p.pk]
              for p in (ada, ben, chen)}
    after_fee = 10**15 - 10**15 * 250 // 10_000
    to_ben = after_fee * 5_000 // 10_000
    to_ada = to_ben * 2_000 // 10_000
    assert gained == {chen.pk: after_fee - to_ben, ben.pk: to_ben - to_ada, ada.pk: to_ada}


def test_a_linked_wallet_holds_the_licence_bought_and_receives_the_withdrawal(trio):
    """With a wallet linked (EIP-4361), a buyer's licence goes there, not to the custodial address,
    and a co-owner's withdrawal is paid there."""
    from tests.accounts.wallets import wallet_key, wallet_linked

    work, (ada, ben, _chen) = trio
    offer = propose(work, ada, price="0.001")
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    gus = buyer()
    gus_wallet = wallet_key(0x6A5).address
    wallet_linked(gus, wallet_key(0x6A5))
    purchase = licence_buy(offer_id=offer.offer_id, user=gus)
    settle()
    purchase.refresh_from_db()
    assert purchase.licensee == gus_wallet and purchase.payer == user_address(gus.pk)
    token = int(offer.offer_id, 16)
    assert licensing().functions.balanceOf(gus_wallet, token).call() == 1
    assert licensing().functions.balanceOf(user_address(gus.pk), token).call() == 0

    ada_wallet = wallet_key(0xADA).address
    wallet_linked(ada, wallet_key(0xADA))
    owed = licensing().functions.owed(NATIVE, user_address(ada.pk)).call()
    tx = earnings_withdraw(user=ada, currency="native")
    assert tx.function == "withdrawTo"
    settle()
    assert web3().eth.get_balance(ada_wallet) == owed > 0
    assert licensing().functions.owed(NATIVE, user_address(ada.pk)).call() == 0


def test_a_close_that_failed_can_be_asked_for_again(trio):
    """The closing was refused on chain (here: the owners' shares moved before it was sent, so the
    signers no longer hold a majority); the offer stays on sale and the owners ask again afresh."""
    from rights.services import share_transfer

    work, (ada, ben, chen) = trio
    offer = propose(work, ada)
    offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    from rights.chain.outbox import signer_run

    accounts_fund([user_address(ada.pk)])  # (her key needs no gas payment from the platform's)
    share_transfer(work_id=work.public_id, user=ada, bps=4_000, to_user_id=chen.pk)  # Ada: 10 %
    offer_close(offer_id=offer.offer_id, user=ada)
    offer_close(offer_id=offer.offer_id, user=ben)  # 80 % as the shares are when asked, 40 % when sent
    for _ in range(20):  # the transfer is confirmed before the closing is sent
        if not signer_run(user_address(ada.pk)):
            break
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE and "more than half" in offer.error
    assert not offer.approvals.filter(kind="close").exists()
    offer_close(offer_id=offer.offer_id, user=chen)  # 60 % now
    settle()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED


def test_an_offer_not_approved_before_its_deadline_cannot_be_published(trio):
    work, (ada, ben, _chen) = trio
    offer = propose(work, ada)
    Offer.objects.filter(pk=offer.pk).update(deadline=int(time.time()) - 1)
    with pytest.raises(Conflict, match="in time"):
        offer_approve(offer_id=offer.offer_id, user=ben)
    offer.refresh_from_db()
    assert offer.expired and not ChainTx.objects.filter(function="publishOffer").exists()
    from django.test import Client

    client = Client()
    client.force_login(ben)
    page = client.get(f"/works/{work.public_id}/").content.decode()
    assert "Not approved in time" in page and f'/licences/offers/{offer.offer_id}/approve/' not in page


def test_one_stablecoin_purchase_at_a_time_per_buyer(trio):
    """An ERC-20 allowance is set, not added to: a second purchase's would replace the first's
    before it is spent. The second waits until the first is done."""
    work, (ada, ben, _chen) = trio
    first = propose(work, ada, currency="stablecoin", price="5")
    second = propose(work, ada, currency="stablecoin", price="3", title="Second")
    for offer in (first, second):
        offer_approve(offer_id=offer.offer_id, user=ben)
    settle()
    hal = buyer()
    licence_buy(offer_id=first.offer_id, user=hal)
    with pytest.raises(Conflict, match="Another of your purchases"):
        licence_buy(offer_id=second.offer_id, user=hal)
    settle()
    licence_buy(offer_id=second.offer_id, user=hal)
    settle()
    assert sorted(Purchase.objects.filter(buyer=hal).values_list("status", flat=True)) == [
        PurchaseStatus.CONFIRMED, PurchaseStatus.CONFIRMED]
