"""What a finished render leaves behind, made directly: its job and its asset's files."""

import hashlib

from django.core.files.base import ContentFile

from accounts.models import User
from generation.models import Asset, Job, JobKind, JobStatus
from projects.models import Project


def image_render(project: Project, requester: User, data: bytes, *, size: int, prompt: str,
                 seed: int = 0) -> Asset:
    """A succeeded image job of the project and its asset, the PNG `data` (size x size) as its file,
    poster and thumbnail."""
    job = Job.objects.create(project=project, requester=requester, kind=JobKind.IMAGE, preset="tiny-pixart",
                             prompt=prompt, width=size, height=size, steps=1, guidance=3.0, seed=seed,
                             status=JobStatus.SUCCEEDED, progress=100.0)
    asset = Asset(job=job, project=project, kind=JobKind.IMAGE, width=size, height=size,
                  sha256=hashlib.sha256(data).hexdigest())
    for name, filename in (("file", "output.png"), ("poster", "poster.png"), ("thumbnail", "thumb.png")):
        getattr(asset, name).save(filename, ContentFile(data), save=False)
    asset.save()
    return asset
