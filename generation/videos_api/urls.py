from django.urls import path, re_path

from generation.videos_api import views

urlpatterns = [
    path("videos", views.VideoListView.as_view(), name="videos"),
    path("videos/<str:video_id>", views.VideoDetailView.as_view(), name="video"),
    path("videos/<str:video_id>/remix", views.VideoRemixView.as_view(), name="video-remix"),
    path("videos/<str:video_id>/content", views.VideoContentView.as_view(), name="video-content"),
    re_path(r"^", views.UnknownPathView.as_view()),  # last: any other path under /v1/ (an id with a /...)
]
