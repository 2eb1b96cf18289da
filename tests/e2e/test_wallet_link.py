"""Linking a wallet of one's own in a real browser (static/js/src/account/wallet.js): a scripted
EIP-1193 provider stands in for the browser wallet, answering eth_requestAccounts, eth_accounts,
eth_chainId and personal_sign, its signatures made in Python with a fixed test key. The page
talks to it through `window.ethereum.request` only, as to any wallet."""

from typing import Any

import pytest
from eth_account.messages import encode_defunct

from accounts import selectors
from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.accounts.wallets import wallet_key
from tests.e2e.helpers import log_in

TIMEOUT = 15_000
KEY = wallet_key(0xA11CE)

# `mode`: "sign" signs through the Python side; "reject" refuses as a person who declines would
# (EIP-1193's code 4001).
PROVIDER = """(() => {
  const address = %(address)r;
  const mode = %(mode)r;
  window.__walletCalls = [];
  const refused = (code, message) => Object.assign(new Error(message), { code });
  window.ethereum = {
    async request({ method, params }) {
      window.__walletCalls.push(method);
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [address.toLowerCase()];
        case "eth_chainId":
          return "0x7a69";
        case "personal_sign":
          if (mode === "reject") throw refused(4001, "User rejected the request.");
          return await window.__walletSign(params[0], params[1]);
        default:
          throw refused(4200, "Unsupported method: " + method);
      }
    },
    on() {},
    removeListener() {},
  };
})()"""


def _wallet(page: Any, mode: str, asked: list[str]) -> None:
    """The scripted provider in the page, on every load; what it was asked to sign goes in `asked`."""

    def sign(hex_message: str, address: str) -> str:
        assert address.lower() == KEY.address.lower()
        data = bytes.fromhex(hex_message.removeprefix("0x"))
        asked.append(data.decode("utf-8"))
        signature = KEY.sign_message(encode_defunct(primitive=data)).signature.hex()
        return signature if signature.startswith("0x") else "0x" + signature

    page.expose_function("__walletSign", sign)
    page.add_init_script(PROVIDER % {"address": KEY.address, "mode": mode})


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_person_links_their_wallet_with_a_signature_and_unlinks_it(browser: Any,
                                                                     live_server_url: str) -> None:
    from playwright.sync_api import expect

    user: User = UserFactory(username="walletholder")
    asked: list[str] = []
    context, page = log_in(browser, live_server_url, user, "/accounts/profile/",
                           before=lambda page: _wallet(page, "sign", asked))
    try:
        expect(page.locator("#wallet-state")).to_have_attribute("data-state", "custodial")
        page.click("#wallet-link")
        expect(page.locator("#wallet-address")).to_have_text(KEY.address, timeout=TIMEOUT)
        expect(page.locator("#wallet-state")).to_have_attribute("data-state", "linked")
        host = live_server_url.split("://", 1)[1]
        assert len(asked) == 1
        assert asked[0].startswith(f"{host} wants you to sign in with your Ethereum account:\n"
                                   f"{KEY.address}\n\nLink this wallet to your Storyloom account "
                                   "walletholder to receive payouts")
        assert page.evaluate("window.__walletCalls") == []  # (a new page after the reload)
        assert selectors.linked_wallet(user.pk) == KEY.address

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#wallet-unlink")
        expect(page.locator("#wallet-state")).to_have_attribute("data-state", "custodial", timeout=TIMEOUT)
        expect(page.locator(".messages .message--success")).to_contain_text(
            f"The wallet {KEY.address} is unlinked")
        assert selectors.linked_wallet(user.pk) is None
    finally:
        context.close()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_no_wallet_and_a_declined_signature_say_so_and_link_nothing(browser: Any,
                                                                   live_server_url: str) -> None:
    from playwright.sync_api import expect

    user: User = UserFactory()
    context, page = log_in(browser, live_server_url, user, "/accounts/profile/")  # no provider at all
    try:
        page.click("#wallet-link")
        expect(page.locator("#wallet-status")).to_have_text(
            "No browser wallet found: install one, or keep using the platform's custodial address.")
    finally:
        context.close()

    asked: list[str] = []
    context, page = log_in(browser, live_server_url, user, "/accounts/profile/",
                           before=lambda page: _wallet(page, "reject", asked))
    try:
        page.click("#wallet-link")
        expect(page.locator("#wallet-status")).to_have_text(
            "You declined in your wallet: nothing was linked.", timeout=TIMEOUT)
        assert page.evaluate("window.__walletCalls") == ["eth_requestAccounts", "personal_sign"]
        expect(page.locator("#wallet-link")).to_be_enabled()  # to try again
        expect(page.locator("#wallet-state")).to_have_attribute("data-state", "custodial")
        assert asked == [] and selectors.linked_wallet(user.pk) is None
    finally:
        context.close()
