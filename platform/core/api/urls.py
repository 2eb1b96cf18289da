from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("inbox.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("collab.api.urls")),
    path("", include("generation.api.urls")),
    path("", include("rights.api.urls")),
    path("", include("recommend.api.urls")),
    path("", include("reviews.api.urls")),
]
