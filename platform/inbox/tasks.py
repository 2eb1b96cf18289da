from celery import shared_task

from inbox.services import digests_send as digests_send_service
from inbox.services import notifications_prune as notifications_prune_service


@shared_task(name="inbox.tasks.digests_send")
def digests_send() -> int:
    return digests_send_service()


@shared_task(name="inbox.tasks.notifications_prune")
def notifications_prune() -> int:
    return notifications_prune_service()
