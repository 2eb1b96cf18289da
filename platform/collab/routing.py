from django.urls import path

from collab.consumers import StoryboardConsumer

websocket_urlpatterns = [
    path("ws/projects/<int:project_id>/storyboard", StoryboardConsumer.as_asgi()),
]
