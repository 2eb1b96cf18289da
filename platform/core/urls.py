from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import healthz, livez, readyz
from core.home import home
from core.metrics import metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("core.api.urls")),
    path("v1/", include("generation.videos_api.urls")),  # OpenAI's Videos API, by its paths
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own (no inline script: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="core/swagger_ui.html"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("inbox.urls")),
    path("", home, name="home"),  # the public home, or the dashboard of a person logged in
    path("", include("projects.urls")),
    path("", include("collab.urls")),
    path("", include("generation.urls")),
    path("", include("rights.urls")),
    path("", include("recommend.page_urls")),
    path("", include("reviews.page_urls")),
]

# No route serves MEDIA_ROOT by path, in any configuration: every file goes out through a view
# that checks who may have it (assets, works, avatars) or as a signed object-storage link.

handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.permission_denied"
handler404 = "core.error_views.not_found"
handler500 = "core.error_views.server_error"
