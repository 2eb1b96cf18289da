from django.urls import path

from inbox.consumers import NotificationConsumer
from kernel.ws_limits import ConnectRateLimit

websocket_urlpatterns = [
    # Handshakes per account and per address are limited before the consumer runs.
    path("ws/notifications", ConnectRateLimit(NotificationConsumer.as_asgi())),
]
