from collab.routing import websocket_urlpatterns as collab_ws
from inbox.routing import websocket_urlpatterns as inbox_ws
from projects.routing import websocket_urlpatterns as project_ws

websocket_urlpatterns = [*project_ws, *collab_ws, *inbox_ws]
