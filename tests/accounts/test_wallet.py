"""Linking a wallet of one's own by signing in with Ethereum (EIP-4361): the message the server
composes, the good link, and one test per attack (another key, a replay, a message changed by the
client, a challenge issued to someone else, a wallet already linked elsewhere, bad shapes, the rate)."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from eth_account import Account
from eth_account.messages import encode_defunct
from rest_framework.test import APIClient

from accounts import selectors, services
from accounts.models import User, Wallet
from tests.accounts.factories import ApiTokenFactory, UserFactory
from tests.core.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

CHALLENGE = "/api/v1/profile/wallet/challenge"
WALLET = "/api/v1/profile/wallet"
KEY = Account.from_key("0x" + "4c" * 32)  # fixed test keys, never funded anywhere
OTHER_KEY = Account.from_key("0x" + "7d" * 32)
THIRD_KEY = Account.from_key("0x" + "2a" * 32)


def sign(message: str, key: Any = KEY) -> str:
    """What a wallet's personal_sign answers: EIP-191 over the message's UTF-8, 0x and 130 hex."""
    signature = key.sign_message(encode_defunct(text=message)).signature.hex()
    return signature if signature.startswith("0x") else "0x" + signature


def challenge(api: APIClient, address: str = KEY.address) -> dict[str, Any]:
    response = api.post(CHALLENGE, {"address": address}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def link(api: APIClient, message: str, signature: str) -> Any:
    return api.post(WALLET, {"message": message, "signature": signature}, format="json")


@pytest.fixture
def user() -> User:
    ada: User = UserFactory(username="ada")
    return ada


@pytest.fixture
def api(user: User) -> APIClient:
    return client_for(user)


# --- the message --------------------------------------------------------------------------------


def test_the_challenge_is_an_eip_4361_message_naming_this_site_the_account_and_the_chain(
        api: APIClient, user: User, settings: Any) -> None:
    got = challenge(api, KEY.address.lower())  # any letter case in, EIP-55 in the message
    lines = got["message"].split("\n")
    assert lines[0] == "testserver wants you to sign in with your Ethereum account:"
    assert lines[1] == KEY.address == got["address"]
    assert lines[2] == "" and lines[4] == ""
    assert lines[3] == ("Link this wallet to your Storyloom account ada to receive payouts and hold "
                        "licences.")
    assert lines[5] == "URI: http://testserver/accounts/profile/"
    assert lines[6] == "Version: 1"
    assert lines[7] == f"Chain ID: {settings.CHAIN_ID}"
    assert re.fullmatch(r"Nonce: [A-Za-z0-9]{8,}", lines[8])
    issued = re.fullmatch(r"Issued At: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", lines[9])
    expires = re.fullmatch(r"Expiration Time: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", lines[10])
    assert issued and expires and len(lines) == 11
    issued_at = datetime.fromisoformat(issued.group(1))
    expires_at = datetime.fromisoformat(expires.group(1))
    assert expires_at - issued_at == timedelta(seconds=settings.WALLET_CHALLENGE_TTL_S)
    assert datetime.fromisoformat(got["expires_at"]) == expires_at


def test_every_challenge_has_a_fresh_nonce(api: APIClient) -> None:
    nonces = {re.search(r"^Nonce: (\w+)$", challenge(api)["message"], re.M).group(1)
              for _ in range(5)}
    assert len(nonces) == 5


def test_a_name_eip_4361_does_not_allow_in_a_statement_is_replaced_by_the_account_number() -> None:
    user = UserFactory(username="灯塔")
    got = challenge(client_for(user))
    assert f"your Storyloom account #{user.pk} to receive" in got["message"]


def test_the_domain_is_the_host_django_validated(user: User, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["storyloom.example"]
    api = client_for(user)
    got = api.post(CHALLENGE, {"address": KEY.address}, format="json", HTTP_HOST="storyloom.example")
    assert got.json()["message"].startswith("storyloom.example wants you to sign in")
    refused = api.post(CHALLENGE, {"address": KEY.address}, format="json", HTTP_HOST="evil.example")
    assert refused.status_code == 400  # (Django's DisallowedHost: no message for another site)


# --- the good link ------------------------------------------------------------------------------


def test_a_signed_challenge_links_the_wallet(api: APIClient, user: User, settings: Any) -> None:
    got = challenge(api)
    response = link(api, got["message"], sign(got["message"]))
    assert response.status_code == 200, response.content
    assert response.json()["address"] == KEY.address
    assert response.json()["chain_id"] == settings.CHAIN_ID
    assert api.get(WALLET).json() == response.json()
    assert selectors.linked_wallet(user.pk) == KEY.address
    assert selectors.wallet_owner(KEY.address) == user.pk
    assert selectors.wallet_owner(KEY.address.lower()) == user.pk
    assert selectors.linked_wallets([user.pk, UserFactory().pk]) == {user.pk: KEY.address}
    wallet = Wallet.objects.get(user=user)  # the proof is kept
    assert Account.recover_message(encode_defunct(text=wallet.message),
                                   signature=wallet.signature) == KEY.address


def test_linking_another_wallet_replaces_the_first(api: APIClient, user: User) -> None:
    for key in (KEY, OTHER_KEY):
        got = challenge(api, key.address)
        assert link(api, got["message"], sign(got["message"], key)).status_code == 200
    assert selectors.linked_wallet(user.pk) == OTHER_KEY.address
    assert selectors.wallet_owner(KEY.address) is None
    assert Wallet.objects.filter(user=user).count() == 1


def test_nobody_has_a_linked_wallet_until_they_link_one(api: APIClient, user: User) -> None:
    assert_error(api.get(WALLET), 404, "no_wallet")
    assert selectors.linked_wallet(user.pk) is None
    assert selectors.wallet_owner(KEY.address) is None
    assert selectors.wallet_owner("not an address") is None


# --- attacks ------------------------------------------------------------------------------------


def test_a_signature_by_another_key_is_refused_and_uses_up_the_challenge(api: APIClient, user: User) -> None:
    got = challenge(api)
    error = assert_error(link(api, got["message"], sign(got["message"], OTHER_KEY)), 400,
                         "signature_invalid", fields={"signature"})
    assert KEY.address in error["message"]
    # The right signature now comes too late: the challenge answered once.
    assert_error(link(api, got["message"], sign(got["message"])), 400, "challenge_invalid",
                 fields={"message"})
    assert selectors.linked_wallet(user.pk) is None


def test_a_replayed_signature_is_refused(api: APIClient, user: User) -> None:
    got = challenge(api)
    signature = sign(got["message"])
    assert link(api, got["message"], signature).status_code == 200
    services.wallet_unlink(user=user)
    assert_error(link(api, got["message"], signature), 400, "challenge_invalid", fields={"message"})
    assert selectors.linked_wallet(user.pk) is None


def _altered(message: str, change: str) -> tuple[str, Any]:
    """The message as a client changed it, and the key that signs the changed one."""
    if change == "nonce":
        return re.sub(r"^Nonce: \w+$", "Nonce: AAAAAAAAAAAAAAAAAAAA", message, flags=re.M), KEY
    if change == "domain":
        return message.replace("testserver wants", "evil.example wants", 1), KEY
    if change == "address":  # the message names a key the attacker holds
        return message.replace(KEY.address, OTHER_KEY.address), OTHER_KEY
    if change == "expiry":
        stamp = re.search(r"^Expiration Time: (.+)$", message, re.M).group(1)
        later = (datetime.fromisoformat(stamp) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return message.replace(f"Expiration Time: {stamp}", f"Expiration Time: {later}"), KEY
    if change == "statement":
        return message.replace("account ada", "account mallory"), KEY
    if change == "trailing line":
        return message + "\nResources:\n- https://evil.example/", KEY
    raise AssertionError(change)


@pytest.mark.parametrize("change", ["nonce", "domain", "address", "expiry", "statement", "trailing line"])
def test_a_message_changed_by_the_client_is_refused(api: APIClient, user: User, change: str) -> None:
    got = challenge(api)
    message, key = _altered(got["message"], change)
    assert message != got["message"]
    assert_error(link(api, message, sign(message, key)), 400, "challenge_invalid", fields={"message"})
    assert selectors.linked_wallet(user.pk) is None


def test_an_expired_challenge_is_refused(api: APIClient, user: User, settings: Any) -> None:
    settings.WALLET_CHALLENGE_TTL_S = 0  # expired as soon as it is issued
    got = challenge(api)
    assert_error(link(api, got["message"], sign(got["message"])), 400, "challenge_expired",
                 fields={"message"})
    assert selectors.linked_wallet(user.pk) is None


def test_a_challenge_issued_to_another_account_is_refused_and_stays_theirs(api: APIClient,
                                                                           user: User) -> None:
    got = challenge(api)
    signature = sign(got["message"])
    mallory = client_for(UserFactory(username="mallory"))
    assert_error(link(mallory, got["message"], signature), 400, "challenge_invalid", fields={"message"})
    assert selectors.wallet_owner(KEY.address) is None
    # Mallory's try did not use it up: the account it was issued to still links with it.
    assert link(api, got["message"], signature).status_code == 200
    assert selectors.wallet_owner(KEY.address) == user.pk


def test_a_wallet_linked_to_another_account_is_refused(api: APIClient, user: User) -> None:
    got = challenge(api)
    assert link(api, got["message"], sign(got["message"])).status_code == 200
    other = UserFactory()
    theirs = client_for(other)
    got = challenge(theirs)  # (the challenge does not tell who holds an address)
    error = assert_error(link(theirs, got["message"], sign(got["message"])), 409, "wallet_taken",
                         fields={"address"})
    assert "another Storyloom account" in error["message"]
    assert selectors.wallet_owner(KEY.address) == user.pk
    assert selectors.linked_wallet(other.pk) is None


def test_a_message_the_server_never_issued_is_refused(api: APIClient) -> None:
    message = ("testserver wants you to sign in with your Ethereum account:\n" + KEY.address +
               "\n\nLink this wallet.\n\nURI: http://testserver/\nVersion: 1\nChain ID: 31337\n"
               "Nonce: abcdefgh12345678\nIssued At: 2030-01-01T00:00:00Z")
    assert_error(link(api, message, sign(message)), 400, "challenge_invalid", fields={"message"})
    assert_error(link(api, "hello", sign("hello")), 400, "challenge_invalid", fields={"message"})


def test_a_signature_that_signs_nothing_is_refused(api: APIClient) -> None:
    got = challenge(api)
    assert_error(link(api, got["message"], "0x" + "00" * 65), 400, "signature_invalid",
                 fields={"signature"})


# --- bad shapes ---------------------------------------------------------------------------------


GOOD_SIGNATURE = "0x" + "ab" * 65


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"message", "signature"}),
    ({"message": "x"}, {"signature"}),
    ({"signature": GOOD_SIGNATURE}, {"message"}),
    ({"message": "x", "signature": "0x" + "zz" * 65}, {"signature"}),  # not hex
    ({"message": "x", "signature": "0x" + "ab" * 64}, {"signature"}),  # 64 bytes
    ({"message": "x", "signature": "0x" + "ab" * 66}, {"signature"}),  # 66 bytes
    ({"message": "x", "signature": "ab" * 65}, {"signature"}),  # no 0x
    ({"message": "x", "signature": 12345}, {"signature"}),
    ({"message": ["x"], "signature": GOOD_SIGNATURE}, {"message"}),
    ({"message": "x" * 2001, "signature": GOOD_SIGNATURE}, {"message"}),
    ({"message": "", "signature": ""}, {"message", "signature"}),
])
def test_bad_link_bodies_get_400_naming_the_field(api: APIClient, body: dict[str, Any],
                                                  fields: set[str]) -> None:
    assert_error(api.post(WALLET, body, format="json"), 400, "invalid", fields=fields)


@pytest.mark.parametrize("address", [
    "", "0x123", "not an address", "0x" + "g" * 40, KEY.address[2:], KEY.address + "00", 42,
    KEY.address[:2] + KEY.address[2:].swapcase(),  # mixed case, the checksum broken: a typo
])
def test_bad_addresses_get_400_naming_the_field(api: APIClient, address: Any) -> None:
    assert_error(api.post(CHALLENGE, {"address": address}, format="json"), 400, "invalid",
                 fields={"address"})
    assert_error(api.post(CHALLENGE, {}, format="json"), 400, "invalid", fields={"address"})


def test_a_body_that_is_not_json_is_refused_in_the_error_shape(api: APIClient) -> None:
    response = api.post(WALLET, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


# --- who may, and how often ---------------------------------------------------------------------


def test_nobody_signed_out_may(user: User) -> None:
    anonymous = APIClient()
    for response in (anonymous.post(CHALLENGE, {"address": KEY.address}, format="json"),
                     anonymous.get(WALLET), anonymous.delete(WALLET),
                     anonymous.post(WALLET, {"message": "x", "signature": GOOD_SIGNATURE}, format="json")):
        assert_error(response, 401, "not_authenticated")


def test_a_session_needs_the_csrf_token(user: User) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    error = assert_error(browser.post(CHALLENGE, {"address": KEY.address}, format="json"), 403,
                         "permission_denied")
    assert "CSRF" in error["message"]


def test_an_api_token_needs_the_rights_scope_to_link(user: User) -> None:
    reader = ApiTokenFactory(user=user, scopes=["read", "write"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {reader.raw}"}
    api = APIClient()
    assert_error(api.post(CHALLENGE, {"address": KEY.address}, format="json", **bearer), 403,
                 "token_scope")
    assert_error(api.delete(WALLET, **bearer), 403, "token_scope")
    assert_error(api.get(WALLET, **bearer), 404, "no_wallet")  # reading needs `read` only
    rights = ApiTokenFactory(user=user, scopes=["rights"])
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {rights.raw}"}
    got = api.post(CHALLENGE, {"address": KEY.address}, format="json", **bearer).json()
    assert api.post(WALLET, {"message": got["message"], "signature": sign(got["message"])},
                    format="json", **bearer).status_code == 200


def test_challenges_are_limited_per_account(user: User, settings: Any) -> None:
    settings.ACCOUNT_THROTTLE_RATES = {**settings.ACCOUNT_THROTTLE_RATES, "wallet_challenge": "3/min"}
    session = client_for(user)
    for _ in range(3):
        challenge(session)
    error = assert_error(session.post(CHALLENGE, {"address": KEY.address}, format="json"), 429, "throttled")
    assert error["message"]
    # The same account through an API token is the same budget; another account has its own.
    token = ApiTokenFactory(user=user, scopes=["rights"])
    assert_error(APIClient().post(CHALLENGE, {"address": KEY.address}, format="json",
                                  HTTP_AUTHORIZATION=f"Bearer {token.raw}"), 429, "throttled")
    challenge(client_for(UserFactory()))


# --- unlinking ----------------------------------------------------------------------------------


def test_unlinking_in_the_api(api: APIClient, user: User) -> None:
    got = challenge(api)
    link(api, got["message"], sign(got["message"]))
    assert api.delete(WALLET).status_code == 204
    assert selectors.linked_wallet(user.pk) is None
    assert_error(api.get(WALLET), 404, "no_wallet")
    assert_error(api.delete(WALLET), 404, "no_wallet")


# --- the profile page ---------------------------------------------------------------------------


def test_the_profile_shows_the_linked_wallet_without_scripts_and_unlinks_it(user: User) -> None:
    page = Client()
    page.force_login(user)
    before = page.get(reverse("accounts:profile")).content.decode()
    assert 'id="wallet"' in before and 'data-state="custodial"' in before
    assert 'id="wallet-link"' in before and 'id="wallet-unlink"' not in before
    api = client_for(user)
    got = challenge(api)
    link(api, got["message"], sign(got["message"]))
    after = page.get(reverse("accounts:profile")).content.decode()
    assert f'<code id="wallet-address" class="wallet__address">{KEY.address}</code>' in after
    response = page.post(reverse("accounts:wallet_unlink"), follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile") + "#wallet", 302)]
    assert f"The wallet {KEY.address} is unlinked" in response.content.decode()
    assert selectors.linked_wallet(user.pk) is None


def test_unlinking_on_the_page_needs_the_csrf_token_and_a_post(user: User) -> None:
    got = challenge(client_for(user))
    link(client_for(user), got["message"], sign(got["message"]))
    page = Client(enforce_csrf_checks=True)
    page.force_login(user)
    assert page.post(reverse("accounts:wallet_unlink")).status_code == 403
    assert page.get(reverse("accounts:wallet_unlink")).status_code == 405
    assert selectors.linked_wallet(user.pk) == KEY.address
    assert Client().post(reverse("accounts:wallet_unlink")).status_code == 302  # to the log-in page
    assert selectors.linked_wallet(user.pk) == KEY.address
