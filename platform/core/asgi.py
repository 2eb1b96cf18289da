"""ASGI entry point, in the order of the Channels tutorial: Django is set up before
anything imports models."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.ws_auth import BearerTokenMiddleware  # noqa: E402
from core.routing import websocket_urlpatterns  # noqa: E402
from kernel.uploads import BodyLimit  # noqa: E402
from kernel.ws_origin import SessionOriginGuard  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies over a route's cap are never read from the client (kernel.uploads).
        "http": BodyLimit(django_asgi_app),
        # The session cookie counts only with one of our Origins (cross-site websocket
        # hijacking); a bearer token needs none, so programs join without one (kernel.ws_origin).
        "websocket": SessionOriginGuard(
            AuthMiddlewareStack(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
