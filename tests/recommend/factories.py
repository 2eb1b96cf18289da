"""Published works with real files, made the way owners make them (recommend.services)."""

import hashlib
import io

from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import User
from generation.models import Asset, Job, JobKind, JobStatus
from projects.models import Project
from recommend.models import Publication
from recommend.services import publication_publish

_COLOURS = {"ocean": (30, 90, 200), "forest": (30, 140, 60), "city": (120, 120, 130),
            "desert": (220, 180, 90)}


def render(project: Project, requester: User, *, prompt: str, seed: int = 0) -> Asset:
    """A finished image render of the project (a small real PNG)."""
    job = Job.objects.create(project=project, requester=requester, kind=JobKind.IMAGE, preset="tiny-pixart",
                             prompt=prompt, width=256, height=256, steps=1, guidance=3.0, seed=seed,
                             status=JobStatus.SUCCEEDED, progress=100.0)
    colour = next((c for word, c in _COLOURS.items() if word in prompt), (200, 60, 60))
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), tuple((c + seed * 7) % 256 for c in colour)).save(buffer, "PNG")
    data = buffer.getvalue()
    asset = Asset(job=job, project=project, kind=JobKind.IMAGE, width=32, height=32,
                  sha256=hashlib.sha256(data + str(job.pk).encode()).hexdigest())
    for name in ("file", "poster", "thumbnail"):
        getattr(asset, name).save(f"{name}.png", ContentFile(data), save=False)
    asset.save()
    return asset


def publish(project: Project, owner: User, *, title: str, tags: list[str], prompt: str = "",
            seed: int = 0) -> Publication:
    asset = render(project, owner, prompt=prompt or f"{title}, {' '.join(tags)}", seed=seed)
    return publication_publish(project=project, user=owner, asset_id=asset.pk, title=title, tags=tags)
