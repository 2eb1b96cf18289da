import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import selectors, services
from accounts.models import ApiToken, Plan, User
from kernel.errors import Conflict, NotFound, QuotaExceeded, ValidationFailed
from tests.accounts.factories import DEFAULT_PASSWORD, ApiTokenFactory, UserFactory, image_file

pytestmark = pytest.mark.django_db

STRONG = "weaving-looms-at-dawn-81"


def signup(**overrides: str) -> User:
    fields = {"username": "ada", "email": "ada@example.com", "password": STRONG}
    return services.user_signup(**{**fields, **overrides})


# --- sign-up ---


def test_signup_creates_a_user_with_a_hashed_password() -> None:
    user = signup(username="  ada ", email=" Ada@Example.COM ", display_name=" Ada L. ",
                  preferred_language="zh-hans")
    user.refresh_from_db()
    assert user.username == "ada"
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada L."
    assert user.preferred_language == "zh-hans"
    assert user.plan == Plan.FREE
    assert user.password != STRONG
    assert user.check_password(STRONG)


@pytest.mark.parametrize("username", ["ADA", "Ada", "ada"])
def test_signup_refuses_a_taken_username_whatever_its_case(username: str) -> None:
    UserFactory(username="Ada", email="first@example.com")
    with pytest.raises(ValidationFailed) as caught:
        signup(username=username)
    assert set(caught.value.fields) == {"username"}
    assert User.objects.count() == 1


def test_signup_refuses_a_taken_email_whatever_its_case() -> None:
    UserFactory(email="ada@example.com")
    with pytest.raises(ValidationFailed) as caught:
        signup(username="someone-else", email="ADA@example.com")
    assert set(caught.value.fields) == {"email"}


def test_signup_reports_every_taken_field_at_once() -> None:
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(ValidationFailed) as caught:
        signup()
    assert set(caught.value.fields) == {"username", "email"}
    assert caught.value.code == "invalid"


@pytest.mark.parametrize("password", ["123", "password123", "12345678901", "ada-example"])
def test_signup_refuses_a_weak_password(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        signup(password=password)
    assert set(caught.value.fields) == {"password"}
    assert caught.value.fields["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["bad name", "semi;colon", "x" * 151, "", "émoji🙂"])
def test_signup_refuses_an_invalid_username(username: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        signup(username=username)
    assert "username" in caught.value.fields
    assert not User.objects.exists()


def test_signup_refuses_an_invalid_email_and_language() -> None:
    with pytest.raises(ValidationFailed) as caught:
        signup(email="not-an-address", preferred_language="xx")
    assert set(caught.value.fields) == {"email", "preferred_language"}


# --- profile ---


def test_profile_update_changes_the_allowed_fields() -> None:
    user = UserFactory()
    services.profile_update(user=user, display_name="  Weaver  ", bio="  spaces kept ",
                            preferred_language="zh-hans")
    user.refresh_from_db()
    assert user.display_name == "Weaver"
    assert user.bio == "  spaces kept "
    assert user.preferred_language == "zh-hans"
    assert user.name == "Weaver"


def test_profile_update_refuses_other_fields_and_invalid_values() -> None:
    user = UserFactory(display_name="Before")
    with pytest.raises(ValidationFailed) as caught:
        services.profile_update(user=user, username="new", plan="pro")
    assert set(caught.value.fields) == {"username", "plan"}
    with pytest.raises(ValidationFailed) as caught:
        services.profile_update(user=user, email="not an address", display_name="After")
    assert set(caught.value.fields) == {"email"}
    with pytest.raises(ValidationFailed) as caught:
        services.profile_update(user=user, preferred_language="klingon", display_name="x" * 81)
    assert set(caught.value.fields) == {"preferred_language", "display_name"}
    user.refresh_from_db()
    assert user.display_name == "Before"
    assert user.preferred_language == "en"


def test_avatar_is_saved_and_the_old_one_deleted_after_commit(
        media_root: Path, django_capture_on_commit_callbacks) -> None:
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(user=user, avatar=image_file("me.png"))
    first = Path(user.avatar.path)
    assert first.is_file()
    assert first.suffix == ".png"
    assert first.is_relative_to(media_root)
    assert first.name != "me.png"  # stored under a generated name

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.profile_update(user=user, avatar=image_file("again.png", color=(0, 0, 255)))
    second = Path(user.avatar.path)
    assert second.is_file() and second != first
    assert first.is_file(), "the old avatar must survive until the transaction commits"
    for callback in callbacks:
        callback()
    assert not first.exists()
    assert second.is_file()
    user.refresh_from_db()
    assert Path(user.avatar.path) == second


def test_avatar_extension_follows_the_content_not_the_name(media_root: Path) -> None:
    user = UserFactory()
    services.profile_update(user=user, avatar=image_file("photo.png", fmt="JPEG"))
    assert user.avatar.name.endswith(".jpg")


def test_remove_avatar_deletes_the_file_after_commit(
        media_root: Path, django_capture_on_commit_callbacks) -> None:
    user = UserFactory()
    services.profile_update(user=user, avatar=image_file())
    path = Path(user.avatar.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(user=user, remove_avatar=True)
    user.refresh_from_db()
    assert not user.avatar
    assert not path.exists()


def _assert_avatar_refused(user: User, upload: SimpleUploadedFile, media_root: Path) -> str:
    with pytest.raises(ValidationFailed) as caught:
        services.profile_update(user=user, avatar=upload)
    assert set(caught.value.fields) == {"avatar"}
    user.refresh_from_db()
    assert not user.avatar
    assert not [path for path in media_root.rglob("*") if path.is_file()]
    return caught.value.fields["avatar"][0]


def test_a_text_file_named_png_is_refused(media_root: Path) -> None:
    upload = SimpleUploadedFile("evil.png", b"#!/bin/sh\necho not an image\n",
                                content_type="image/png")
    message = _assert_avatar_refused(UserFactory(), upload, media_root)
    assert "PNG" in message  # says which formats are allowed


def test_a_truncated_png_is_refused(media_root: Path) -> None:
    data = image_file(size=(64, 64)).read()
    upload = SimpleUploadedFile("cut.png", data[:60], content_type="image/png")
    _assert_avatar_refused(UserFactory(), upload, media_root)


def test_an_image_format_outside_the_list_is_refused(media_root: Path) -> None:
    message = _assert_avatar_refused(UserFactory(), image_file("a.bmp", fmt="BMP"), media_root)
    assert "JPEG" in message


def test_an_image_over_the_byte_limit_is_refused(settings, media_root: Path) -> None:
    upload = image_file(size=(64, 64))
    settings.AVATAR_MAX_BYTES = len(upload.read()) - 1
    _assert_avatar_refused(UserFactory(), upload, media_root)


def test_an_avatar_over_the_real_byte_limit_is_refused(settings, media_root: Path) -> None:
    upload = SimpleUploadedFile("big.png", image_file().read() + b"\0" * settings.AVATAR_MAX_BYTES,
                                content_type="image/png")
    message = _assert_avatar_refused(UserFactory(), upload, media_root)
    assert "MB" in message


def test_an_image_over_the_pixel_limit_is_refused(settings, media_root: Path) -> None:
    upload = image_file(size=(settings.AVATAR_MAX_PIXELS + 1, 1))
    assert upload.size < settings.AVATAR_MAX_BYTES
    _assert_avatar_refused(UserFactory(), upload, media_root)


def test_an_image_at_the_pixel_limit_is_accepted(settings, media_root: Path) -> None:
    settings.AVATAR_MAX_PIXELS = 40
    user = UserFactory()
    services.profile_update(user=user, avatar=image_file(size=(40, 40)))
    assert user.avatar


# --- password, plan ---


def test_password_change() -> None:
    user = UserFactory()
    services.password_change(user=user, old_password=DEFAULT_PASSWORD, new_password=STRONG)
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert not user.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_the_current_password() -> None:
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.password_change(user=user, old_password="wrong", new_password=STRONG)
    assert set(caught.value.fields) == {"old_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_refuses_a_weak_password() -> None:
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.password_change(user=user, old_password=DEFAULT_PASSWORD, new_password="1234")
    assert set(caught.value.fields) == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_user_set_plan() -> None:
    user = UserFactory()
    services.user_set_plan(user=user, plan="pro")
    user.refresh_from_db()
    assert user.plan == Plan.PRO
    with pytest.raises(ValidationFailed) as caught:
        services.user_set_plan(user=user, plan="platinum")
    assert set(caught.value.fields) == {"plan"}


def test_demo_users_ensure_creates_once() -> None:
    users = services.demo_users_ensure(password_for={"alice": "a-Password-1", "bob": "b-Pass-2"})
    assert [u.username for u in users] == ["alice", "bob"]
    assert users[0].check_password("a-Password-1")
    again = services.demo_users_ensure(password_for={"alice": "other", "bob": "other"})
    assert [u.pk for u in again] == [u.pk for u in users]
    assert User.objects.get(username="alice").check_password("a-Password-1")


# --- e-mail verification ---


def verify_link(address: str) -> tuple[str, str]:
    body = [m for m in mail.outbox if m.to == [address]][-1].body
    uidb64, token = body.split("/accounts/verify/", 1)[1].split()[0].strip("/").split("/")
    return uidb64, token


def test_signup_leaves_the_address_unverified_and_mails_a_link() -> None:
    user = signup(email="Ada@Example.com")
    assert user.email_verified_at is None and not user.email_verified
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert "Verify your e-mail address" in mail.outbox[0].subject
    uidb64, token = verify_link("ada@example.com")
    verified = services.email_verify(uidb64=uidb64, token=token)
    assert verified == user
    user.refresh_from_db()
    assert user.email_verified
    with pytest.raises(ValidationFailed) as caught:  # once only
        services.email_verify(uidb64=uidb64, token=token)
    assert caught.value.code == "link_invalid"


@pytest.mark.parametrize(("uidb64", "token"), [
    ("", ""), ("!!", "x-y"), ("MTAwMDAwMA", "abc-def"), ("bm90LWEtbnVtYmVy", "abc-def")])
def test_forged_links_verify_nothing(uidb64: str, token: str) -> None:
    UserFactory(verified=False)
    with pytest.raises(ValidationFailed):
        services.email_verify(uidb64=uidb64, token=token)


def test_a_link_for_one_user_does_not_verify_another() -> None:
    ada, bob = signup(), signup(username="bob", email="bob@example.com")
    _, ada_token = verify_link("ada@example.com")
    bob_uid, _ = verify_link("bob@example.com")
    with pytest.raises(ValidationFailed):
        services.email_verify(uidb64=bob_uid, token=ada_token)
    ada.refresh_from_db()
    bob.refresh_from_db()
    assert not ada.email_verified and not bob.email_verified


def test_changing_the_address_resets_verification_and_mails_the_new_one() -> None:
    user = UserFactory(email="old@example.com")
    assert user.email_verified
    services.profile_update(user=user, email=" New@Example.com ")
    user.refresh_from_db()
    assert (user.email, user.email_verified_at) == ("new@example.com", None)
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    mail.outbox.clear()
    services.profile_update(user=user, email="NEW@example.com", display_name="Same address")
    assert mail.outbox == []  # the same address (case aside) is no change
    taken = UserFactory(email="taken@example.com")
    with pytest.raises(ValidationFailed) as caught:
        services.profile_update(user=user, email="TAKEN@example.com")
    assert set(caught.value.fields) == {"email"}
    assert user.email == "new@example.com"  # the refused value does not stick
    assert taken.email == "taken@example.com"


def test_resending_is_limited_and_pointless_once_verified() -> None:
    user = signup()
    mail.outbox.clear()
    for _ in range(services.RESEND_LIMIT):
        services.email_verification_resend(user=user)
    assert len(mail.outbox) == services.RESEND_LIMIT
    with pytest.raises(QuotaExceeded):
        services.email_verification_resend(user=user)
    with pytest.raises(Conflict) as caught:
        services.email_verification_resend(user=UserFactory())
    assert caught.value.code == "already_verified"


def test_demo_users_are_verified() -> None:
    [demo] = services.demo_users_ensure(password_for={"demo": STRONG})
    assert demo.email_verified
    legacy = UserFactory(username="legacy", email="legacy@storyloom.local", verified=False)
    [again] = services.demo_users_ensure(password_for={"legacy": STRONG})
    assert again.pk == legacy.pk and again.email_verified


def test_password_change_can_revoke_every_token() -> None:
    user = UserFactory()
    tokens = [ApiTokenFactory(user=user), ApiTokenFactory(user=user)]
    kept = services.password_change(user=user, old_password=DEFAULT_PASSWORD,
                                    new_password="another-fine-pass-1")
    assert kept == 0
    assert all(selectors.user_for_token(raw=t.raw) == user for t in tokens)
    revoked = services.password_change(user=user, old_password="another-fine-pass-1",
                                       new_password="and-yet-another-2", revoke_tokens=True)
    assert revoked == 2
    assert all(selectors.user_for_token(raw=t.raw) is None for t in tokens)


# --- API tokens ---


def test_token_scopes_and_expiry_are_validated() -> None:
    user = UserFactory()
    token, _ = services.token_create(user=user, name="default")
    assert (token.scopes, token.expires_at) == (["read", "write", "generate"], None)
    token, _ = services.token_create(user=user, name="ordered", scopes=["TOKENS", "read", "read"],
                                     expires_in_days=7)
    assert token.scopes == ["read", "tokens"] and token.expires_at is not None
    bad_inputs: list[dict[str, Any]] = [{"scopes": []}, {"scopes": ["admin"]},
                                        {"expires_in_days": 0}, {"expires_in_days": 5000}]
    for bad in bad_inputs:
        with pytest.raises(ValidationFailed):
            services.token_create(user=user, name="bad", **bad)
    assert not ApiToken.objects.filter(name="bad").exists()


def test_an_expired_token_authenticates_nobody() -> None:
    token = ApiTokenFactory(expires_at=timezone.now() - timedelta(seconds=1))
    assert not token.is_active and token.is_expired
    assert selectors.user_for_token(raw=token.raw) is None
    assert "expired" in (selectors.token_refusal(token) or "")


def test_token_create_stores_only_the_sha256_of_the_secret() -> None:
    user = UserFactory()
    token, raw = services.token_create(user=user, name="  laptop ")
    assert raw.startswith(f"slm_{token.prefix}_")
    assert len(raw) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["name"] == "laptop"
    assert row["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    secret = raw.rsplit("_", 1)[1]
    for column, value in row.items():
        assert raw not in str(value), column
        assert secret not in str(value), column
    assert selectors.user_for_token(raw=raw) == user


def test_token_names_are_unique_among_active_tokens() -> None:
    user = UserFactory()
    first, _ = services.token_create(user=user, name="ci")
    with pytest.raises(ValidationFailed) as caught:
        services.token_create(user=user, name="ci")
    assert set(caught.value.fields) == {"name"}
    services.token_create(user=UserFactory(), name="ci")  # another user's names are theirs
    services.token_revoke(user=user, token_id=first.pk)
    again, _ = services.token_create(user=user, name="ci")  # a revoked name may be reused
    assert again.pk != first.pk


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_token_needs_a_name(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.token_create(user=UserFactory(), name=name)
    assert set(caught.value.fields) == {"name"}


def test_active_tokens_are_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 2)
    user = UserFactory()
    services.token_create(user=user, name="one")
    two, _ = services.token_create(user=user, name="two")
    with pytest.raises(ValidationFailed):
        services.token_create(user=user, name="three")
    services.token_revoke(user=user, token_id=two.pk)
    services.token_create(user=user, name="three")


def test_a_revoked_token_no_longer_authenticates() -> None:
    token = ApiTokenFactory()
    assert selectors.user_for_token(raw=token.raw) == token.user
    revoked = services.token_revoke(user=token.user, token_id=token.pk)
    assert revoked.revoked_at is not None and not revoked.is_active
    assert selectors.user_for_token(raw=token.raw) is None
    when = revoked.revoked_at
    assert services.token_revoke(user=token.user, token_id=token.pk).revoked_at == when


def test_nobody_revokes_someone_elses_token() -> None:
    token = ApiTokenFactory()
    with pytest.raises(NotFound):
        services.token_revoke(user=UserFactory(), token_id=token.pk)
    with pytest.raises(NotFound):
        services.token_revoke(user=token.user, token_id=token.pk + 1000)
    token.refresh_from_db()
    assert token.is_active


def test_user_for_token_rejects_bad_tokens_and_records_use() -> None:
    token = ApiTokenFactory()
    assert token.last_used_at is None
    assert selectors.user_for_token(raw=token.raw[:-1] + ("A" if token.raw[-1] != "A" else "B")) \
        is None
    assert selectors.user_for_token(raw="xyz_" + token.raw[4:]) is None
    assert selectors.user_for_token(raw="") is None
    assert selectors.user_for_token(raw=token.raw) == token.user
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.user.is_active = False
    token.user.save()
    assert selectors.user_for_token(raw=token.raw) is None


def test_token_list_is_the_users_own() -> None:
    mine = ApiTokenFactory()
    ApiTokenFactory()
    assert list(selectors.token_list(user=mine.user)) == [mine]


def test_user_find_by_username_or_email_ignoring_case() -> None:
    user = UserFactory(username="Weaver", email="weaver@example.com")
    UserFactory(username="gone", is_active=False)
    assert selectors.user_find(identifier=" weaver ") == user
    assert selectors.user_find(identifier="WEAVER@example.com") == user
    assert selectors.user_find(identifier="gone") is None
    assert selectors.user_find(identifier="nobody") is None
