"""Serving a render's files over the API: for generation's own views, and for the apps above that
show renders (the gallery serves published ones). Public, like services and selectors."""

from pathlib import Path

from django.http import HttpResponseBase
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from rest_framework.request import Request
from storages.backends.s3 import S3Storage

from generation.models import Asset
from kernel.errors import NotFound
from kernel.ranges import file_response

CONTENT_TYPES = {".mp4": "video/mp4", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg"}
# A file as its type (a byte range: 206), or a redirect to object storage.
MEDIA_RESPONSES: dict[object, object] = {
    **{(code, kind): bytes for code in (200, 206) for kind in CONTENT_TYPES.values()}, 302: None}


def asset_media_response(request: Request, asset: Asset, name: str, *, filename: str) -> HttpResponseBase:
    """One of an asset's files (byte ranges answered); `?download=1` saves it as `filename`. From
    object storage (S3) the answer is a redirect to a link signed for a few minutes. Permissions
    are the caller's to check."""
    field = getattr(asset, name) if name in Asset.FILES else None
    if not field:
        raise NotFound(_("This asset has no %(name)s.") % {"name": name})
    suffix = Path(field.name).suffix
    filename = f"{filename}{suffix}"
    download = request.query_params.get("download") in ("1", "true")
    if isinstance(field.storage, S3Storage):
        parameters = {"ResponseContentType": CONTENT_TYPES.get(suffix, "application/octet-stream")}
        if download:
            parameters["ResponseContentDisposition"] = content_disposition_header(True, filename) or ""
        return redirect(field.storage.url(field.name, parameters=parameters))
    response = file_response(request, field.open("rb"), size=field.size, filename=filename,
                             content_type=CONTENT_TYPES.get(suffix), as_attachment=download)
    response["Cache-Control"] = "private, max-age=3600"
    return response
