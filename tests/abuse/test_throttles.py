"""The anonymous throttle counts per client address, not per an address the client makes up."""

from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle


def ident(**meta: str) -> str:
    return AnonRateThrottle().get_ident(Request(RequestFactory().get("/api/v1/verify", **meta)))


def test_a_made_up_x_forwarded_for_does_not_open_a_new_bucket() -> None:
    assert ident(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == "203.0.113.7"
    assert ident(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.2") == "203.0.113.7"


def test_behind_one_trusted_proxy_the_address_it_saw_counts(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The proxy appends the address it saw; whatever the client put before it does not count.
    assert ident(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7") == "203.0.113.7"
