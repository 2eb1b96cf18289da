from django.urls import path

from kernel.ws_limits import ConnectRateLimit
from projects.consumers import ProjectEventsConsumer

websocket_urlpatterns = [
    # Handshakes per account and per address are limited before the consumer runs.
    path("ws/projects/<int:project_id>/events", ConnectRateLimit(ProjectEventsConsumer.as_asgi())),
]
