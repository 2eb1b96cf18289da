from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from kernel.errors import NotFound
from kernel.files import content_disposition, download_name
from kernel.ranges import file_response
from rights.metadata import work_metadata
from rights.models import IN_FLIGHT, Batch, Work
from rights.money import amount_display
from rights.selectors import offer_get, work_get


def metadata(request: HttpRequest, work_id: str) -> JsonResponse:
    """The metadata a registration's URI points at: public, as the chain record is."""
    work = get_object_or_404(Work.objects.prefetch_related("owners"), public_id=work_id)
    return JsonResponse(work_metadata(work), json_dumps_params={"indent": 2})


def registered_metadata(request: HttpRequest, sha256: str) -> JsonResponse:
    """The metadata of the work registered (or being registered) with this content hash: where
    the registry's metadata URI template points."""
    work = get_object_or_404(Work.objects.prefetch_related("owners"), sha256=sha256.lower(),
                             status__in=IN_FLIGHT)
    return JsonResponse(work_metadata(work), json_dumps_params={"indent": 2})


def batch(request: HttpRequest, root: str) -> JsonResponse:
    """A batch's works with their leaves and proofs: what anyone needs to check each against the
    anchored root."""
    found = get_object_or_404(Batch, root=root)
    entries = found.entries.select_related("work")
    return JsonResponse({"root": found.root, "count": found.count, "status": found.status, "works": [
        {"id": e.work.public_id, "sha256": e.work.sha256, "index": e.index, "leaf": e.leaf, "proof": e.proof}
        for e in entries]}, json_dumps_params={"indent": 2})


def licence_token(request: HttpRequest, token_id: str) -> JsonResponse:
    """The ERC-1155 metadata of a licence token (the licensing contract's URI: its id as 64 lowercase
    hex digits): what the licence is, for wallets and marketplaces. Public once its offer is."""
    if len(token_id) != 64 or not all(c in "0123456789abcdef" for c in token_id):
        raise Http404
    try:
        offer = offer_get(offer_id="0x" + token_id, user=request.user)
    except NotFound:
        raise Http404 from None
    site = settings.SITE_URL.rstrip("/")
    work = offer.work
    return JsonResponse({
        "name": f"{offer.title}: {work.title}",
        "description": offer.terms,
        "external_url": site + reverse("works:offer", args=[offer.offer_id]),
        "properties": {
            "work": work.public_id, "content_hash": f"0x{work.sha256}",
            "terms_sha256": f"0x{offer.terms_sha256}", "licence": offer.licence,
            "commercial": offer.commercial, "remix_allowed": offer.remix_allowed,
            "upstream_bps": offer.upstream_bps,
            "territory": offer.territory, "duration_days": offer.duration_days,
            "price": amount_display(offer.price, offer.currency), "edition_size": offer.max_quantity or None,
            "certificate": site + reverse("works:detail", args=[work.public_id]),
        },
    }, json_dumps_params={"indent": 2})


def work_file(request: HttpRequest, work_id: str) -> HttpResponseBase:
    """An uploaded work's file, for its makers, owners and project members only (the public
    certificate shows its fingerprints, not the file); `?download=1` saves it. Always as the type
    its bytes were sniffed as when it was uploaded, named after its title: never as the name or
    type the uploader gave."""
    try:
        work = work_get(work_id=work_id, user=request.user)
    except NotFound:
        raise Http404 from None
    if not work.file:
        raise Http404
    download = request.GET.get("download") in ("1", "true")
    response = file_response(request, work.file.open("rb"), size=work.file.size, content_type=work.mime,
                             filename=download_name(work.title, work.mime), as_attachment=download)
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition(work.title, work.mime, attachment=download)
    response["Cache-Control"] = "private, max-age=3600"
    return response
