from django.urls import path

from collab.consumers import StoryboardConsumer
from kernel.ws_limits import ConnectRateLimit

websocket_urlpatterns = [
    # Handshakes per account and per address are limited before the consumer runs.
    path("ws/projects/<int:project_id>/storyboard", ConnectRateLimit(StoryboardConsumer.as_asgi())),
]
