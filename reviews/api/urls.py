from django.urls import path

from reviews.api import views

urlpatterns = [
    path("gallery/works/<str:publication_id>/reviews", views.PublicationReviewsView.as_view(),
         name="api-gallery-reviews"),
    path("gallery/reviews/reported", views.ReportedReviewsView.as_view(),
         name="api-gallery-reviews-reported"),
    path("gallery/reviews/<int:review_id>", views.ReviewView.as_view(), name="api-gallery-review"),
    path("gallery/reviews/<int:review_id>/replies", views.ReviewRepliesView.as_view(),
         name="api-gallery-review-replies"),
    path("gallery/reviews/<int:review_id>/report", views.ReviewReportView.as_view(),
         name="api-gallery-review-report"),
    path("gallery/reviews/<int:review_id>/moderate", views.ReviewModerateView.as_view(),
         name="api-gallery-review-moderate"),
]
