"""Licences for sale in a real browser, against a real server, a real Celery worker and a real
anvil: the co-owners of a registered work offer a licence (the first proposes, the second
approves), a buyer reads what they get on the offer's page and buys it, finds it under My
licences, and its Verify link says the licence is held; each co-owner then sees their share under
Earnings and withdraws it."""

import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from kernel.paths import VAR_DIR
from rights import keys
from rights.chain.client import accounts_fund, licensing
from rights.chain.licensing import NATIVE
from rights.keys import user_address
from rights.models import Offer, Owner, Payment, Work, WorkStatus
from rights.services import registration_submit
from tests.e2e.helpers import log_in
from tests.projects.factories import UserFactory
from tests.rights.helpers import DevChain, platform_on_chain, settle
from tests.servers import AsgiServer, CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
TIMEOUT = 10_000
CHAIN_TIMEOUT = 60_000  # the worker signs, anvil mines, the worker confirms (and the indexer reads)


def test_co_owners_sell_a_licence_a_buyer_buys_it_and_each_co_owner_withdraws(
        browser: Any, anvil: DevChain, tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    shared = platform_on_chain(settings, tmp_path, anvil.url)
    ada, ben, dana = (UserFactory.create(display_name=name) for name in ("Ada", "Ben", "Dana"))
    digest = hashlib.sha256(f"harbour {time.monotonic_ns()}".encode()).hexdigest()
    work = Work.objects.create(title="Harbour light", created_by=ada, mime="image/png", size=10,
                               sha256=digest, iscc="ISCC:KEC0001TESTCODE", terms_sha256="0" * 64)
    Owner.objects.create(work=work, user=ada, address=user_address(ada.pk), bps=6_000, position=0)
    Owner.objects.create(work=work, user=ben, address=user_address(ben.pk), bps=4_000, position=1)
    registration_submit(work=work)
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    accounts_fund([user_address(dana.pk)])
    server = AsgiServer.start(**shared)
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="default,chain", **shared)
    base, certificate = server.url, f"/works/{work.public_id}/"
    contexts: list[Any] = []
    try:
        # Ada proposes a licence for sale on the certificate; with 60 % of the shares it publishes.
        context, page = log_in(browser, base, ada, certificate)
        contexts.append(context)
        page.locator("#offers summary").click()
        form = page.locator("#offer-form")
        form.locator("input[name=title]").fill("Festival screening")
        form.locator("select[name=licence]").select_option("cc-by-nc-4.0")
        form.locator("input[name=territory]").fill("Europe")
        form.locator("input[name=price]").fill("0.02")
        form.locator("input[name=max_quantity]").fill("5")
        page.screenshot(path=str(SHOTS / "licences-offer-form.png"), full_page=True)
        form.get_by_role("button", name="Propose the offer").click()
        page.wait_for_url(re.compile(re.escape(certificate) + "#offers$"))
        offer = Offer.objects.get()
        item = page.locator(f'#offers [data-offer="{offer.offer_id}"]')
        expect(item).to_be_visible()
        deadline = time.monotonic() + CHAIN_TIMEOUT / 1000
        while Offer.objects.get().status != "active":
            assert time.monotonic() < deadline, "the offer was not published"
            time.sleep(0.5)
        page.reload()
        expect(item).to_have_attribute("data-status", "active")

        # Dana reads the offer and buys it; her licence shows under My licences, then on Verify.
        context, page = log_in(browser, base, dana, f"/licences/offers/{offer.offer_id}/")
        contexts.append(context)
        expect(page.locator("#offer-price")).to_have_text("0.02 ETH")
        expect(page.locator("#offer-terms")).to_contain_text("Territory: Europe")
        expect(page.get_by_text("Sales are final: there are no refunds.")).to_be_visible()
        page.screenshot(path=str(SHOTS / "licences-offer.png"), full_page=True)
        page.get_by_role("button", name="Buy for 0.02 ETH").click()  # the box is not ticked
        expect(page.locator("#buy-form input[name=accept]")).to_be_visible()  # (the browser asks first)
        page.locator("#buy-form input[name=accept]").check()
        page.get_by_role("button", name="Buy for 0.02 ETH").click()
        page.wait_for_url(re.compile(r"/licences/$"))
        row = page.locator("#licence-list [data-purchase]")
        expect(row).to_have_count(1)
        deadline = time.monotonic() + CHAIN_TIMEOUT / 1000
        while row.get_attribute("data-status") != "confirmed":
            assert time.monotonic() < deadline, "the purchase was not confirmed"
            time.sleep(0.5)
            page.reload()
        page.screenshot(path=str(SHOTS / "licences-mine.png"), full_page=True)
        assert licensing().functions.balanceOf(user_address(dana.pk), int(offer.offer_id, 16)).call() == 1
        row.get_by_role("link", name="Verify").click()
        expect(page.get_by_text(f"{user_address(dana.pk)} holds licence “Festival screening”")).to_be_visible(
            timeout=TIMEOUT)

        # Each co-owner sees their share under Earnings and withdraws it.
        after_fee = 2 * 10**16 - 2 * 10**16 * 250 // 10_000
        for person, bps, shown in ((ada, 6_000, "0.0117 ETH"), (ben, 4_000, "0.0078 ETH")):
            context, page = log_in(browser, base, person, "/earnings/")
            contexts.append(context)
            withdrawable = page.locator('#balances tr[data-currency="native"] .withdrawable')
            deadline = time.monotonic() + CHAIN_TIMEOUT / 1000
            while withdrawable.inner_text() != shown:  # once the indexer read the sale
                assert time.monotonic() < deadline, f"{person.username}'s earnings never showed"
                time.sleep(1)
                page.reload()
            native = page.locator('#balances tr[data-currency="native"]')
            native.get_by_role("button", name="Withdraw").click()
            page.wait_for_url(re.compile(r"/earnings/$"))
            deadline = time.monotonic() + CHAIN_TIMEOUT / 1000
            while withdrawable.inner_text() != "0 ETH":
                assert time.monotonic() < deadline, "the withdrawal was not mined"
                time.sleep(0.5)
                page.reload()
            assert not licensing().functions.owed(NATIVE, user_address(person.pk)).call()
            paid = Payment.objects.get(kind="withdrawal", payee=user_address(person.pk))
            assert int(paid.amount) == after_fee * bps // 10_000 and paid.to == user_address(person.pk)
            expect(page.locator("#history")).to_contain_text(f"Withdrawn to {user_address(person.pk)}")
        page.screenshot(path=str(SHOTS / "licences-earnings.png"), full_page=True)
    finally:
        for context in contexts:
            context.close()
        worker.stop()
        server.stop()
        keys._platform_key.cache_clear()
