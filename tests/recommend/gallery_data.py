"""Published works for the gallery's page and browser tests: real renders (small PNG files written
to MEDIA_ROOT, a finished Job and its Asset) published through recommend.services."""

import io
from collections.abc import Iterable

import numpy as np
from PIL import Image

from accounts.models import User
from generation.models import Asset
from projects.models import Project
from recommend.models import Publication
from recommend.services import publication_publish
from rights.models import RegistrationMode, Work, WorkStatus
from tests.generation.factories import image_render

COLOURS = {"ocean": (20, 90, 170), "forest": (30, 120, 50), "city": (150, 150, 160), "desert": (200, 160, 90)}


def png(seed: int, colour: tuple[int, int, int] = (120, 120, 120), size: int = 96) -> bytes:
    """A small real picture: a colour with some noise (distinct per seed)."""
    rng = np.random.default_rng(seed)
    base = np.array(colour, dtype=np.float32)
    pixels = np.clip(base + rng.normal(0, 40, (8, 8, 3)), 0, 255).astype(np.uint8)
    picture = Image.fromarray(pixels).resize((size, size), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def image_asset(project: Project, user: User, *, seed: int = 0, prompt: str = "a harbour at dawn",
                colour: tuple[int, int, int] = (120, 120, 120)) -> Asset:
    """A finished image render of the project, requested by `user`."""
    return image_render(project, user, png(seed, colour), size=96, prompt=prompt, seed=seed)


def publish(project: Project, owner: User, *, title: str, tags: Iterable[str], seed: int = 0,
            prompt: str = "", description: str = "", licence: str = "") -> Publication:
    """A render of the project, published by its owner with these tags."""
    tags = list(tags)
    colour = COLOURS.get(tags[0], (120, 120, 120)) if tags else (120, 120, 120)
    asset = image_asset(project, owner, seed=seed, prompt=prompt or title, colour=colour)
    return publication_publish(project=project, user=owner, asset_id=asset.pk, title=title,
                               description=description, tags=tags, language="en", licence=licence)


def register(asset: Asset, by: User, *, licence: str = "cc-by-nc-4.0") -> Work:
    """The render registered on the chain (as the chain's confirmation leaves it)."""
    return Work.objects.create(title="Registered", created_by=by, project=asset.project, asset=asset,
                               mime="image/png", size=100, sha256=asset.sha256, iscc="ISCC:TEST",
                               licence=licence, terms_sha256="0" * 64, mode=RegistrationMode.SINGLE,
                               block_number=7, status=WorkStatus.REGISTERED, registrant="0x" + "ab" * 20)
