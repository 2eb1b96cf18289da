from django.urls import path

from generation.api import views

prefix = "projects/<int:project_id>/jobs"
urlpatterns = [
    path(prefix, views.JobListView.as_view(), name="api-jobs"),
    path(f"{prefix}/<str:job_id>", views.JobDetailView.as_view(), name="api-job"),
    path(f"{prefix}/<str:job_id>/cancel", views.JobCancelView.as_view(), name="api-job-cancel"),
    path("generation/usage", views.UsageView.as_view(), name="api-generation-usage"),
    path("webhooks", views.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:webhook_id>", views.WebhookDetailView.as_view(), name="api-webhook"),
]
