from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from rights.metadata import work_metadata
from rights.models import Work


def metadata(request: HttpRequest, work_id: str) -> JsonResponse:
    """The metadata a registration's URI points at: public, as the chain record is."""
    work = get_object_or_404(Work.objects.prefetch_related("owners"), public_id=work_id)
    return JsonResponse(work_metadata(work), json_dumps_params={"indent": 2})
