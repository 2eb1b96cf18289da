from celery import shared_task

from collab.services import document_compact as document_compact_service


@shared_task(name="collab.tasks.document_compact")
def document_compact(*, document_id: int) -> int:
    return document_compact_service(document_id=document_id)
