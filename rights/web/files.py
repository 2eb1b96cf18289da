from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404

from kernel.errors import NotFound
from kernel.files import content_disposition, download_name
from kernel.ranges import file_response
from rights.metadata import work_metadata
from rights.models import IN_FLIGHT, Batch, Work
from rights.selectors import work_get


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
