from django.urls import path

from rights.api import views

urlpatterns = [
    path("projects/<int:project_id>/works", views.ProjectWorkListView.as_view(), name="api-project-works"),
    path("works", views.WorkListView.as_view(), name="api-works"),
    path("works/<str:work_id>", views.WorkDetailView.as_view(), name="api-work"),
    path("works/<str:work_id>/owners", views.WorkOwnersView.as_view(), name="api-work-owners"),
    path("works/<str:work_id>/aesthetics", views.WorkAestheticsView.as_view(), name="api-work-aesthetics"),
    path("works/<str:work_id>/submit", views.WorkSubmitView.as_view(), name="api-work-submit"),
    path("works/<str:work_id>/confirm", views.WorkConfirmView.as_view(), name="api-work-confirm"),
    path("reviews", views.ReviewListView.as_view(), name="api-reviews"),
    path("reviews/<int:review_id>/approve", views.ReviewDecideView.as_view(), {"decision": "approve"},
         name="api-review-approve"),
    path("reviews/<int:review_id>/decline", views.ReviewDecideView.as_view(), {"decision": "decline"},
         name="api-review-decline"),
]
