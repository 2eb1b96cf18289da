from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.health import healthz, livez

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("core.api.urls")),
    path("v1/", include("generation.videos_api.urls")),  # OpenAI's Videos API, by its paths
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("projects.urls")),
    path("", include("collab.urls")),
    path("", include("generation.urls")),
    path("", include("rights.verify_urls")),
    path("", include("rights.urls")),
    path("", include("rights.page_urls")),
    path("", include("recommend.page_urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        # Generated media and uploaded works are not here: members fetch them through
        # /api/v1/projects/<id>/assets/ and /works/<id>/file.
        re_path(r"^media/(?P<path>(?!generation/|works/).*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.permission_denied"
handler404 = "core.error_views.not_found"
handler500 = "core.error_views.server_error"
