"""Issue 13, rate limits on accounts: guessing passwords, mass sign-ups, reset-mail floods and
verification-link probing, each from one client or spread over many.

Addresses follow the TRUSTED_PROXIES rule (REST_FRAMEWORK["NUM_PROXIES"]): with no proxy the
connection's address counts, never an X-Forwarded-For the client wrote itself."""

import asyncio
import re

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import AsyncClient, Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.verification import verification_path
from kernel.redis_urls import for_redis_py
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.core.helpers import assert_error

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ATTACKER, OWNER, PROXY = "203.0.113.66", "198.51.100.7", "10.0.0.2"
STRONG = "weft-and-warp-2026"


def html(response) -> str:
    return response.content.decode()


def login(client: Client, username: str, password: str, address: str, **meta: str):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address,
                       **meta)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def lockout(settings) -> None:
    """django-axes on (the test settings keep it off for the rest of the suite), locking a
    username after 3 failures from one address, or 6 from all addresses together."""
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 6
    settings.LOGIN_COOLOFF_MINUTES = 15


def rates(settings, **lowered: str) -> None:
    settings.ACCOUNT_THROTTLE_RATES = {**getattr(settings, "ACCOUNT_THROTTLE_RATES", {}), **lowered}


def assert_locked_out_page(response) -> None:
    assert response.status_code == 429
    page = html(response)
    assert "Too many failed log-in attempts" in page
    assert "15 minutes" in page
    assert reverse("accounts:password_reset") in page  # the way back in that needs no waiting
    assert '<meta name="viewport"' in page and 'class="site-header"' in page  # the site's look
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
    assert 0 < int(response["Retry-After"]) <= 15 * 60


# --- log-in lock-out ------------------------------------------------------------------------


def test_guessing_a_password_from_one_address_locks_that_address_out(lockout: None) -> None:
    UserFactory(username="ada")
    attacker = Client()
    for _ in range(2):
        assert login(attacker, "ada", "guess", ATTACKER).status_code == 200  # the form again
    assert_locked_out_page(login(attacker, "ada", "guess", ATTACKER))
    # Now even the right password is refused from there.
    assert_locked_out_page(login(attacker, "ada", DEFAULT_PASSWORD, ATTACKER))
    assert not signed_in(attacker)
    # Other spellings of the name count against the same account.
    assert_locked_out_page(login(attacker, " ADA", DEFAULT_PASSWORD, ATTACKER))
    # The owner, elsewhere, is not locked out by it.
    owner = Client()
    assert login(owner, "ada", DEFAULT_PASSWORD, OWNER).status_code == 302
    assert signed_in(owner)


def test_the_email_address_and_the_username_are_one_account_to_the_lock(lockout: None) -> None:
    UserFactory(username="bea", email="bea@example.com")
    attacker = Client()
    login(attacker, "bea@example.com", "guess", ATTACKER)
    login(attacker, "BEA@example.com", "guess", ATTACKER)
    assert_locked_out_page(login(attacker, "bea", "guess", ATTACKER))


def test_a_made_up_x_forwarded_for_does_not_escape_the_lock(lockout: None) -> None:
    UserFactory(username="cleo")
    attacker = Client()
    for n in range(3):
        login(attacker, "cleo", "guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert_locked_out_page(login(attacker, "cleo", DEFAULT_PASSWORD, ATTACKER,
                                 HTTP_X_FORWARDED_FOR="192.0.2.200"))


def test_behind_a_trusted_proxy_the_address_it_saw_counts(lockout: None, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="dora")
    attacker = Client()
    for n in range(3):  # whatever the client writes first, the proxy appends what it saw
        login(attacker, "dora", "guess", PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    assert_locked_out_page(login(attacker, "dora", DEFAULT_PASSWORD, PROXY,
                                 HTTP_X_FORWARDED_FOR=ATTACKER))
    # Everyone behind the same proxy is not the attacker.
    owner = Client()
    assert login(owner, "dora", DEFAULT_PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=OWNER).status_code == 302


def test_guesses_spread_over_many_addresses_lock_the_username_at_a_higher_limit(
        lockout: None) -> None:
    UserFactory(username="eve")
    UserFactory(username="fay")
    botnet = Client()
    for n in range(5):  # each address stays under its own limit (3)
        assert login(botnet, "eve", "guess", f"192.0.2.{n}").status_code == 200
    assert_locked_out_page(login(botnet, "eve", "guess", "192.0.2.5"))  # the 6th for the name
    # Locked everywhere, the owner too (they get the page that says how to get back in)...
    owner = Client()
    assert_locked_out_page(login(owner, "eve", DEFAULT_PASSWORD, OWNER))
    assert not signed_in(owner)
    # ...but only that account.
    assert login(owner, "fay", DEFAULT_PASSWORD, OWNER).status_code == 302


def test_a_password_reset_lets_the_owner_back_in(lockout: None) -> None:
    UserFactory(username="gus", email="gus@example.com")
    botnet = Client()
    for _ in range(3):  # locks the name at this address...
        login(botnet, "gus", "guess", ATTACKER)
    for n in range(3):  # ...and, with these, everywhere
        login(botnet, "gus", "guess", f"192.0.2.{n}")
    owner = Client()
    assert_locked_out_page(login(owner, "gus", DEFAULT_PASSWORD, OWNER))
    for _ in range(2):  # and the owner's own tries from home count there (2 of 3)
        login(owner, "gus", "forgot-it", OWNER)

    owner.post(reverse("accounts:password_reset"), {"email": "gus@example.com"}, REMOTE_ADDR=OWNER)
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body).group(1)
    set_password_url = owner.get(link, REMOTE_ADDR=OWNER).url
    response = owner.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG},
                          REMOTE_ADDR=OWNER)
    assert response.url == reverse("accounts:password_reset_complete")

    assert login(owner, "gus", STRONG, OWNER).status_code == 302
    # The attacker's address stays locked for that name, even with the new password.
    assert_locked_out_page(login(botnet, "gus", STRONG, ATTACKER))


def test_a_lock_ends_after_the_cooloff(lockout: None) -> None:
    """Every count behind a lock expires LOGIN_COOLOFF_MINUTES after the last failure: a lock
    is never for good (which would let anyone shut an account for ever)."""
    UserFactory(username="hal")
    for _ in range(3):
        login(Client(), "hal", "guess", ATTACKER)
    client = redis.Redis.from_url(for_redis_py(django_settings.REDIS_URL))
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*axes-*"))
    assert len(keys) == 2  # (username, address) and username
    for key in keys:
        assert 0 < client.ttl(key) <= 15 * 60
    client.close()


def test_the_admin_log_in_is_locked_the_same_way(lockout: None) -> None:
    UserFactory(username="ivy", is_staff=True)
    attacker = Client()
    for _ in range(3):
        response = attacker.post("/admin/login/", {"username": "ivy", "password": "guess"},
                                 REMOTE_ADDR=ATTACKER)
    assert_locked_out_page(response)


@pytest.mark.django_db(transaction=True)
def test_the_lock_holds_through_the_asgi_server_path(lockout: None) -> None:
    """Under uvicorn the middleware runs in its async form."""
    UserFactory(username="jo")

    async def attack() -> list:
        client = AsyncClient(REMOTE_ADDR=ATTACKER)
        return [await client.post(LOGIN, {"username": "jo", "password": password})
                for password in ("guess", "guess", "guess", DEFAULT_PASSWORD)]

    responses = asyncio.run(attack())
    assert [r.status_code for r in responses] == [200, 200, 429, 429]
    assert_locked_out_page(responses[-1])


# --- sign-up --------------------------------------------------------------------------------


def signup_form(name: str) -> dict[str, str]:
    return {"username": name, "email": f"{name}@example.com", "password1": STRONG,
            "password2": STRONG}


def test_signups_from_one_address_are_throttled_on_the_page_and_the_api_together(settings) -> None:
    rates(settings, signup="3/hour")
    for name in ("kai", "lou"):
        response = Client().post(reverse("accounts:signup"), signup_form(name), REMOTE_ADDR=ATTACKER)
        assert response.status_code == 302
    api = APIClient(REMOTE_ADDR=ATTACKER)
    assert api.post("/api/v1/auth/signup", {"username": "max", "email": "max@example.com",
                                            "password": STRONG}, format="json").status_code == 201
    # The 4th: refused on both, however the client names itself.
    response = api.post("/api/v1/auth/signup", {"username": "ned", "email": "ned@example.com",
                                                "password": STRONG}, format="json",
                        HTTP_X_FORWARDED_FOR="192.0.2.9")
    error = assert_error(response, 429, "throttled", fields=set())
    assert "available in" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 3600
    page = Client().post(reverse("accounts:signup"), signup_form("ned"), REMOTE_ADDR=ATTACKER)
    assert page.status_code == 429
    assert "Too many sign-ups from your network" in html(page)
    assert 'name="username"' in html(page) and 'value="ned"' in html(page)  # the form, kept
    assert 0 < int(page["Retry-After"]) <= 3600
    assert not User.objects.filter(username="ned").exists()
    # Someone at another address is not held back.
    assert Client().post(reverse("accounts:signup"), signup_form("ned"),
                         REMOTE_ADDR=OWNER).status_code == 302


def test_a_signed_in_client_is_counted_by_its_address_too(settings) -> None:
    rates(settings, signup="1/hour")
    api = APIClient(REMOTE_ADDR=ATTACKER)
    api.force_authenticate(UserFactory())
    assert api.post("/api/v1/auth/signup", {"username": "ola", "email": "ola@example.com",
                                            "password": STRONG}, format="json").status_code == 201
    anonymous = APIClient(REMOTE_ADDR=ATTACKER)
    assert_error(anonymous.post("/api/v1/auth/signup", {"username": "pia", "email": "pia@example.com",
                                                        "password": STRONG}, format="json"),
                 429, "throttled")


# --- password reset -------------------------------------------------------------------------


def reset(email: str, address: str):
    return Client().post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_resets_from_one_address_are_throttled(settings) -> None:
    rates(settings, password_reset="3/hour")
    for n in range(3):
        UserFactory(email=f"r{n}@example.com")
        assert reset(f"r{n}@example.com", ATTACKER).url == reverse("accounts:password_reset_done")
    UserFactory(email="r3@example.com")
    response = reset("r3@example.com", ATTACKER)
    assert response.status_code == 429
    assert "Too many password resets were asked for from your network" in html(response)
    assert 'value="r3@example.com"' in html(response)
    assert 0 < int(response["Retry-After"]) <= 3600
    assert len(mail.outbox) == 3
    assert reset("r3@example.com", OWNER).status_code == 302
    assert len(mail.outbox) == 4


def test_reset_mails_to_one_address_are_bounded_from_anywhere(settings) -> None:
    rates(settings, password_reset="3/hour")
    UserFactory(email="victim@example.com")
    for n in range(3):
        assert reset("Victim@example.com", f"192.0.2.{n}").status_code == 302
    response = reset("victim@example.com", "192.0.2.3")
    assert response.status_code == 429
    assert "Too many password resets were asked for this address" in html(response)
    assert len(mail.outbox) == 3
    # Another address is still served from those networks.
    UserFactory(email="other@example.com")
    assert reset("other@example.com", "192.0.2.0").status_code == 302


def test_the_reset_throttle_does_not_tell_which_addresses_have_an_account(settings) -> None:
    rates(settings, password_reset="2/hour")
    UserFactory(email="known@example.com")
    seen = {}
    for email in ("known@example.com", "unknown@example.com"):
        seen[email] = [reset(email, f"192.0.2.{n}").status_code for n in range(3)]
    assert seen["known@example.com"] == seen["unknown@example.com"] == [302, 302, 429]
    assert [m.to for m in mail.outbox] == [["known@example.com"]] * 2


# --- e-mail verification links --------------------------------------------------------------


def test_probing_verification_links_is_throttled_per_address(settings) -> None:
    rates(settings, verify_email="3/hour")
    user = UserFactory(verified=False)
    forged = reverse("accounts:verify_email", args=["MQ", "abc-123"])
    for _ in range(3):
        assert Client().get(forged, REMOTE_ADDR=ATTACKER).status_code == 400
    response = Client().get(forged, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 429
    assert "Too many verification links were opened from your network" in html(response)
    assert 0 < int(response["Retry-After"]) <= 3600
    # Someone else's real link still works from their own address.
    assert Client().get(verification_path(user), REMOTE_ADDR=OWNER).status_code == 200
    user.refresh_from_db()
    assert user.email_verified


def test_resending_the_verification_mail_is_bounded() -> None:
    """Already bounded (3 an hour per account, accounts/services.py): kept so it stays so."""
    user = UserFactory(verified=False)
    api = APIClient()
    api.force_authenticate(user)
    codes = [api.post("/api/v1/profile/email/verify").status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert len(mail.outbox) == 3


# --- bearer tokens that authenticate nobody ----------------------------------------------------


def test_guessing_bearer_tokens_is_refused_past_the_rate_even_a_right_guess(settings) -> None:
    from accounts.services import token_create, user_signup

    settings.ACCOUNT_THROTTLE_RATES = {**settings.ACCOUNT_THROTTLE_RATES, "bad_token": "3/min"}
    owner = user_signup(username="tokenowner", email="tokenowner@example.org", password="a-long-password-1")
    _token, raw = token_create(user=owner, name="ci")
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [guesser.get("/api/v1/profile", HTTP_AUTHORIZATION=f"Bearer slm_guess{n}",
                            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = guesser.get("/api/v1/profile", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    # Another address, and the owner's own, are not held back; a right token is no failure.
    owner_client = APIClient(REMOTE_ADDR="192.0.2.1")
    for _ in range(5):
        assert owner_client.get("/api/v1/profile", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


# --- the current password, checked when changing it ---------------------------------------------


def test_guessing_the_current_password_from_a_signed_in_session_is_bounded(settings) -> None:
    settings.PASSWORD_CHECK_FAILURE_LIMIT = 3
    user = UserFactory()
    api = APIClient()
    api.force_authenticate(user)
    answers = [api.post("/api/v1/profile/password", {"old_password": f"guess{n}",
                                                      "new_password": "A-new-long-password-9"},
                        format="json").status_code for n in range(4)]
    assert answers == [400, 400, 400, 429]
    right = api.post("/api/v1/profile/password", {"old_password": DEFAULT_PASSWORD,
                                                   "new_password": "A-new-long-password-9"}, format="json")
    assert right.status_code == 429 and right.json()["error"]["code"] == "throttled"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)  # not changed
    page = Client()
    page.force_login(user)
    response = page.post(reverse("accounts:password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": "A-new-long-password-9",
        "new_password2": "A-new-long-password-9"})
    assert response.status_code == 429 and "Too many wrong current passwords" in response.content.decode()
    # Another account is not held back.
    other = UserFactory()
    api.force_authenticate(other)
    assert api.post("/api/v1/profile/password", {"old_password": DEFAULT_PASSWORD,
                                                  "new_password": "A-new-long-password-9"},
                    format="json").status_code == 204
