"""A work's registration state as its project's members see it change (event "work" on the
project's live stream)."""

from collections.abc import Iterable

from projects.services import project_event_send
from rights.models import Work


def works_announce(work_ids: Iterable[int]) -> None:
    """Tell each work's project (after commit) where its registration stands."""
    for work in Work.objects.filter(pk__in=list(work_ids), project__isnull=False):
        assert work.project_id is not None
        project_event_send(project_id=work.project_id, event="work", payload={
            "id": work.public_id, "title": work.title, "status": work.status,
            "status_label": str(work.get_status_display()), "block_number": work.block_number})
