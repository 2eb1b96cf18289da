"""The account pages: sign up, log in/out, password change and reset, profile, API tokens."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.avatar_views import avatar_url
from accounts.models import ApiToken, User
from tests.accounts.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory, image_file

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-loom-pass-4410"


def html(response) -> str:
    return response.content.decode()


# --- sign up, log in, log out ---------------------------------------------------------------


def test_signup_page_renders_for_anonymous_users(client: Client) -> None:
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 200
    page = html(response)
    for name in ("username", "email", "display_name", "password1", "password2"):
        assert f'name="{name}"' in page
    assert '<meta name="viewport"' in page


def test_signup_logs_in_and_redirects_to_the_dashboard(client: Client) -> None:
    response = client.post(reverse("accounts:signup"), {
        "username": "ada", "email": "Ada@Example.com", "display_name": "Ada L.",
        "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}, follow=True)
    assert response.redirect_chain[0] == (reverse("home"), 302)
    user = User.objects.get(username="ada")
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada L."
    assert client.session[SESSION_KEY] == str(user.pk)
    assert "Welcome to Storyloom, Ada L.!" in html(response)
    # and the account works for a fresh log-in
    client.post(reverse("accounts:logout"))
    assert SESSION_KEY not in client.session
    response = client.post(reverse("accounts:login"),
                           {"username": "ada", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_signup_errors_are_shown_on_the_fields_and_keep_the_input(client: Client) -> None:
    UserFactory(username="taken", email="taken@example.com")
    response = client.post(reverse("accounts:signup"), {
        "username": "taken", "email": "other@example.com", "display_name": "Keep Me",
        "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD})
    assert response.status_code == 400
    page = html(response)
    assert "This username is taken." in page
    assert "The account could not be created." in page
    assert 'value="Keep Me"' in page and 'value="other@example.com"' in page
    assert User.objects.filter(email="other@example.com").count() == 0


def test_signup_rejects_weak_and_mismatched_passwords(client: Client) -> None:
    response = client.post(reverse("accounts:signup"), {
        "username": "bea", "email": "bea@example.com",
        "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 400
    assert "This password is entirely numeric." in html(response)
    response = client.post(reverse("accounts:signup"), {
        "username": "bea", "email": "bea@example.com",
        "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD + "x"})
    assert response.status_code == 400
    assert "The two passwords differ." in html(response)
    assert not User.objects.filter(username="bea").exists()


def test_signup_keeps_the_language_of_the_page(client: Client) -> None:
    client.cookies["django_language"] = "zh-hans"
    client.post(reverse("accounts:signup"), {
        "username": "lin", "email": "lin@example.com",
        "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD})
    assert User.objects.get(username="lin").preferred_language == "zh-hans"


def test_login_accepts_username_or_email_and_reports_bad_credentials(client: Client) -> None:
    user = UserFactory(username="cleo", email="cleo@example.com")
    response = client.post(reverse("accounts:login"),
                           {"username": "cleo@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {"username": "cleo", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct" in html(response)
    assert 'value="cleo"' in html(response)


def test_login_follows_next_and_logged_in_users_skip_the_form(client: Client) -> None:
    UserFactory(username="dora")
    target = reverse("accounts:tokens")
    response = client.post(reverse("accounts:login") + f"?next={target}",
                           {"username": "dora", "password": DEFAULT_PASSWORD, "next": target})
    assert response.url == target
    assert client.get(reverse("accounts:login")).status_code == 302
    assert client.get(reverse("accounts:signup")).status_code == 302


def test_logout_is_a_post_and_says_so(client: Client) -> None:
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert SESSION_KEY not in client.session
    assert "You are logged out." in html(response)


@pytest.mark.parametrize("name", ["accounts:profile", "accounts:tokens",
                                  "accounts:password_change", "projects:list",
                                  "projects:invitations"])
def test_private_pages_send_anonymous_users_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={reverse(name)}"


# --- password change and reset --------------------------------------------------------------


def test_password_change_checks_the_current_password(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    assert "The current password is wrong." in html(response)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert response.status_code == 400
    assert "This password is too short." in html(response)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your password was changed." in html(response)
    assert client.session[SESSION_KEY] == str(user.pk)  # still signed in on this browser
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_by_email_link(client: Client) -> None:
    user = UserFactory(email="reset@example.com")
    assert client.get(reverse("accounts:password_reset")).status_code == 200
    response = client.post(reverse("accounts:password_reset"), {"email": "reset@example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert client.get(response.url).status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your Storyloom password"
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)

    response = client.get(link)  # Django swaps the token for a session and redirects
    assert response.status_code == 302
    set_password_url = response.url
    page = html(client.get(set_password_url))
    assert 'name="new_password1"' in page
    response = client.post(set_password_url,
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("accounts:password_reset_complete")
    assert client.get(response.url).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # the link works once only
    assert "This link does not work" in html(client.get(link, follow=True))


def test_password_reset_does_not_reveal_unknown_addresses(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


# --- profile --------------------------------------------------------------------------------


def test_profile_page_shows_the_current_values(client: Client) -> None:
    user = UserFactory(display_name="Eve Q.", bio="I draw boards.")
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    page = html(response)
    assert 'value="Eve Q."' in page and "I draw boards." in page
    assert 'enctype="multipart/form-data"' in page


def test_profile_update_with_a_real_png_avatar(client: Client, media_root: Path) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {
        "email": user.email, "display_name": "Fay", "bio": "Storyboards at night.",
        "preferred_language": "en",
        "avatar": image_file("me.png", size=(64, 48))}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile"), 302)]
    assert "Your profile was saved." in html(response)
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Fay", "Storyboards at night.")
    assert user.avatar.name.endswith(".png")
    assert (media_root / user.avatar.name).is_file()
    assert f'src="{avatar_url(user)}"' in html(response)  # the preview of the current avatar
    assert 'name="remove_avatar"' in html(response)

    response = client.post(reverse("accounts:profile"), {
        "email": user.email, "display_name": "Fay", "bio": "", "preferred_language": "en",
        "remove_avatar": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar


def test_profile_rejects_a_file_that_is_not_an_image(client: Client, media_root: Path) -> None:
    user = UserFactory(display_name="Gus")
    client.force_login(user)
    fake = SimpleUploadedFile("evil.png", b"<?php echo 'not an image'; ?>",
                              content_type="image/png")
    response = client.post(reverse("accounts:profile"), {
        "email": user.email, "display_name": "Gus Renamed", "bio": "", "preferred_language": "en",
        "avatar": fake})
    assert response.status_code == 400
    page = html(response)
    assert "The avatar is not a readable image." in page
    assert "Upload an image in one of these formats: GIF, JPEG, PNG, WEBP." in page
    assert 'value="Gus Renamed"' in page  # what the user typed is kept in the form
    user.refresh_from_db()
    assert user.display_name == "Gus" and not user.avatar
    assert "Signed in as Gus." in page  # the header shows the saved name, not the refused one


def test_profile_language_preference_applies_at_once(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("accounts:profile"), {
        "email": user.email, "display_name": "", "bio": "", "preferred_language": "zh-hans"},
        follow=True)
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    assert client.cookies["django_language"].value == "zh-hans"
    assert '<html lang="zh-hans">' in html(response)


def test_profile_rejects_an_unknown_language(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {
        "email": user.email, "display_name": "", "bio": "", "preferred_language": "klingon"})
    assert response.status_code == 400
    assert "Select a valid choice." in html(response)


# --- e-mail verification --------------------------------------------------------------------

VERIFY_LINK = re.compile(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/[^/\s]+/)")


def test_signup_mails_a_verification_link_that_the_page_follows(client: Client) -> None:
    response = client.post(reverse("accounts:signup"), {
        "username": "vera", "email": "Vera@Example.com", "display_name": "",
        "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}, follow=True)
    assert "We sent a link to vera@example.com" in html(response)
    [message] = mail.outbox
    assert message.to == ["vera@example.com"]
    path = VERIFY_LINK.search(message.body).group(1)

    profile = html(client.get(reverse("accounts:profile")))
    assert "not verified" in profile
    assert reverse("accounts:verify_email_resend") in profile

    response = client.get(path)
    assert response.status_code == 200
    page = html(response)
    assert "Your e-mail address is verified" in page
    assert "<script>" not in page and "style=" not in page
    assert User.objects.get(username="vera").email_verified
    profile = html(client.get(reverse("accounts:profile")))
    assert "not verified" not in profile and reverse("accounts:verify_email_resend") not in profile

    again = client.get(path)  # used: it says the address is verified already
    assert "already verified" in html(again)
    anonymous = Client().get(path)
    assert anonymous.status_code == 400
    assert "This link does not work" in html(anonymous)


def test_a_forged_link_is_refused_with_a_clear_page(client: Client) -> None:
    response = client.get(reverse("accounts:verify_email", args=["MQ", "abc-123"]))
    assert response.status_code == 400
    assert "invalid or has expired" in html(response)


def test_the_resend_button(client: Client) -> None:
    user = UserFactory(verified=False)
    client.force_login(user)
    assert client.get(reverse("accounts:verify_email_resend")).status_code == 405
    response = client.post(reverse("accounts:verify_email_resend"), follow=True)
    assert f"We sent a new link to {user.email}" in html(response)
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_changing_the_address_on_the_profile_page(client: Client) -> None:
    user = UserFactory(email="before@example.com")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {
        "email": "After@Example.com", "display_name": "", "bio": "", "preferred_language": "en"},
        follow=True)
    assert "We sent a link to after@example.com" in html(response)
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("after@example.com", False)
    assert [m.to for m in mail.outbox] == [["after@example.com"]]


# --- API tokens -----------------------------------------------------------------------------


def test_token_secret_is_shown_once_then_only_the_prefix(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:tokens"), {
        "name": "render script", "scopes": ["read", "write", "generate"], "expires_in_days": ""})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = html(response)
    secret = re.search(r'id="token-secret"[^>]*value="(slm_[^"]+)"', page).group(1)
    token = ApiToken.objects.get(user=user.pk, name="render script")
    assert secret.startswith(f"slm_{token.prefix}_")
    assert "this is the only time it is shown" in page

    page = html(client.get(reverse("accounts:tokens")))
    assert secret not in page
    assert f"slm_{token.prefix}_…" in page
    assert "render script" in page and "Never" in page
    # the secret works against the API
    response = Client().get("/api/v1/profile", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_token_create_errors_keep_the_input(client: Client) -> None:
    token = ApiTokenFactory(name="laptop")
    client.force_login(token.user)
    response = client.post(reverse("accounts:tokens"), {"name": "laptop", "scopes": ["read"],
                                                        "expires_in_days": "30"})
    assert response.status_code == 400
    page = html(response)
    assert "A token with this name exists." in page
    assert "Choose a name you have not used for an active token." in page
    assert 'id="token-secret"' not in page
    assert ApiToken.objects.filter(user=token.user.pk).count() == 1
    response = client.post(reverse("accounts:tokens"), {"name": "no scopes", "expires_in_days": "7"})
    assert response.status_code == 400
    assert 'value="no scopes"' in html(response)
    assert ApiToken.objects.filter(user=token.user.pk).count() == 1


def test_token_revoke(client: Client) -> None:
    token = ApiTokenFactory(name="old cli")
    client.force_login(token.user)
    page = html(client.get(reverse("accounts:tokens")))
    assert reverse("accounts:token_revoke", args=[token.pk]) in page
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "was revoked" in html(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    page = html(response)
    assert "Revoked" in page
    assert reverse("accounts:token_revoke", args=[token.pk]) not in page


def test_tokens_of_others_are_neither_listed_nor_revocable(client: Client) -> None:
    theirs = ApiTokenFactory(name="their token")
    client.force_login(UserFactory())
    assert "their token" not in html(client.get(reverse("accounts:tokens")))
    response = client.post(reverse("accounts:token_revoke", args=[theirs.pk]), follow=True)
    assert "No such token." in html(response)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
