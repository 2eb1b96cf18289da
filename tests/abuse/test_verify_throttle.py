"""Issue 13, rate limits on verification: `/verify/` and `/api/v1/verify` need no account, and each
verification fingerprints a file or reads the chain. Seen before: neither had a limit of its own
(the API only the general anonymous one, the page none at all).

A client's verifications through the page and the API count together, per client address by the
TRUSTED_PROXIES rule (REST_FRAMEWORK["NUM_PROXIES"]): never per an X-Forwarded-For it wrote."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SHA = "ab" * 32
ATTACKER, OTHER = "203.0.113.77", "198.51.100.8"


@pytest.fixture(autouse=True)
def three_a_minute(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": "3/min"}}


def api_verify(address: str, **meta: str):
    return APIClient().get("/api/v1/verify", {"query": SHA}, REMOTE_ADDR=address, **meta)


def page_verify(address: str, **meta: str):
    return Client().get("/verify/", {"query": SHA}, REMOTE_ADDR=address, **meta)


def test_the_api_refuses_a_client_past_the_rate_with_429_in_the_error_shape() -> None:
    assert [api_verify(ATTACKER).status_code for _ in range(3)] == [200, 200, 200]
    refused = api_verify(ATTACKER)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert api_verify(OTHER).status_code == 200  # another client is not held back


def test_the_page_and_the_api_count_together_and_the_page_says_when_to_come_back() -> None:
    assert page_verify(ATTACKER).status_code == 200
    assert api_verify(ATTACKER).status_code == 200
    upload = Client().post("/verify/", {}, REMOTE_ADDR=ATTACKER)  # a file form sent (empty): counted
    assert upload.status_code == 400
    refused = page_verify(ATTACKER)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many verifications from your address" in refused.content.decode()
    assert api_verify(ATTACKER).status_code == 429
    assert Client().get("/verify/", REMOTE_ADDR=ATTACKER).status_code == 200  # the empty page is free


def test_a_made_up_x_forwarded_for_does_not_open_new_buckets() -> None:
    statuses = [api_verify(ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    statuses = [page_verify(OTHER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_signing_in_does_not_open_a_new_bucket() -> None:
    api = APIClient()
    api.force_login(UserFactory())
    statuses = [api.get("/api/v1/verify", {"query": SHA}, REMOTE_ADDR=ATTACKER).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api_verify(ATTACKER).status_code == 429


def test_behind_one_trusted_proxy_the_address_it_saw_counts(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    for _ in range(3):
        assert api_verify(proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}").status_code == 200
    assert api_verify(proxy, HTTP_X_FORWARDED_FOR=f"5.6.7.8, {ATTACKER}").status_code == 429
    assert api_verify(proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {OTHER}").status_code == 200
