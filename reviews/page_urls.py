"""The reviews' pages (reviews/pages.py). Included from core.urls with
`path("", include("reviews.page_urls"))`; names are in the "reviews" namespace."""

from django.urls import path

from reviews import pages

app_name = "reviews"

urlpatterns = [
    path("gallery/works/<str:publication_id>/reviews/", pages.review_post, name="post"),
    path("gallery/reviews/<int:review_id>/", pages.thread, name="thread"),
    path("gallery/reviews/<int:review_id>/edit/", pages.review_edit, name="edit"),
    path("gallery/reviews/<int:review_id>/delete/", pages.review_delete, name="delete"),
    path("gallery/reviews/<int:review_id>/report/", pages.review_report, name="report"),
    path("moderation/reviews/<int:review_id>/decide/", pages.review_decide, name="decide"),  # staff
]
