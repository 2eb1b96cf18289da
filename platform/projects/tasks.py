from celery import shared_task

from projects.services import invitations_expire as invitations_expire_service


@shared_task(name="projects.tasks.invitations_expire")
def invitations_expire() -> int:
    return invitations_expire_service()
