"""factory_boy factories for accounts. Every user's password is DEFAULT_PASSWORD unless given."""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from accounts.models import ApiToken, User
from accounts.tokens import token_generate

DEFAULT_PASSWORD = "loom-test-password-7391"


class UserFactory(DjangoModelFactory[User]):
    """A user whose e-mail address is verified; `UserFactory(verified=False)` for one who has
    not followed the link yet (as after signing up)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        verified = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    display_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    preferred_language = "en"
    email_verified_at = factory.Maybe("verified", yes_declaration=factory.LazyFunction(timezone.now),
                                      no_declaration=None)

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        """`UserFactory(password="...")` sets that password; otherwise DEFAULT_PASSWORD."""
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class ApiTokenFactory(DjangoModelFactory[ApiToken]):
    """An active token with the default scopes (read, write, generate) unless `scopes=[...]`
    is given; the raw secret is on the instance as `.raw` (never stored)."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token {n}")

    @classmethod
    def _create(cls, model_class: type[ApiToken], *args: object, **kwargs: object) -> ApiToken:
        raw, prefix, digest = token_generate()
        kwargs.setdefault("prefix", prefix)
        kwargs.setdefault("key_hash", digest)
        token = super()._create(model_class, *args, **kwargs)
        token.raw = raw
        return token


def image_file(name: str = "avatar.png", *, fmt: str = "PNG", size: tuple[int, int] = (32, 32),
               color: tuple[int, int, int] = (200, 40, 40)) -> SimpleUploadedFile:
    """A real image made with Pillow, as an upload."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")
