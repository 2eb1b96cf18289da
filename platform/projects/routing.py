from django.urls import path

from projects.consumers import ProjectEventsConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/events", ProjectEventsConsumer.as_asgi()),
]
