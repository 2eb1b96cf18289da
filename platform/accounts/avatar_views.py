"""Avatars, served by a view (never from a media folder by path): public, as a profile picture
is, only ever as the image type the stored bytes are, and cacheable for as long as the avatar
stays the same (its URL carries a version)."""

import hashlib

from django.core.files.storage import Storage
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.models import User
from kernel.files import IMAGE_TYPES, extension_for, mime_for_name, sniff_image
from kernel.ranges import file_response

FOREVER = "public, max-age=31536000, immutable"  # the URL changes with the avatar
BRIEFLY = "public, max-age=300"  # an old or missing version: check again soon


def _version(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:12]


def _local(storage: Storage) -> bool:
    try:
        storage.path("")
    except NotImplementedError:
        return False
    return True


def avatar_url(user: User | None) -> str:
    """Where `user`'s avatar is shown from ("" when they have none)."""
    if user is None or not user.avatar:
        return ""
    return f"{reverse('accounts:avatar', args=[user.pk])}?v={_version(user.avatar.name)}"


@require_safe
def avatar(request: HttpRequest, user_id: int) -> HttpResponseBase:
    user = User.objects.filter(pk=user_id, is_active=True).only("avatar").first()
    if user is None or not user.avatar:
        raise Http404
    field = user.avatar
    mime = mime_for_name(field.name)  # stored names carry the sniffed type (accounts.services)
    if mime not in IMAGE_TYPES:
        raise Http404
    cache = FOREVER if request.GET.get("v") == _version(field.name) else BRIEFLY
    if not _local(field.storage):  # object storage: a short-lived signed link
        response: HttpResponseBase = HttpResponseRedirect(field.storage.url(field.name, parameters={
            "ResponseContentType": mime, "ResponseCacheControl": BRIEFLY}))
        response["Cache-Control"] = "private, max-age=300"  # the link expires after 10 minutes
        return response
    try:
        handle = field.open("rb")
    except OSError:
        raise Http404 from None
    if sniff_image(handle.read(12)) != mime:  # bytes that are not the image the name says
        handle.close()
        raise Http404
    handle.seek(0)
    response = file_response(request, handle, size=field.size, content_type=mime,
                             filename=f"avatar.{extension_for(mime)}")
    response["Cache-Control"] = cache
    return response
