from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from rights.metadata import work_metadata
from rights.models import Batch, Work


def metadata(request: HttpRequest, work_id: str) -> JsonResponse:
    """The metadata a registration's URI points at: public, as the chain record is."""
    work = get_object_or_404(Work.objects.prefetch_related("owners"), public_id=work_id)
    return JsonResponse(work_metadata(work), json_dumps_params={"indent": 2})


def batch(request: HttpRequest, root: str) -> JsonResponse:
    """A batch's works with their leaves and proofs: what anyone needs to check each against the
    anchored root."""
    found = get_object_or_404(Batch, root=root)
    entries = found.entries.select_related("work")
    return JsonResponse({"root": found.root, "count": found.count, "status": found.status, "works": [
        {"id": e.work.public_id, "sha256": e.work.sha256, "index": e.index, "leaf": e.leaf, "proof": e.proof}
        for e in entries]}, json_dumps_params={"indent": 2})
