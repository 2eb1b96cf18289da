"""factory_boy factories for notifications, made directly (bypassing notification_send)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from inbox.messages import MESSAGES
from inbox.models import Kind, Notification
from tests.accounts.factories import UserFactory


class NotificationFactory(DjangoModelFactory[Notification]):
    """An unread invitation notification; `read=True` for a read one."""

    class Meta:
        model = Notification

    class Params:
        read = False

    recipient = factory.SubFactory(UserFactory)
    actor = factory.SubFactory(UserFactory)
    kind = Kind.INVITATION
    link = "/projects/invitations/"
    message = factory.LazyAttribute(lambda o: MESSAGES[o.kind])
    params = factory.LazyAttribute(lambda o: {"actor": o.actor.name if o.actor else "", "project": "Harbour"})
    created_at = factory.LazyFunction(timezone.now)
    read_at = factory.Maybe("read", yes_declaration=factory.LazyFunction(timezone.now), no_declaration=None)
