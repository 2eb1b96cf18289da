"""The gallery's pages (recommend/pages.py). Included from core.urls with
`path("", include("recommend.page_urls"))`; names are in the "gallery" namespace."""

from django.urls import include, path

from recommend import page_moderation, pages

app_name = "gallery"

urlpatterns = [
    path("gallery/", pages.home, name="home"),
    path("gallery/works/<str:publication_id>/", pages.work, name="work"),
    path("gallery/works/<str:publication_id>/remix/", pages.remix, name="remix"),
    path("gallery/works/<str:publication_id>/status/", pages.work_status, name="status"),
    path("gallery/works/<str:publication_id>/unhide/", pages.unhide, name="unhide"),
    path("gallery/creators/<str:username>/", pages.creator, name="creator"),
    path("gallery/colours/", pages.colours, name="colours"),
    path("gallery/preferences/", pages.preferences_page, name="preferences"),
    path("gallery/welcome/", pages.onboarding, name="onboarding"),
    path("gallery/saved/", pages.collections, name="collections"),
    path("gallery/liked/", pages.liked, name="liked"),
    path("projects/<int:project_id>/publish/<int:asset_id>/", pages.publish, name="publish"),
    path("moderation/", include((page_moderation.urlpatterns, "moderation"))),  # staff: gallery:moderation:*
]
